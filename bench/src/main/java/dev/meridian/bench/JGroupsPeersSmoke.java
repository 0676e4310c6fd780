package dev.meridian.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * A smoke run of the JGroups halves of two benchmarks, to check that they work and to see their
 * figures; not a measurement to quote (one rep, short windows, no alternation with Meridian).
 *
 * <ol>
 *   <li>Failover ({@link FailoverHarness} with {@link JGroupsFailoverMember}, three member JVMs):
 *       kill -9 and SIGSTOP of the youngest member, with the stack as described in {@link
 *       JGroupsFailoverMember}; then the same without FD_SOCK2 (heartbeat detection only).
 *   <li>Total-order throughput ({@link JGroupsSequencerGroup}, three members in this JVM): all
 *       members send 64-byte messages, warm-up then a measured window.
 * </ol>
 *
 * <p>Arguments: {@code [--reps N] [--seconds S]} (failover repetitions, default 1; measured
 * throughput window, default 5 s). Run it with {@code -Xms2g -Xmx2g}, as {@code
 * BENCHMARKING.md} measured JGroups in one JVM. The whole run is bounded (it exits after
 * {@link #BUDGET}); exit status 0 when everything worked and the order check passed.
 */
public final class JGroupsPeersSmoke {
  static final Duration BUDGET = Duration.ofMinutes(10);
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private JGroupsPeersSmoke() {}

  public static void main(String[] args) throws Exception {
    int reps = 1;
    int seconds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("unknown argument " + args[i]
              + "; usage: JGroupsPeersSmoke [--reps N] [--seconds S]");
          System.exit(2);
        }
      }
    }
    haltAfter(BUDGET);
    LogDeduplication.install();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Runtime rt = Runtime.getRuntime();
    out.printf(Locale.ROOT, "JGroups %s; Java %s, %d CPUs, heap %d MiB%n", JGroupsGroup.version(),
        System.getProperty("java.version"), rt.availableProcessors(), rt.maxMemory() >> 20);
    int[] somePorts = {7800, 7801, 7802};
    JGroupsStacks.Stack failover = JGroupsFailoverMember.stack(0, somePorts, true,
        JGroupsFailoverMember.DEFAULT_VERIFY_SUSPECT_MS);
    out.printf(Locale.ROOT, "failover stack: %s; FD_ALL3 interval %s timeout %s,"
        + " VERIFY_SUSPECT2 timeout %s%n", failover.names(), failover.get("FD_ALL3", "interval"),
        failover.get("FD_ALL3", "timeout"), failover.get("VERIFY_SUSPECT2", "timeout"));
    out.printf(Locale.ROOT, "sequencer stack: %s%n",
        JGroupsSequencerGroup.stack(0, somePorts).names());

    boolean ok = true;
    try {
      FailoverHarness.Result shipped = FailoverHarness.measure("jgroups",
          (index, ports) -> JGroupsFailoverMember.command(index, ports, true), reps, TIMEOUT);
      out.printf(Locale.ROOT, "failover jgroups (FD_SOCK2 + FD_ALL3 100/500 ms +"
          + " VERIFY_SUSPECT2 %d ms), %d rep(s): kill -9 %d ms %s, hung %d ms %s%n",
          JGroupsFailoverMember.DEFAULT_VERIFY_SUSPECT_MS, reps, shipped.killMedianMs(),
          Arrays.toString(shipped.killMs()), shipped.hangMedianMs(),
          Arrays.toString(shipped.hangMs()));
      FailoverHarness.Result heartbeat = FailoverHarness.measure("jgroups-no-fdsock2",
          (index, ports) -> JGroupsFailoverMember.command(index, ports, false), reps, TIMEOUT);
      out.printf(Locale.ROOT, "failover jgroups without FD_SOCK2 (heartbeats only), %d rep(s):"
          + " kill -9 %d ms %s, hung %d ms %s%n", reps, heartbeat.killMedianMs(),
          Arrays.toString(heartbeat.killMs()), heartbeat.hangMedianMs(),
          Arrays.toString(heartbeat.hangMs()));
    } catch (RuntimeException e) {
      out.println("failover FAILED: " + e.getMessage());
      ok = false;
    }

    try (JGroupsSequencerGroup g = JGroupsSequencerGroup.start(JGroupsSequencerGroup.MEMBERS,
        TIMEOUT)) {
      JGroupsSequencerGroup.Throughput t = g.measure(Duration.ofSeconds(5),
          Duration.ofSeconds(60), Duration.ofSeconds(seconds));
      out.println("sequencer throughput: " + t);
      ok &= t.ok();
    } catch (Exception e) {
      out.println("sequencer FAILED: " + e);
      ok = false;
    }
    String repeats = LogDeduplication.takeSummary();
    if (!repeats.isEmpty()) {
      out.println(repeats);
    }
    out.println(ok ? "smoke: ok" : "smoke: FAILED");
    System.exit(ok ? 0 : 1); // also ends JGroups threads a failed run left behind
  }

  private static void haltAfter(Duration budget) {
    Thread t = new Thread(() -> {
      LockSupport.parkNanos(budget.toNanos());
      System.err.println("JGroupsPeersSmoke: time budget of " + budget.toSeconds()
          + " s exceeded; exiting");
      Thread halt = new Thread(() -> {
        LockSupport.parkNanos(Duration.ofSeconds(15).toNanos());
        Runtime.getRuntime().halt(4); // shutdown hooks hang: give up on them
      }, "jgroups-smoke-halt");
      halt.setDaemon(true);
      halt.start();
      System.exit(4); // runs FailoverHarness's hook, which kills the member processes
    }, "jgroups-smoke-deadline");
    t.setDaemon(true);
    t.start();
  }
}
