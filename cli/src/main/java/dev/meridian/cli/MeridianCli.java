package dev.meridian.cli;

import dev.meridian.bench.AgreementBench;
import dev.meridian.bench.CausalBench;
import dev.meridian.bench.ClockSyncBench;
import dev.meridian.bench.ClocksBench;
import dev.meridian.bench.FailoverBench;
import dev.meridian.bench.KeystoreBench;
import dev.meridian.bench.LeaseBench;
import dev.meridian.bench.SnapshotBench;
import dev.meridian.bench.TotalBench;
import dev.meridian.examples.ClocksDemo;
import dev.meridian.examples.DeadlockDemo;
import dev.meridian.examples.KeystoreDemo;
import dev.meridian.examples.LeaseDemo;
import dev.meridian.examples.MembershipDemo;
import dev.meridian.examples.ReplicatedMapDemo;
import dev.meridian.examples.SnapshotDemo;
import dev.meridian.sim.Scenario;
import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.clocks.ClockVariant;
import dev.meridian.sim.clocks.ClocksScenario;
import dev.meridian.sim.clocksync.ClockSyncScenario;
import dev.meridian.sim.leases.LeaseSimCore;
import dev.meridian.sim.leases.LeasesScenario;
import dev.meridian.sim.snapshot.SnapshotScenario;
import dev.meridian.sim.ReportsFigures;
import dev.meridian.sim.deadlock.DeadlockScenario;
import dev.meridian.sim.deadlock.LockSimCore;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.clocksync.ClockSyncCore;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.sim.causal.CausalScenario;
import dev.meridian.sim.membership.MembershipScenario;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The command line behind {@code ./meridian}. Exit status: 0 on success, 1 when a simulation found
 * a violation or a run failed, 2 on a usage error (unknown subcommand, flag or value).
 */
@Command(
    name = "meridian",
    mixinStandardHelpOptions = true,
    version = "meridian 0.1.0-SNAPSHOT",
    description = "Fault-tolerant replication for the JVM: demo, simulations and benchmarks.",
    subcommands = {
      MeridianCli.Demo.class,
      MeridianCli.Sim.class,
      MeridianCli.Bench.class,
      KeystoreCommand.class,
    })
