package dev.meridian.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code meridian bench total}: a load generator (not JMH) that measures Meridian's total-order
 * replication ({@link MeridianTotalGroup}: {@code GroupMember}, {@code Ordering.TOTAL}) and
 * JGroups with SEQUENCER ({@link JGroupsSequencerGroup}) side by side, in one JVM, on 127.0.0.1.
 *
 * <ul>
 *   <li><b>Throughput.</b> Three members; each submits 64-byte operations as fast as
 *       back-pressure allows. Reported: operations delivered per second at each member (its own
 *       included, as JGroups counts them), the median over runs x members. Runs alternate
 *       Meridian, JGroups, Meridian, JGroups...; each run starts a fresh group, and a Meridian
 *       run starts sending only once all three members are in one view of three.
 *   <li><b>Warm-up.</b> As {@link CausalBench}: before anything is measured, each system runs at
 *       full load, unmeasured, until the JIT has settled (compilation under 5 % of two
 *       consecutive seconds and no C2 compilation running or queued), in rounds of A B; in every
 *       run the first seconds after the load starts are discarded too, and the JIT compile time
 *       inside each measured window is printed ({@code jit_ms}).
 *   <li><b>Correctness.</b> After each run (warm-ups included) the senders stop and every member
 *       must have delivered every operation of every origin, each origin's in the order issued,
 *       and all members in one and the same order: each member folds the sequence of (origin,
 *       number) it applies into an order-sensitive hash (Meridian: in its replicated state;
 *       JGroups: at delivery), and the hashes must be equal. Failures are printed and make the
 *       exit status 1.
 * </ul>
 *
 * <p>{@link #run} forks a JVM with a fixed heap ({@code -Xms2g -Xmx2g}) that runs {@link #main};
 * running {@code main} directly (e.g. under a profiler) measures in the current JVM. The last
 * line printed is always {@code meridian_total_ops_per_s=<n> jgroups_seq_msgs_per_s=<n>
 * ratio=<r>}.
 */
public final class TotalBench {
  static final int MEMBERS = 3;
  /** Meridian submits each member may have outstanding (not yet applied at itself). */
  static final int MAX_IN_FLIGHT = 4096;
  /** The engine's own limit, above {@link #MAX_IN_FLIGHT} (the default, 10,000). */
  static final int MAX_QUEUED_SUBMITS = 0;
  static final long FORM_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  // milliseconds when all is well; a start that needs longer is retried (formedGroup)
  static final long FIRST_OPS_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  static final int FORM_ATTEMPTS = 3;
  static final long SETTLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  static final String HEAP = "2g";
  /** Warm-up ends once compiling took less than this share of wall time, twice in a row. */
  static final double JIT_SETTLED_SHARE = 0.05;

  private TotalBench() {}

  /** How long each phase lasts: the full run for figures to quote, quick for a smoke test. */
  public enum Length {
    FULL(2, 5_000, 90_000, 2_000, 15_000, 3),
    QUICK(1, 1_000, 1_000, 500, 2_000, 1);

    final int warmupRounds;
    final long warmupMillis;
    final long maxWarmupMillis;
    final long rampMillis;
    final long measureMillis;
    final int reps;

    Length(int warmupRounds, long warmupMillis, long maxWarmupMillis, long rampMillis,
        long measureMillis, int reps) {
      this.warmupRounds = warmupRounds;
      this.warmupMillis = warmupMillis;
      this.maxWarmupMillis = maxWarmupMillis;
      this.rampMillis = rampMillis;
      this.measureMillis = measureMillis;
      this.reps = reps;
    }

    /** An upper bound of the whole run, for the watchdogs. */
    long budgetMillis() {
      long perRun = 2 * FORM_TIMEOUT_NANOS / 1_000_000 + 2 * SETTLE_TIMEOUT_NANOS / 1_000_000;
      long runs = 2L * (reps + warmupRounds);
      return 2 * warmupRounds * maxWarmupMillis + 2L * reps * (rampMillis + measureMillis)
          + runs * perRun;
    }
  }

  // ---------------------------------------------------------------- entry points

  /**
   * Runs the benchmark in a forked JVM with a fixed heap, copying its output to {@code out}.
   *
   * @return true when every run completed and converged in one total order
   */
  public static boolean run(Length length, PrintStream out) throws IOException,
      InterruptedException {
    return ForkedBench.run(TotalBench.class, "total", HEAP, length == Length.QUICK,
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
              + "; usage: TotalBench [--quick] [--only meridian|jgroups]");
          System.exit(2);
        }
      }
    }
    if (only != null && !only.equals("meridian") && !only.equals("jgroups")) {
      System.err.println("--only takes meridian or jgroups, got " + only);
      System.exit(2);
    }
    ForkedBench.selfDestructAfter("TotalBench", length.budgetMillis());
    LogDeduplication.install();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    boolean ok;
    try {
      ok = new Runner(length, only, out).run();
    } catch (Exception | Error e) {
      out.flush();
      System.err.println("TotalBench failed: " + e);
      e.printStackTrace();
      out.println("meridian_total_ops_per_s=-1 jgroups_seq_msgs_per_s=-1 ratio=NaN");
      ok = false;
    }
    out.flush();
    System.exit(ok ? 0 : 1); // also ends threads a failed run may have left behind
  }

  // ---------------------------------------------------------------- the runs

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
      // Two rounds in FULL: code both systems share (JDK queues, executors, locks) is
      // recompiled when the other system's run changes its profile.
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
          for (double v : throughput("meridian", label)) {
            m.add(v);
          }
        }
        if (jgroups) {
          for (double v : throughput("jgroups", label)) {
            j.add(v);
          }
        }
      }
      double mMedian = summarize("meridian", m);
      double jMedian = summarize("jgroups", j);
      double ratio = jMedian > 0 && mMedian >= 0 ? mMedian / jMedian : Double.NaN;
      if (!ok) {
        out.println("NOTE: at least one run failed or did not converge (lines above); figures"
            + " are not to be quoted");
      }
      out.printf(Locale.ROOT, "meridian_total_ops_per_s=%d jgroups_seq_msgs_per_s=%d"
          + " ratio=%.4f%n", Math.round(mMedian), Math.round(jMedian), ratio);
      return ok;
    }

    private void header() {
      Runtime rt = Runtime.getRuntime();
      out.printf(Locale.ROOT, "total-order multicast: %d members in one JVM on 127.0.0.1, %d-byte"
          + " operations, every member sending; Java %s, %d CPUs, heap %d MiB%n", MEMBERS,
          DeliveryMeter.PAYLOAD_BYTES, System.getProperty("java.version"),
          rt.availableProcessors(), rt.maxMemory() >> 20);
      out.printf(Locale.ROOT, "  meridian: GroupMember.builder() defaults over gRPC, submit(op,"
          + " Ordering.TOTAL), a state machine that counts ops per origin and hashes the order"
          + " it applies them in; at most %d submits in flight per member (a Semaphore released"
          + " when the own op is applied); sending starts once all are in one view of %d%n",
          MAX_IN_FLIGHT, MEMBERS);
      out.printf(Locale.ROOT, "  jgroups:  %s, %s + SEQUENCER above UFC (tcp.xml: TCP bundler pd"
          + " capacity 64k max_size 64K, diag off, no virtual threads, 127.0.0.1)%n",
          JGroupsGroup.version(), JGroupsGroup.STACK);
      out.printf(Locale.ROOT, "  throughput: %d alternating reps of %.1f s per system, each a"
          + " fresh group, the first %.1f s of each discarded; warm-up first, %d round(s) of"
          + " A B: each system at full load, unmeasured, until JIT compilation took < %.0f%% of"
          + " two consecutive seconds with no C2 compile running or queued (at least %.0f s, at"
          + " most %.0f s)%n", length.reps,
          length.measureMillis / 1000.0, length.rampMillis / 1000.0, length.warmupRounds,
          JIT_SETTLED_SHARE * 100,
          length.warmupMillis / 1000.0, length.maxWarmupMillis / 1000.0);
    }

    private BenchGroup start(String system) throws Exception {
      System.gc(); // the previous group's garbage is not this one's to collect
      if (system.equals("meridian")) {
        return MeridianTotalGroup.start(MEMBERS, MAX_IN_FLIGHT, MAX_QUEUED_SUBMITS);
      }
      return JGroupsSequencerGroup.start(MEMBERS, Duration.ofNanos(FORM_TIMEOUT_NANOS));
    }

    /**
     * A fresh group in which every member delivered every member's operation 1. Under load a
     * member started last may still be suspected after the group formed, be removed and come
     * back with a state transfer (whose operations its meter never sees); such a start is
     * reported and a fresh group is started, at most {@value #FORM_ATTEMPTS} times in all.
     */
    private BenchGroup formedGroup(String system) throws Exception {
      for (int attempt = 1; ; attempt++) {
        BenchGroup g = start(system);
        try {
          form(g);
          return g;
        } catch (IllegalStateException e) {
          g.close();
          if (attempt == FORM_ATTEMPTS) {
            throw e;
          }
          out.printf(Locale.ROOT, "%-8s group start %d of %d failed, starting a fresh group: %s%n",
              system, attempt, FORM_ATTEMPTS, e.getMessage());
        } catch (RuntimeException | InterruptedException e) {
          g.close();
          throw e;
        }
      }
    }

    /** Each member sends operation 1 and every member must deliver all of them. */
    private void form(BenchGroup g) throws InterruptedException {
      for (int i = 0; i < g.size(); i++) {
        g.send(i, DeliveryMeter.payload(1));
      }
      long deadline = System.nanoTime() + FIRST_OPS_TIMEOUT_NANOS;
      for (int i = 0; i < g.size(); i++) {
        while (g.meter(i).delivered() < g.size()) {
          if (System.nanoTime() > deadline) {
            StringBuilder perMember = new StringBuilder();
            for (int k = 0; k < g.size(); k++) {
              perMember.append(k == 0 ? "" : ", ").append(g.meter(k).delivered());
            }
            String stats = g.stats();
            throw new IllegalStateException(g.name() + " member " + i + " delivered only "
                + g.meter(i).delivered() + " of the first " + g.size() + " ops within "
                + TimeUnit.NANOSECONDS.toSeconds(FIRST_OPS_TIMEOUT_NANOS) + " s (delivered per"
                + " member: " + perMember + "; send failures " + g.failureSummary()
                + (stats.isEmpty() ? "" : "; " + stats) + ")");
          }
          TimeUnit.MILLISECONDS.sleep(5);
        }
      }
    }

    /**
     * Runs {@code system} at full load, unmeasured, in slices of one second until the JIT has
     * settled, after at least {@code warmupMillis} and at most {@code maxWarmupMillis}.
     */
    void warmUp(String system, int round) throws Exception {
      try (BenchGroup g = formedGroup(system)) {
        Senders senders = new Senders(g);
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
        String stats = g.stats();
        out.printf(Locale.ROOT, "%-8s warm-up %d %.0f s at full load, %s (JIT compile time in"
            + " the last second: %d ms); last second's ops/s per member: %s; send failures %s;"
            + " %s%s%n", system, round,
            (last.nanos - begin) / 1e9, quiet >= 2 ? "until the JIT settled"
                : "stopped at the time limit, JIT NOT settled", last.jitMillis - prev.jitMillis,
            join(rates), g.failureSummary(), check, stats.isEmpty() ? "" : "; " + stats);
        ok &= check.startsWith("ok");
        printRepeats();
      }
    }

    double[] throughput(String system, String label) throws Exception {
      try (BenchGroup g = formedGroup(system)) {
        Senders senders = new Senders(g);
        senders.start();
        TimeUnit.MILLISECONDS.sleep(length.rampMillis);
        Snapshot s0 = Snapshot.take(g);
        TimeUnit.MILLISECONDS.sleep(length.measureMillis);
        Snapshot s1 = Snapshot.take(g);
        senders.stop();
        double[] rates = new double[g.size()];
        double seconds = (s1.nanos - s0.nanos) / 1e9;
        for (int i = 0; i < rates.length; i++) {
          rates[i] = (s1.delivered[i] - s0.delivered[i]) / seconds;
        }
        String check = check(g, senders);
        String stats = g.stats();
        out.printf(Locale.ROOT, "%-8s %-8s ops/s per member: %s  (%.1f s; jit_ms=%d gc_ms=%d"
            + " %s; send failures %s; %s%s)%n", system, label, join(rates), seconds,
            s1.jitMillis - s0.jitMillis, s1.gcMillis - s0.gcMillis, s0.cpu.describeUntil(s1.cpu),
            g.failureSummary(), check, stats.isEmpty() ? "" : "; " + stats);
        ok &= check.startsWith("ok");
        printRepeats();
        return rates;
      }
    }

    private void printRepeats() {
      String repeats = LogDeduplication.takeSummary();
      if (!repeats.isEmpty()) {
        out.println("         " + repeats);
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

    /**
     * After the senders stopped: waits until every member delivered every op of every origin,
     * then checks counts, each origin's order, and that all members applied everything in one
     * order. Returns "ok: ..." or what is wrong.
     */
    private String check(BenchGroup g, Senders senders) throws InterruptedException {
      long[] sent = senders.sent();
      long total = Arrays.stream(sent).sum();
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
      long fifoErrors = 0;
      for (int i = 0; i < g.size(); i++) {
        fifoErrors += g.meter(i).orderErrors();
        long[] applied = g.appliedPerOrigin(i);
        for (int j = 0; j < g.size(); j++) {
          if (applied[j] != sent[j] || g.meter(i).deliveredFrom(j) != sent[j]) {
            return "WRONG COUNT: member " + i + " applied " + applied[j] + " and delivered "
                + g.meter(i).deliveredFrom(j) + " ops of member " + j + ", which sent "
                + sent[j];
          }
        }
      }
      // Every member now applied exactly the same ops: their order hashes are comparable.
      String order;
      if (g instanceof MeridianTotalGroup mg) {
        MeridianTotalGroup.Summary first = mg.summary(0);
        for (int i = 0; i < g.size(); i++) {
          MeridianTotalGroup.Summary s = mg.summary(i);
          fifoErrors += s.fifoErrors();
          if (s.count() != total) {
            return "WRONG COUNT: member " + i + "'s state applied " + s.count() + " of the "
                + total + " ops sent";
          }
          if (s.hash() != first.hash()) {
            return String.format(Locale.ROOT, "NOT TOTALLY ORDERED: member %d's order (hash"
                + " %016x) differs from member 0's (%016x) over all %,d ops", i, s.hash(),
                first.hash(), total);
          }
        }
        order = String.format(Locale.ROOT, "hash %016x", first.hash());
      } else {
        for (int i = 0; i < g.size(); i++) {
          if (g.stateOrderErrors(i) != 0) {
            return "NOT TOTALLY ORDERED: member " + i + "'s delivery order differs from member"
                + " 0's over all " + total + " messages";
          }
        }
        order = "order hashes equal";
      }
      if (fifoErrors != 0 || g.failures() != 0) {
        return "WRONG: " + fifoErrors + " ops out of their origin's order, " + g.failures()
            + " sends failed";
      }
      return String.format(Locale.ROOT, "ok: every member applied all %,d ops, each origin's in"
          + " order, all members in the same order (%s)", total, order);
    }
  }

  /** Counters read at one instant. */
  private record Snapshot(long nanos, long[] delivered, long jitMillis, long gcMillis,
      CpuSample cpu) {
    static Snapshot take(BenchGroup g) {
      CpuSample cpu = CpuSample.take();
      long[] delivered = new long[g.size()];
      long nanos = System.nanoTime();
      for (int i = 0; i < delivered.length; i++) {
        delivered[i] = g.meter(i).delivered();
      }
      long gc = 0;
      for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
        gc += Math.max(0, b.getCollectionTime());
      }
      return new Snapshot(nanos, delivered,
          ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), gc, cpu);
    }
  }

  /** One thread per member, submitting payloads 2, 3, 4, ... (1 was sent by form) at full load. */
  private static final class Senders {
    private final BenchGroup group;
    private final AtomicLong[] sent;
    private final Thread[] threads;
    private volatile boolean stop;

    Senders(BenchGroup group) {
      this.group = group;
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
      try {
        while (!stop) {
          group.send(member, DeliveryMeter.payload(count.get() + 1));
          count.incrementAndGet();
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

  private static String join(double[] values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", v));
    }
    return sb.toString();
  }
}
