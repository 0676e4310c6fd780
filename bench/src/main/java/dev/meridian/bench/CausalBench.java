package dev.meridian.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code meridian bench causal}: a load generator (not JMH) that measures Meridian's causal
 * replication and JGroups side by side, in one JVM, on 127.0.0.1.
 *
 * <ul>
 *   <li><b>Throughput.</b> Three members; each submits 64-byte operations as fast as
 *       back-pressure allows. Reported: operations delivered per second at each member (its own
 *       included, as JGroups counts them), the median over runs x members. Runs alternate
 *       Meridian, JGroups, Meridian, JGroups...; each run starts a fresh group.
 *   <li><b>Latency.</b> Each member offers 20,000 operations/s (paced, open loop); the submit
 *       time is stamped into the payload and the time to delivery is recorded at every member,
 *       the origin included, into a log-linear histogram.
 *   <li><b>Warm-up.</b> Before anything is measured, each system runs at full load, unmeasured,
 *       until the JIT has settled (compilation under 5 % of two seconds in a row and no C2
 *       compilation running or queued), in two rounds (A B A B) because code both systems share
 *       is recompiled after the other one ran. In every run the first seconds after the load
 *       starts are discarded too, and the JIT compile time inside each measured window is
 *       printed ({@code jit_ms}) to show that compilation had settled.
 *   <li><b>Correctness.</b> After each run the senders stop and every member must have delivered
 *       every operation of every origin, in the order issued (checked by the meter for both
 *       systems, and by Meridian's replicated state itself); failures are printed.
 * </ul>
 *
 * <p>{@link #run} forks a JVM with a fixed heap ({@code -Xms2g -Xmx2g}, as {@code
 * shared/BENCHMARKING.md} measured JGroups) that runs {@link #main}; running {@code main} directly
 * (e.g. under a profiler) measures in the current JVM. The last line printed is always {@code
 * meridian_ops_per_s=<n> jgroups_msgs_per_s=<n> ratio=<r> p50_us=<n> p99_us=<n>}.
 */
public final class CausalBench {
  static final int MEMBERS = 3;
  /** Meridian submits each member may have outstanding (not yet applied at itself). */
  static final int MAX_IN_FLIGHT = 4096;
  static final long FORM_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  static final long SETTLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  static final String HEAP = "2g";

  private CausalBench() {}

  /** How long each phase lasts: the full run for figures to quote, quick for a smoke test. */
  public enum Length {
    FULL(2, 5_000, 90_000, 2_000, 15_000, 3, 2_000, 10_000),
    QUICK(1, 1_000, 1_000, 500, 2_000, 1, 500, 2_000);

    final int warmupRounds;
    final long warmupMillis;
    final long maxWarmupMillis;
    final long rampMillis;
    final long measureMillis;
    final int reps;
    final long latencyRampMillis;
    final long latencyMillis;

    Length(int warmupRounds, long warmupMillis, long maxWarmupMillis, long rampMillis,
        long measureMillis, int reps, long latencyRampMillis, long latencyMillis) {
      this.warmupRounds = warmupRounds;
      this.warmupMillis = warmupMillis;
      this.maxWarmupMillis = maxWarmupMillis;
      this.rampMillis = rampMillis;
      this.measureMillis = measureMillis;
      this.reps = reps;
      this.latencyRampMillis = latencyRampMillis;
      this.latencyMillis = latencyMillis;
    }

    /** An upper bound of the whole run, for the watchdogs. */
    long budgetMillis() {
      long perRun = 2 * FORM_TIMEOUT_NANOS / 1_000_000 + 2 * SETTLE_TIMEOUT_NANOS / 1_000_000;
      long runs = 2L * (reps + 1 + warmupRounds);
      return 2 * warmupRounds * maxWarmupMillis + 2L * reps * (rampMillis + measureMillis)
          + 2 * (latencyRampMillis + latencyMillis) + runs * perRun;
    }
  }

  static final int LATENCY_RATE_PER_MEMBER = 20_000;
  /** Warm-up ends once compiling took less than this share of wall time, twice in a row. */
  static final double JIT_SETTLED_SHARE = 0.05;
  /** CPU of other processes, in cores, above which a measured window is flagged. */
  static final double OTHER_LOAD_CORES = 0.25;

  // ---------------------------------------------------------------- entry points

  /**
   * Runs the benchmark in a forked JVM with a fixed heap, copying its output to {@code out}.
   *
   * @return true when every run completed and converged
   */
  public static boolean run(Length length, PrintStream out) throws IOException,
      InterruptedException {
    return ForkedBench.run(CausalBench.class, "causal", HEAP, length == Length.QUICK,
        length.budgetMillis(), out);
  }

  /**
   * Measures in this JVM. Arguments: {@code --quick}; {@code --only meridian|jgroups} (skips the
   * other system; for profiling); {@code --watch-parent PID} (exit when that process is gone).
   */
  public static void main(String[] args) throws Exception {
    Length length = Length.FULL;
    String only = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> length = Length.QUICK;
        case "--only" -> only = args[++i];
        case "--watch-parent" -> ForkedBench.watchParent(Long.parseLong(args[++i]));
        default -> {
          System.err.println("unknown argument " + args[i]
              + "; usage: CausalBench [--quick] [--only meridian|jgroups]");
          System.exit(2);
        }
      }
    }
    if (only != null && !only.equals("meridian") && !only.equals("jgroups")) {
      System.err.println("--only takes meridian or jgroups, got " + only);
      System.exit(2);
    }
    ForkedBench.selfDestructAfter("CausalBench", length.budgetMillis());
    LogDeduplication.install();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    boolean ok;
    try {
      ok = new CausalBench.Runner(length, only, out).run();
    } catch (Exception | Error e) {
      out.flush();
      System.err.println("CausalBench failed: " + e);
      e.printStackTrace();
      ok = false;
    }
    out.flush();
    System.exit(ok ? 0 : 1); // also ends threads a failed run may have left behind
  }

  // ---------------------------------------------------------------- the runs

  /** The outcome of one throughput run. */
  record RunResult(double[] opsPerSecond, boolean ok) {}

  private static final class Runner {
    private final Length length;
    private final String only;
    private final PrintStream out;
    private boolean ok = true;

    Runner(Length length, String only, PrintStream out) {
      this.length = length;
      this.only = only;
      this.out = out;
    }

    boolean run() throws Exception {
      header();
      boolean meridian = only == null || only.equals("meridian");
      boolean jgroups = only == null || only.equals("jgroups");
      // Warm-up, in the same order as the measured runs. Two rounds: code both systems share
      // (JDK queues, executors, locks) is recompiled when the other system's run changes its
      // profile, so each system is warmed up again after the other one ran.
      for (int round = 1; round <= length.warmupRounds; round++) {
        if (meridian) {
          warmUp("meridian", round);
        }
        if (jgroups) {
          warmUp("jgroups", round);
        }
      }
      List<Double> m = new ArrayList<>();
      List<Double> j = new ArrayList<>();
      for (int rep = 1; rep <= length.reps; rep++) {
        String label = "rep " + rep + "/" + length.reps;
        if (meridian) {
          for (double v : throughput("meridian", label, length.measureMillis).opsPerSecond()) {
            m.add(v);
          }
        }
        if (jgroups) {
          for (double v : throughput("jgroups", label, length.measureMillis).opsPerSecond()) {
            j.add(v);
          }
        }
      }
      double mMedian = summarize("meridian", m);
      double jMedian = summarize("jgroups", j);
      long[] mLatency = meridian ? latency("meridian") : new long[] {-1, -1};
      if (jgroups) {
        latency("jgroups");
      }
      double ratio = jMedian > 0 && mMedian >= 0 ? mMedian / jMedian : Double.NaN;
      if (!ok) {
        out.println("NOTE: at least one run failed or did not converge (lines above); figures"
            + " are not to be quoted");
      }
      out.printf(Locale.ROOT, "meridian_ops_per_s=%d jgroups_msgs_per_s=%d ratio=%.4f p50_us=%d"
          + " p99_us=%d%n", Math.round(mMedian), Math.round(jMedian), ratio,
          micros(mLatency[0]), micros(mLatency[1]));
      return ok;
    }

    private void header() {
      Runtime rt = Runtime.getRuntime();
      out.printf(Locale.ROOT, "causal multicast: %d members in one JVM on 127.0.0.1, %d-byte"
          + " operations, every member sending; Java %s, %d CPUs, heap %d MiB%n", MEMBERS,
          DeliveryMeter.PAYLOAD_BYTES, System.getProperty("java.version"),
          rt.availableProcessors(), rt.maxMemory() >> 20);
      out.printf(Locale.ROOT, "  meridian: Replica.builder() defaults over gRPC, a state that"
          + " counts ops per origin; at most %d submits in flight per member (a Semaphore"
          + " released when the own op is applied)%n", MAX_IN_FLIGHT);
      out.printf(Locale.ROOT, "  jgroups:  %s, %s (tcp.xml: TCP bundler pd capacity 64k"
          + " max_size 64K, diag off, no virtual threads, 127.0.0.1; TCPPING MERGE3 FD_SOCK2"
          + " FD_ALL3 VERIFY_SUSPECT2 BARRIER NAKACK2 UNICAST3 STABLE GMS MFC UFC FRAG4)%n",
          JGroupsGroup.version(), JGroupsGroup.STACK);
      out.printf(Locale.ROOT, "  throughput: %d alternating reps of %.1f s per system, each a"
          + " fresh group, the first %.1f s of each discarded; warm-up first, %d round(s) of"
          + " A B: each system at full load, unmeasured, until JIT compilation took < %.0f%% of"
          + " two consecutive seconds with no C2 compile running or queued (at least %.0f s, at"
          + " most %.0f s)%n", length.reps,
          length.measureMillis / 1000.0, length.rampMillis / 1000.0, length.warmupRounds,
          JIT_SETTLED_SHARE * 100,
          length.warmupMillis / 1000.0, length.maxWarmupMillis / 1000.0);
      out.printf(Locale.ROOT, "  latency: %,d ops/s offered per member for %.1f s after %.1f s"
          + " of ramp; submit -> delivery at every member (origin included)%n",
          LATENCY_RATE_PER_MEMBER, length.latencyMillis / 1000.0,
          length.latencyRampMillis / 1000.0);
    }

    private BenchGroup start(String system) throws Exception {
      System.gc(); // the previous group's garbage is not this one's to collect
      if (system.equals("meridian")) {
        return MeridianGroup.start(MEMBERS, MAX_IN_FLIGHT);
      }
      return JGroupsGroup.start(MEMBERS, FORM_TIMEOUT_NANOS);
    }

    /** Each member sends operation 1 and every member must deliver all of them. */
    private void form(BenchGroup g) throws InterruptedException {
      for (int i = 0; i < g.size(); i++) {
        g.send(i, DeliveryMeter.payload(1));
      }
      long deadline = System.nanoTime() + FORM_TIMEOUT_NANOS;
      for (int i = 0; i < g.size(); i++) {
        while (g.meter(i).delivered() < g.size()) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(g.name() + " member " + i + " delivered only "
                + g.meter(i).delivered() + " of the first " + g.size() + " ops within "
                + TimeUnit.NANOSECONDS.toSeconds(FORM_TIMEOUT_NANOS) + " s");
          }
          TimeUnit.MILLISECONDS.sleep(5);
        }
      }
    }

    /**
     * Runs {@code system} at full load, unmeasured, in slices of one second until the JIT has
     * settled — two slices in a row in which compilation took under {@link #JIT_SETTLED_SHARE}
     * of the slice and, at their end, no C2 compilation was running or queued — after at least
     * {@code warmupMillis} and at most {@code maxWarmupMillis}.
     */
    void warmUp(String system, int round) throws Exception {
      try (BenchGroup g = start(system)) {
        form(g);
        Senders senders = new Senders(g, 0);
        senders.start();
        long begin = System.nanoTime();
        long minEnd = begin + TimeUnit.MILLISECONDS.toNanos(length.warmupMillis);
        long maxEnd = begin + TimeUnit.MILLISECONDS.toNanos(length.maxWarmupMillis);
        int quiet = 0;
        Snapshot last = Snapshot.take(g);
        Snapshot prev = last;
        while (System.nanoTime() < maxEnd && (System.nanoTime() < minEnd || quiet < 2)) {
          TimeUnit.MILLISECONDS.sleep(1000);
          prev = last;
          last = Snapshot.take(g);
          double jitShare = (last.jitMillis - prev.jitMillis) * 1e6 / (last.nanos - prev.nanos);
          quiet = jitShare < JIT_SETTLED_SHARE && JitActivity.c2Pending() <= 0 ? quiet + 1 : 0;
        }
        senders.stop();
        double[] rates = new double[g.size()];
        for (int i = 0; i < rates.length; i++) {
          rates[i] = (last.delivered[i] - prev.delivered[i]) * 1e9 / (last.nanos - prev.nanos);
        }
        String check = check(g, senders);
        out.printf(Locale.ROOT, "%-8s warm-up %d %.0f s at full load, %s (JIT compile time in"
            + " the last second: %d ms); last second's ops/s per member: %s; %s%n", system, round,
            (last.nanos - begin) / 1e9, quiet >= 2 ? "until the JIT settled"
                : "stopped at the time limit, JIT NOT settled", last.jitMillis - prev.jitMillis,
            join(rates), check);
        ok &= check.startsWith("ok");
        String repeats = LogDeduplication.takeSummary();
        if (!repeats.isEmpty()) {
          out.println("         " + repeats);
        }
      }
    }

    RunResult throughput(String system, String label, long measureMillis) throws Exception {
      try (BenchGroup g = start(system)) {
        form(g);
        Senders senders = new Senders(g, 0);
        senders.start();
        TimeUnit.MILLISECONDS.sleep(length.rampMillis);
        Snapshot s0 = Snapshot.take(g);
        TimeUnit.MILLISECONDS.sleep(measureMillis);
        Snapshot s1 = Snapshot.take(g);
        senders.stop();
        double[] rates = new double[g.size()];
        double seconds = (s1.nanos - s0.nanos) / 1e9;
        for (int i = 0; i < rates.length; i++) {
          rates[i] = (s1.delivered[i] - s0.delivered[i]) / seconds;
        }
        String check = check(g, senders);
        boolean runOk = check.startsWith("ok");
        String stats = g.stats();
        out.printf(Locale.ROOT, "%-8s %-8s ops/s per member: %s  (%.1f s; jit_ms=%d gc_ms=%d"
            + " %s; send failures %s; %s%s)%n", system, label, join(rates), seconds,
            s1.jitMillis - s0.jitMillis, s1.gcMillis - s0.gcMillis, Snapshot.cpu(s0, s1),
            g.failureSummary(), check, stats.isEmpty() ? "" : "; " + stats);
        String repeats = LogDeduplication.takeSummary();
        if (!repeats.isEmpty()) {
          out.println("         " + repeats);
        }
        ok &= runOk;
        return new RunResult(rates, runOk);
      }
    }

    /** Prints and returns the median of {@code values} (reps x members); -1 if none. */
    private double summarize(String system, List<Double> values) {
      if (values.isEmpty()) {
        return -1;
      }
      double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = v.length % 2 == 1 ? v[v.length / 2]
          : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      out.printf(Locale.ROOT, "%-8s throughput: median %,.0f ops/s per member (min %,.0f, max"
          + " %,.0f; %d values = reps x members)%n", system, median, v[0], v[v.length - 1],
          v.length);
      return median;
    }

    /** Returns {p50, p99} in ns over every member's deliveries. */
    long[] latency(String system) throws Exception {
      try (BenchGroup g = start(system)) {
        form(g);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(length.latencyRampMillis);
        long end = start + TimeUnit.MILLISECONDS.toNanos(length.latencyMillis);
        for (int i = 0; i < g.size(); i++) {
          g.meter(i).latencyWindow(start, end);
        }
        Senders senders = new Senders(g, LATENCY_RATE_PER_MEMBER);
        senders.start();
        LockSupport.parkNanos(start - System.nanoTime());
        long[] sent0 = senders.sent();
        Snapshot s0 = Snapshot.take(g);
        LockSupport.parkNanos(end - System.nanoTime());
        long[] sent1 = senders.sent();
        Snapshot s1 = Snapshot.take(g);
        senders.stop();
        String check = check(g, senders); // waits until everything sent was delivered
        double seconds = (end - start) / 1e9;
        double[] offered = new double[g.size()];
        for (int i = 0; i < offered.length; i++) {
          offered[i] = (sent1[i] - sent0[i]) / seconds;
        }
        LatencyHistogram all = new LatencyHistogram();
        LatencyHistogram remote = new LatencyHistogram();
        for (int i = 0; i < g.size(); i++) {
          all.addAll(g.meter(i).latencies());
          remote.addAll(g.meter(i).remoteLatencies());
        }
        long[] p = {all.quantile(0.50), all.quantile(0.99)};
        boolean saturated = Arrays.stream(offered).min().orElse(0)
            < 0.95 * LATENCY_RATE_PER_MEMBER;
        out.printf(Locale.ROOT, "%-8s latency at %s ops/s sent per member%s (%.1f s, %,d"
            + " deliveries): p50 %s  p90 %s  p99 %s  p99.9 %s; remote deliveries only: p50 %s"
            + "  p99 %s  (%s; send failures %s; %s)%n", system, join(offered),
            saturated ? " (SATURATED: could not keep up with the " + String.format(Locale.ROOT,
                "%,d", LATENCY_RATE_PER_MEMBER) + " offered; latency is queueing delay)" : "",
            seconds, all.count(),
            us(p[0]), us(all.quantile(0.90)), us(p[1]), us(all.quantile(0.999)),
            us(remote.quantile(0.50)), us(remote.quantile(0.99)), Snapshot.cpu(s0, s1),
            g.failureSummary(), check);
        ok &= check.startsWith("ok");
        String repeats = LogDeduplication.takeSummary();
        if (!repeats.isEmpty()) {
          out.println("         " + repeats);
        }
        return p;
      }
    }

    /**
     * After the senders stopped: waits until every member delivered every op of every origin,
     * then checks the per-origin order errors. Returns "ok: ..." or what is wrong.
     */
    private String check(BenchGroup g, Senders senders) throws InterruptedException {
      long[] sent = senders.sent();
      long deadline = System.nanoTime() + SETTLE_TIMEOUT_NANOS;
      if (!g.awaitSendsSettled(SETTLE_TIMEOUT_NANOS)) {
        return "NOT SETTLED: submits still pending after "
            + TimeUnit.NANOSECONDS.toSeconds(SETTLE_TIMEOUT_NANOS) + " s";
      }
      for (int i = 0; i < g.size(); i++) {
        for (int j = 0; j < g.size(); j++) {
          while (g.meter(i).deliveredFrom(j) < sent[j]) {
            if (System.nanoTime() > deadline) {
              return "NOT CONVERGED: member " + i + " delivered " + g.meter(i).deliveredFrom(j)
                  + " of the " + sent[j] + " ops of member " + j;
            }
            TimeUnit.MILLISECONDS.sleep(5);
          }
        }
      }
      long errors = 0;
      for (int i = 0; i < g.size(); i++) {
        errors += g.meter(i).orderErrors() + g.stateOrderErrors(i);
        long[] applied = g.appliedPerOrigin(i);
        for (int j = 0; j < g.size(); j++) {
          if (applied[j] != sent[j] || g.meter(i).deliveredFrom(j) != sent[j]) {
            return "WRONG COUNT: member " + i + " applied " + applied[j] + " and delivered "
                + g.meter(i).deliveredFrom(j) + " ops of member " + j + ", which sent "
                + sent[j];
          }
        }
      }
      if (errors != 0 || g.failures() != 0) {
        return "WRONG: " + errors + " ops out of order, " + g.failures() + " sends failed";
      }
      long total = Arrays.stream(sent).sum();
      return String.format(Locale.ROOT, "ok: every member delivered all %,d ops, each origin's"
          + " in order", total);
    }
  }

  /** Counters read at one instant. */
  private record Snapshot(long nanos, long[] delivered, long jitMillis, long gcMillis,
      long cpuNanos, long[] machineTicks) {
    static Snapshot take(BenchGroup g) {
      long[] delivered = new long[g.size()];
      long nanos = System.nanoTime();
      for (int i = 0; i < delivered.length; i++) {
        delivered[i] = g.meter(i).delivered();
      }
      long gc = 0;
      for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
        gc += Math.max(0, b.getCollectionTime());
      }
      long cpu = ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
      return new Snapshot(nanos, delivered,
          ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), gc, cpu,
          readMachineTicks());
    }

    /** {busy, idle, steal} clock ticks of the whole machine from /proc/stat, or null. */
    static long[] readMachineTicks() {
      try {
        String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0)
            .trim().split("\\s+");
        // cpu user nice system idle iowait irq softirq steal
        long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
            + Long.parseLong(f[6]) + Long.parseLong(f[7]);
        return new long[] {busy, Long.parseLong(f[4]) + Long.parseLong(f[5]),
            Long.parseLong(f[8])};
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /**
     * "process cpu 1.95 cores; machine: busy 1.97, idle 0.01, stolen 0.02 cores" over the
     * interval, flagged when other processes took a noticeable share of the machine.
     */
    static String cpu(Snapshot a, Snapshot b) {
      double seconds = (b.nanos - a.nanos) / 1e9;
      double process = (b.cpuNanos - a.cpuNanos) / 1e9 / seconds;
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "process cpu %.2f cores",
          process));
      if (a.machineTicks != null && b.machineTicks != null) {
        double hz = 100; // USER_HZ on Linux
        double busy = (b.machineTicks[0] - a.machineTicks[0]) / hz / seconds;
        sb.append(String.format(Locale.ROOT, "; machine: busy %.2f, idle %.2f, stolen %.2f cores",
            busy, (b.machineTicks[1] - a.machineTicks[1]) / hz / seconds,
            (b.machineTicks[2] - a.machineTicks[2]) / hz / seconds));
        if (busy - process > OTHER_LOAD_CORES) {
          sb.append(String.format(Locale.ROOT, " (OTHER LOAD: %.2f cores used by other"
              + " processes)", busy - process));
        }
      }
      return sb.toString();
    }
  }

  /**
   * One thread per member, submitting payloads 2, 3, 4, ... (1 was sent by {@code form}): as fast
   * as the system lets it ({@code ratePerMember == 0}) or paced at a rate, catching up in bursts
   * when it fell behind.
   */
  private static final class Senders {
    private final BenchGroup group;
    private final long ratePerMember;
    private final AtomicLong[] sent;
    private final Thread[] threads;
    private volatile boolean stop;

    Senders(BenchGroup group, long ratePerMember) {
      this.group = group;
      this.ratePerMember = ratePerMember;
      this.sent = new AtomicLong[group.size()];
      this.threads = new Thread[group.size()];
      for (int i = 0; i < threads.length; i++) {
        int member = i;
        sent[i] = new AtomicLong(1);
        threads[i] = new Thread(() -> loop(member), "bench-sender-" + group.name() + "-" + i);
        threads[i].setDaemon(true);
      }
    }

    void start() {
      for (Thread t : threads) {
        t.start();
      }
    }

    /** Ops sent so far by each member, operation 1 included. */
    long[] sent() {
      long[] s = new long[sent.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = sent[i].get();
      }
      return s;
    }

    private void loop(int member) {
      AtomicLong count = sent[member];
      long start = System.nanoTime();
      try {
        while (!stop) {
          if (ratePerMember == 0) {
            group.send(member, DeliveryMeter.payload(count.get() + 1));
            count.incrementAndGet();
          } else {
            long due = (System.nanoTime() - start) * ratePerMember / 1_000_000_000L + 1;
            while (count.get() < due && !stop) {
              group.send(member, DeliveryMeter.payload(count.get() + 1));
              count.incrementAndGet();
            }
            LockSupport.parkNanos(20_000);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void stop() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(10));
        if (t.isAlive()) {
          t.interrupt(); // stuck in back-pressure: the check will say so
          t.join(TimeUnit.SECONDS.toMillis(5));
        }
      }
    }
  }

  // ---------------------------------------------------------------- figures

  private static String join(double[] values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", v));
    }
    return sb.toString();
  }

  private static long micros(long nanos) {
    return nanos < 0 ? -1 : Math.round(nanos / 1000.0);
  }

  private static String us(long nanos) {
    return nanos < 0 ? "n/a" : String.format(Locale.ROOT, "%,d us", Math.round(nanos / 1000.0));
  }
}