public final class MeridianCli implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  /** Scenario name → how to build it for a given broken variant (null: correct). */
  static final Map<String, Function<String, Scenario>> SCENARIOS = new LinkedHashMap<>();

  static {
    SCENARIOS.put("clocks", variant -> new ClocksScenario(5,
        variant == null ? ClockVariant.CORRECT : ClockVariant.fromFlag(variant)));
    SCENARIOS.put("causal", variant -> new CausalScenario(variant == null
        ? CausalMulticastCore.Variant.CORRECT
        : fromFlag(CausalMulticastCore.Variant.class, variant)));
    SCENARIOS.put("membership", variant -> new MembershipScenario(variant == null
        ? MembershipCore.Variant.CORRECT
        : fromFlag(MembershipCore.Variant.class, variant)));
    SCENARIOS.put("leases", variant -> new LeasesScenario(variant == null
        ? LeaseSimCore.Variant.CORRECT
        : fromFlag(LeaseSimCore.Variant.class, variant)));
    SCENARIOS.put("clocksync", variant -> new ClockSyncScenario(variant == null
        ? ClockSyncCore.Variant.CORRECT
        : fromFlag(ClockSyncCore.Variant.class, variant)));
    SCENARIOS.put("snapshot", variant -> new SnapshotScenario(variant == null
        ? SnapshotCore.Variant.CORRECT
        : fromFlag(SnapshotCore.Variant.class, variant)));
    SCENARIOS.put("deadlock", variant -> new DeadlockScenario(variant == null
        ? LockSimCore.DetectorVariant.CORRECT
        : fromFlag(LockSimCore.DetectorVariant.class, variant)));
    SCENARIOS.put("agreement", AgreementScenario::plain);
    SCENARIOS.put("agreement-early", AgreementScenario::early);
  }

  /** Parses {@code deliver-on-arrival} as {@code DELIVER_ON_ARRIVAL}, refusing CORRECT. */
  static <E extends Enum<E>> E fromFlag(Class<E> type, String flag) {
    List<String> valid = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      String name = e.name().toLowerCase(Locale.ROOT).replace('_', '-');
      if (!e.name().equals("CORRECT")) {
        if (name.equals(flag)) {
          return e;
        }
        valid.add(name);
      }
    }
    throw new IllegalArgumentException(
        "unknown variant '" + flag + "'; valid: " + String.join(", ", valid));
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    // UTF-8 whatever the locale: output uses → and ∥.
    return new CommandLine(new MeridianCli())
        .setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true))
        .setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
  }

  /** The command's output as a print stream, for code that prints to one. */
  static PrintStream stream(CommandLine cmd) {
    PrintWriter writer = cmd.getOut();
    return new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        throw new UnsupportedOperationException("byte output");
      }

      @Override
      public void write(byte[] b, int off, int len) {
        writer.write(new String(b, off, len, StandardCharsets.UTF_8));
        writer.flush();
      }
    }, true, StandardCharsets.UTF_8);
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: one of demo, sim, bench, keystore");
  }

  @Command(name = "demo", mixinStandardHelpOptions = true,
      description = "Run the demo: a simulated run of three processes with Lamport and vector"
          + " timestamps and which events happened before which; then three members over gRPC"
          + " on 127.0.0.1 updating one replicated map at once, and converging; then a replicated"
          + " lock table in total order: a member killed, a view change, and its rejoin with a"
          + " state transfer; then leases on synchronized clocks; then a consistent snapshot of a"
          + " bank whose money is on the move; then deadlock detection on snapshots beside a naive"
          + " detector that chases wait-for questions, and the phantoms each reports; then the key"
          + " service on a 3×3 grid: a secret survives a stopped server, and a lying one is named.")
  static final class Demo implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7",
        description = "Seed of the simulated run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
      PrintStream out = stream(spec.commandLine());
      boolean clocks = ClocksDemo.run(seed, out);
      out.println();
      out.println("---");
      out.println();
      boolean map = ReplicatedMapDemo.run(out);
      out.println();
      out.println("---");
      out.println();
      boolean membership = MembershipDemo.run(out);
      out.println();
      out.println("---");
      out.println();
      boolean leases = LeaseDemo.run(out);
      out.println();
      out.println("---");
      out.println();
      boolean snapshots = SnapshotDemo.run(out);
      out.println();
      out.println("---");
      out.println();
      boolean deadlocks = DeadlockDemo.run(out);
      out.println();
      out.println("---");
      out.println();
      boolean keystore = KeystoreDemo.run(out);
      return clocks && map && membership && leases && snapshots && deadlocks && keystore ? 0 : 1;
    }
  }

  @Command(name = "sim", mixinStandardHelpOptions = true,
      description = {
        "Run a scenario in the deterministic simulator over many seeds and check its properties"
            + " after every event.",
        "The last line is always: scenario=<name> seeds=<N> violations=<V>; exit status 0 only"
            + " when V = 0.",
        "Scenarios: clocks, causal, membership, clocksync, leases, snapshot, deadlock, agreement,"
            + " agreement-early.",
        "Scenarios that count figures of their own (deadlock, agreement, agreement-early) print"
            + " them on the line"
            + " before."
      })
  static final class Sim implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "Scenario to run: clocks, causal, membership, clocksync, leases, snapshot, deadlock, agreement, agreement-early.")
    String scenario;

    @Option(names = "--seeds", paramLabel = "N",
        description = "How many seeds to run: S, S+1, ..., S+N-1 (default: 100, or 1 when --seed"
            + " is given).")
    Long seeds;

    @Option(names = "--seed", paramLabel = "S",
        description = "First seed (default: 1). Alone, replays just that seed, e.g. one printed"
            + " with a violation.")
    Long seed;

    @Option(names = "--trace",
        description = "Print every event of each run (use with one or a few seeds).")
    boolean trace;

    @Option(names = "--broken", paramLabel = "VARIANT",
        description = "Run a deliberately broken variant to see the checkers catch it. For clocks:"
            + " no-merge-on-receive, no-increment-on-send, lamport-no-max, hlc-ignores-remote,"
            + " hlc-no-offset-check. For causal: deliver-on-arrival, no-retransmit, deliver-raw-frames."
            + " For membership: install-without-flush, no-majority, ignore-joins,"
            + " total-on-receipt, skip-state-transfer, ack-on-apply. For snapshot: no-markers,"
            + " no-channel-recording, record-after-forward, ignore-departures. For deadlock:"
            + " ignore-channels, no-markers, no-abort. For agreement: f-plus-one-traitors,"
            + " no-signature-check, stop-after-f-rounds, naive-early-decision. For"
            + " agreement-early: no-final-relay, sender-in-echo-chains.")
    String broken;

    @Override
    public Integer call() {
      CommandLine cmd = spec.commandLine();
      Function<String, Scenario> factory = SCENARIOS.get(scenario);
      if (factory == null) {
        throw new ParameterException(cmd, "unknown scenario '" + scenario + "'; known: "
            + String.join(", ", SCENARIOS.keySet()));
      }
      if (seeds != null && seeds < 1) {
        throw new ParameterException(cmd, "--seeds must be >= 1, got " + seeds);
      }
      if (seed != null && seed < 0) {
        throw new ParameterException(cmd, "--seed must be >= 0, got " + seed);
      }
      Scenario s;
      try {
        s = factory.apply(broken);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(cmd, "--broken: " + e.getMessage());
      }
      long first = seed != null ? seed : 1;
      long count = seeds != null ? seeds : seed != null ? 1 : 100;
      if (first > Long.MAX_VALUE - (count - 1)) {
        throw new ParameterException(cmd, "--seed " + first + " with --seeds " + count
            + " runs past the largest seed, " + Long.MAX_VALUE);
      }
      PrintWriter out = cmd.getOut();
      ScenarioRunner.Summary summary = ScenarioRunner.run(s, first, count, trace,
          (SimulationResult r) -> {
            if (trace) {
              out.println("--- seed " + r.seed() + ": " + r.events() + " events, fingerprint "
                  + Long.toHexString(r.fingerprint()));
              r.trace().forEach(out::println);
            }
            r.violation().ifPresent(v -> {
              out.println("violation: " + v);
              out.println("  replay: ./meridian sim " + scenario
                  + (broken != null ? " --broken " + broken : "") + " --seed " + v.seed()
                  + " --trace");
            });
            out.flush();
          });
      if (s instanceof ReportsFigures figures) {
        out.println(figures.figuresLine());
      }
      out.println(summary.line());
      out.flush();
      return summary.violations() == 0 ? 0 : 1;
    }
  }

  @Command(name = "bench", mixinStandardHelpOptions = true,
      description = {
        "Run a benchmark. The last line is one line of key=value figures.",
        "Benchmarks: clocks (JMH: VectorClock compare, merge, encode, decode for 3, 16, 128"
            + " members); causal (load generator: three members in one JVM over 127.0.0.1,"
            + " Meridian's causal replication against JGroups, throughput and latency; last line"
            + " meridian_ops_per_s=<n> jgroups_msgs_per_s=<n> ratio=<r> p50_us=<n> p99_us=<n>);"
            + " failover (3 members in separate JVMs, one SIGKILLed or frozen: time to the"
            + " survivors' new view, Meridian against JGroups FD_ALL3; last line"
            + " meridian_failover_ms=<n> meridian_hang_ms=<n> jgroups_failover_ms=<n>"
            + " jgroups_hang_ms=<n>); total (three members over 127.0.0.1 sending total-order ops,"
            + " Meridian against JGroups SEQUENCER; last line meridian_total_ops_per_s=<n>"
            + " jgroups_seq_msgs_per_s=<n> ratio=<r>); clocksync (three synchronized clocks over"
            + " 127.0.0.1 for 10 s; last line clock_uncertainty_us=<n> clock_precision_us=<n>);"
            + " leases (acquire->release loops on three members; last line lease_ops_per_s=<n>"
            + " acquire_p99_us=<n>); snapshot (3 and 9 members over 127.0.0.1 under causal"
            + " multicast load, also sending to each other point to point, Chandy-Lamport"
            + " snapshots back to back; throughput_drop_pct is the drop in causal ops delivered per"
            + " second per member; last line, the worse size for each figure: snapshot_p50_ms=<n>"
            + " snapshot_p99_ms=<n> throughput_drop_pct=<n>); keystore (the key service on 3x3 and"
            + " 4x4 grids in this JVM over 127.0.0.1, closed-loop clients writing and reading"
            + " 32-byte secrets, then verifiable Shamir against com.codahale:shamir; last line"
            + " keystore_reads_per_s=<n> keystore_writes_per_s=<n> read_p99_ms=<n> for n = 9);"
            + " agreement (Dolev-Strong broadcasts among 9 and 16 processes in this JVM over"
            + " 127.0.0.1, rounds of 10 ms; last line agreement_per_s=<n> agreement_p50_ms=<n>"
            + " for n = 9)."
      })
  static final class Bench implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME",
        description = "Benchmark to run: clocks, clocksync, leases, causal, failover, total,"
            + " snapshot, keystore, agreement.")
    String name;

    @Option(names = "--quick", description = "Short warm-up and measurement: a smoke test, not"
        + " figures to quote.")
    boolean quick;

    @Override
    public Integer call() throws Exception {
      if (name.equals("causal")) {
        // A few minutes in full (~20 s with --quick); exit 1 if a run failed or did not converge.
        return CausalBench.run(quick ? CausalBench.Length.QUICK : CausalBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("failover")) {
        // About four minutes in full (5 kills and 5 freezes per system), ~1 min with --quick.
        return FailoverBench.run(quick ? FailoverBench.Length.QUICK : FailoverBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("total")) {
        // About 4 minutes in full (~16 s with --quick); exit 1 if a run failed, did not converge
        // or was not totally ordered.
        return TotalBench.run(quick ? TotalBench.Length.QUICK : TotalBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("leases")) {
        // About 15 s (3 s with --quick); exit 1 if a loop failed.
        return LeaseBench.run(quick ? LeaseBench.Length.QUICK : LeaseBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("clocksync")) {
        // About 13 s (3 s with --quick); exit 1 if an interval missed the host's clock.
        return ClockSyncBench.run(quick ? ClockSyncBench.Length.QUICK
            : ClockSyncBench.Length.FULL, stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("snapshot")) {
        // About a minute in full (~30 s with --quick); exit 1 if a snapshot failed or was not
        // consistent, or the causal load did not converge.
        return SnapshotBench.run(quick ? SnapshotBench.Length.QUICK : SnapshotBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("keystore")) {
        // About a minute in full (~20 s with --quick); exit 1 if an operation failed.
        return KeystoreBench.run(quick ? KeystoreBench.Length.QUICK : KeystoreBench.Length.FULL,
            stream(spec.commandLine())) ? 0 : 1;
      }
      if (name.equals("agreement")) {
        // About 30 s (~10 s with --quick); exit 1 if a process decided a wrong value.
        return AgreementBench.run(quick ? AgreementBench.Length.QUICK
            : AgreementBench.Length.FULL, stream(spec.commandLine())) ? 0 : 1;
      }
      if (!name.equals("clocks")) {
        throw new ParameterException(spec.commandLine(), "unknown benchmark '" + name
            + "'; known: clocks, clocksync, leases, causal, failover, total, snapshot, keystore,"
            + " agreement");
      }
      ClocksBench.run(quick ? ClocksBench.Length.QUICK : ClocksBench.Length.FULL,
          stream(spec.commandLine()));
      return 0;
    }
  }
}
