package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.Replica;
import dev.meridian.replica.StateMachine;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotMember;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code ./meridian bench snapshot}: Chandy–Lamport snapshots of a group under causal load, 3 and
 * then 9 members in this JVM over gRPC on 127.0.0.1. Member {@code m<i>} is three runtimes under
 * one node id: a {@link GroupMember} (the views), a {@link SnapshotMember} beside it, and a causal
 * {@link Replica} (as in {@code bench causal}: {@link GroupMember} has no causal ordering, only
 * total and FIFO, so the library's causal multicast is the {@link Replica}).
 *
 * <p>Two loads run continuously through every phase:
 *
 * <ul>
 *   <li><b>Causal multicast</b>, the load the figures are about: every member submits 64-byte
 *       operations to its replica, closed loop with a window: at most {@value #CAUSAL_WINDOW}
 *       of its operations not yet delivered at every member (so no queue grows without bound;
 *       see {@link CausalLoad} for why the window counts delivery everywhere).
 *   <li><b>The application the snapshots record</b>: every member sends to all the others, round
 *       robin, through its snapshot member, with at most {@value #WINDOW} of its messages not yet
 *       delivered (as a flow-controlled application would; without a window the members fill
 *       their links' send buffers, and a marker, which must queue behind them in FIFO order,
 *       measures only how long thousands of queued messages take to drain). This keeps the
 *       recorded channels non-empty.
 * </ul>
 *
 * <p>Phases, after a warm-up: loads alone, loads with snapshots back to back (initiators taking
 * turns), loads alone again. Reported per size: snapshot latency (from the call to the completed
 * snapshot at the initiator); causal operations delivered per second per member (every origin's,
 * its own included) without snapshots (mean of the two load-alone phases) and with them, and the
 * drop; the point-to-point messages delivered per second, with and without, for information.
 * Each snapshot is checked: the messages the members recorded as sent equal those recorded as
 * received plus those recorded in flight. Each run is checked to converge: once the loads stop,
 * every member must deliver every causal operation of every origin, each origin's in order, or
 * the run prints NOT CONVERGED and the exit status is 1. Last line {@code snapshot_p50_ms=<n>
 * snapshot_p99_ms=<n> throughput_drop_pct=<n>}: for each figure the worse of the two sizes (a
 * drop below zero, i.e. noise, as 0).
 */
public final class SnapshotBench {
  private SnapshotBench() {}

  /**
   * How long to warm up and to measure each phase, and which group sizes. The quick run, a smoke
   * test for CI, measures 3 members only: with 9, the causal replicas alone stall for seconds at
   * times (see the README), which a smoke run should not hinge on.
   */
  public enum Length {
    FULL(Duration.ofSeconds(3), Duration.ofSeconds(5), 3, 9),
    QUICK(Duration.ofSeconds(1), Duration.ofMillis(1500), 3);

    final Duration warmUp;
    final Duration phase;
    final int[] sizes;

    Length(Duration warmUp, Duration phase, int... sizes) {
      this.warmUp = warmUp;
      this.phase = phase;
      this.sizes = sizes;
    }
  }

  private static final int BATCH = 64;
  /** Point-to-point messages each member may have sent and not yet seen delivered. */
  private static final int WINDOW = 512;
  /** Causal ops each member may have submitted and not yet seen delivered at every member. */
  private static final int CAUSAL_WINDOW = 512;
  /** How long the causal load may take to reach every member once it stops. */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

  /** Delivery rates over one phase. */
  private record Rates(double causalOpsPerMember, double messages) {}

  /** The figures of one group size. */
  private record Result(int members, long p50Nanos, long p99Nanos, long snapshots, long failed,
      long inconsistent, Rates before, Rates with, Rates after, String convergence) {
    /** Without snapshots: the mean of the phases before and after them. */
    Rates without() {
      return new Rates((before.causalOpsPerMember() + after.causalOpsPerMember()) / 2,
          (before.messages() + after.messages()) / 2);
    }

    /** The drop in causal operations delivered per second per member while snapshots ran. */
    double dropPct() {
      return 100 * (without().causalOpsPerMember() - with.causalOpsPerMember())
          / without().causalOpsPerMember();
    }

    boolean converged() {
      return convergence.startsWith("converged");
    }
  }

  /**
   * One thread per member submitting causal operations 1, 2, 3, ... (the {@link DeliveryMeter}
   * payload, 64 bytes), closed loop: at most {@value #CAUSAL_WINDOW} of its operations not yet
   * delivered at every member. A window on submits not yet applied at the origin (what {@code
   * bench causal} bounds) is not enough with 9 members: an op is applied at its origin at once,
   * so each member runs up to its send buffer (4,096 ops per peer by default) ahead, 8 peers'
   * worth of which overflow a receiver's 16,384 ops waiting for their causal past, and the group
   * crawls on retransmissions (seen: no progress for seconds, not converged 20 s after the load
   * stopped).
   */
  private static final class CausalLoad {
    private final MeridianGroup group;
    private final AtomicLongArray sent;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    CausalLoad(MeridianGroup group) {
      this.group = group;
      this.sent = new AtomicLongArray(group.size());
      for (int i = 0; i < group.size(); i++) {
        int member = i;
        Thread t = new Thread(() -> submitUntilStopped(member), "snapshot-bench-causal-" + i);
        t.setDaemon(true);
        threads.add(t);
      }
    }

    void start() {
      threads.forEach(Thread::start);
    }

    private void submitUntilStopped(int member) {
      try {
        while (!stop) {
          if (sent.get(member) - deliveredEverywhere(member) >= CAUSAL_WINDOW) {
            LockSupport.parkNanos(50_000); // the window is full: wait for deliveries
            continue;
          }
          group.send(member, DeliveryMeter.payload(sent.get(member) + 1));
          sent.incrementAndGet(member);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // stopping; the op was not submitted, nor counted
      }
    }

    /** How many of {@code origin}'s operations every member has delivered. */
    private long deliveredEverywhere(int origin) {
      long least = Long.MAX_VALUE;
      for (int i = 0; i < group.size(); i++) {
        least = Math.min(least, group.meter(i).deliveredFrom(origin));
      }
      return least;
    }

    /** Stops the submitters; returns the operations each member submitted. */
    long[] stop() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join(10_000);
        if (t.isAlive()) {
          t.interrupt(); // blocked in a submit that never returns: the convergence check says so
          t.join(5_000);
        }
      }
      long[] counts = new long[sent.length()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = sent.get(i);
      }
      return counts;
    }
  }

  /** A member's traffic counts: touched only on its snapshot member's event thread. */
  private static final class Counts {
    long sent;
    long received;
    int next; // the next message's peer, round robin: 0..n-2, counted without this member

    String record() {
      return "sent=" + sent + " received=" + received;
    }
  }

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  /** Runs the benchmark; false if a size failed, or a snapshot failed or was inconsistent. */
  public static boolean run(Length length, PrintStream out) throws Exception {
    String sizes = Arrays.stream(length.sizes).mapToObj(Integer::toString)
        .collect(java.util.stream.Collectors.joining(", then "));
    out.printf(Locale.ROOT, "snapshot: %s members on 127.0.0.1 under causal load, each"
        + " submitting %d-byte causal ops (at most %d not yet delivered everywhere) and sending point-to-point"
        + " messages to all the others (at most %d undelivered), continuously; %.1f s warm-up,"
        + " then %.1f s each: loads alone, loads with snapshots back to back, loads alone."
        + " throughput_drop_pct: causal ops delivered per second per member. Last line: the worse"
        + " of the sizes for each figure.%n", sizes, DeliveryMeter.PAYLOAD_BYTES,
        CAUSAL_WINDOW, WINDOW, length.warmUp.toMillis() / 1e3, length.phase.toMillis() / 1e3);
    List<Result> results = new ArrayList<>();
    boolean ok = true;
    for (int n : length.sizes) {
      Result r = measure(n, length);
      results.add(r);
      out.printf(Locale.ROOT, "members=%d snapshots=%d failed=%d inconsistent=%d"
          + " snapshot_p50_ms=%.1f snapshot_p99_ms=%.1f causal_ops_per_s_per_member_without=%.0f"
          + " causal_ops_per_s_per_member_with=%.0f throughput_drop_pct=%.1f"
          + " msgs_per_s_without=%.0f msgs_per_s_with=%.0f%n", r.members(), r.snapshots(),
          r.failed(), r.inconsistent(), r.p50Nanos() / 1e6, r.p99Nanos() / 1e6,
          r.without().causalOpsPerMember(), r.with().causalOpsPerMember(), r.dropPct(),
          r.without().messages(), r.with().messages());
      // The phases one by one: whether "without" is a steady rate or the mean of two unlike ones.
      out.printf(Locale.ROOT, "members=%d causal ops/s per member: alone %.0f, with snapshots %.0f,"
          + " alone again %.0f; causal load %s%n", r.members(), r.before().causalOpsPerMember(),
          r.with().causalOpsPerMember(), r.after().causalOpsPerMember(), r.convergence());
      ok &= r.snapshots() > 0 && r.failed() == 0 && r.inconsistent() == 0 && r.converged();
    }
    if (!ok) {
      out.println("NOTE: a snapshot failed or was inconsistent, or a run did not converge (lines"
          + " above); figures are not to be quoted");
    }
    long p50 = results.stream().mapToLong(Result::p50Nanos).max().orElseThrow();
    long p99 = results.stream().mapToLong(Result::p99Nanos).max().orElseThrow();
    double drop = results.stream().mapToDouble(Result::dropPct).max().orElseThrow();
    // whole milliseconds, as every bench's last line gives its figures (the lines above have
    // the tenths)
    out.printf(Locale.ROOT, "snapshot_p50_ms=%d snapshot_p99_ms=%d throughput_drop_pct=%d%n",
        Math.round(p50 / 1e6), Math.round(p99 / 1e6), Math.max(0, Math.round(drop)));
    out.flush();
    return ok;
  }

  private static Result measure(int n, Length length) throws Exception {
    int[] ports = Ports.freeLoopbackPorts(3 * n); // group members, snapshot members, replicas
    List<GroupMember<byte[], byte[], Void>> group = new ArrayList<>();
    MeridianGroup causal = null;
    CausalLoad causalLoad = null;
    List<SnapshotMember<Long>> members = new ArrayList<>();
    List<Counts> counts = new ArrayList<>();
    LongAdder delivered = new LongAdder();
    AtomicLongArray deliveredFrom = new AtomicLongArray(n); // per sender
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> senders = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        // Generous suspicion: n members' threads share the machine's cores.
        GroupMemberBuilder g = GroupMember.builder().nodeId(m(i)).listen("127.0.0.1:" + ports[i])
            .suspectAfter(Duration.ofSeconds(5));
        for (int j = 0; j < n; j++) {
          if (j != i) {
            g.peer(m(j), "127.0.0.1:" + ports[j]);
          }
        }
        group.add(g.stateMachine(StateMachine.none()).start());
      }
      for (int i = 0; i < n; i++) {
        Counts c = new Counts();
        counts.add(c);
        var s = SnapshotMember.<Long, String>builder().member(group.get(i))
            .listen("127.0.0.1:" + ports[n + i])
            .messageCodec(Codec.int64()).stateCodec(Codec.utf8())
            .recorder(id -> c.record())
            .inbox((from, seq) -> {
              c.received++;
              delivered.increment();
              deliveredFrom.incrementAndGet(Integer.parseInt(from.value().substring(1)));
            });
        for (int j = 0; j < n; j++) {
          if (j != i) {
            s.peer(m(j), "127.0.0.1:" + ports[n + j]);
          }
        }
        members.add(s.start());
      }
      // Its own cap on submits not yet applied at their origin is never reached: each member's
      // window counts every such submit too.
      causal = MeridianGroup.start(CAUSAL_WINDOW, Arrays.copyOfRange(ports, 2 * n, 3 * n));
      // The first snapshot waits for the first view with every member's incarnation.
      members.get(0).snapshot(Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
      causalLoad = new CausalLoad(causal);
      causalLoad.start();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < n; i++) {
        int self = i;
        Counts c = counts.get(i);
        SnapshotMember<Long> member = members.get(i);
        Thread t = new Thread(() -> {
          try {
            while (!stop.get()) {
              int sent = member.act(outbox -> {
                long room = WINDOW - (c.sent - deliveredFrom.get(self));
                int k = 0;
                for (; k < Math.min(BATCH, room); k++) {
                  int peer = c.next < self ? c.next : c.next + 1; // every member but self
                  if (!outbox.trySend(m(peer), c.sent)) {
                    break; // that peer's send buffer is full: back-pressure
                  }
                  c.sent++;
                  c.next = (c.next + 1) % (n - 1);
                }
                return k;
              }).get(30, TimeUnit.SECONDS);
              if (sent == 0) {
                LockSupport.parkNanos(50_000); // the window is full: wait for deliveries
              }
            }
          } catch (Exception e) {
            failures.add(e);
          }
        }, "snapshot-bench-sender-" + i);
        t.setDaemon(true);
        t.start();
        senders.add(t);
      }
      Thread.sleep(length.warmUp.toMillis());
      Rates before = rate(causal, delivered, length.phase);
      LatencyHistogram latency = new LatencyHistogram();
      long[] tally = new long[3]; // completed, failed, inconsistent
      AtomicBoolean snapshotting = new AtomicBoolean(true);
      Thread initiators = new Thread(() -> {
        for (int k = 0; snapshotting.get(); k++) {
          long t0 = System.nanoTime();
          try {
            GlobalSnapshot s = members.get(k % n).snapshot(Duration.ofSeconds(20))
                .get(30, TimeUnit.SECONDS);
            latency.record(System.nanoTime() - t0);
            tally[0]++;
            if (!consistent(s)) {
              tally[2]++;
            }
          } catch (Exception e) {
            tally[1]++;
          }
        }
      }, "snapshot-bench-initiators");
      initiators.start();
      Rates during = rate(causal, delivered, length.phase);
      snapshotting.set(false);
      initiators.join(60_000);
      Rates after = rate(causal, delivered, length.phase);
      long[] submitted = causalLoad.stop();
      stop.set(true);
      for (Thread t : senders) {
        t.join(10_000);
      }
      String convergence = convergence(causal, submitted);
      if (!failures.isEmpty()) {
        throw new IllegalStateException(n + " members: a sender failed: " + failures.get(0),
            failures.get(0));
      }
      return new Result(n, latency.quantile(0.5), latency.quantile(0.99), tally[0], tally[1],
          tally[2], before, during, after, convergence);
    } finally {
      stop.set(true);
      if (causalLoad != null) {
        causalLoad.stop();
      }
      if (causal != null) {
        causal.close();
      }
      members.forEach(SnapshotMember::close);
      group.forEach(GroupMember::halt); // all stop: no graceful leaves to wait for
    }
  }

  /**
   * Over {@code phase}, from now: causal operations delivered per second per member, and
   * point-to-point messages ({@code delivered}) per second in all.
   */
  private static Rates rate(MeridianGroup causal, LongAdder delivered, Duration phase)
      throws InterruptedException {
    long t0 = System.nanoTime();
    long c0 = causalDeliveries(causal);
    long d0 = delivered.sum();
    Thread.sleep(phase.toMillis());
    long c1 = causalDeliveries(causal);
    long d1 = delivered.sum();
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Rates((c1 - c0) / seconds / causal.size(), (d1 - d0) / seconds);
  }

  /** Causal operations delivered so far, summed over the members. */
  private static long causalDeliveries(MeridianGroup causal) {
    long sum = 0;
    for (int i = 0; i < causal.size(); i++) {
      sum += causal.meter(i).delivered();
    }
    return sum;
  }

  /**
   * After the causal load stopped: waits until every member delivered every operation that every
   * member submitted, then checks counts and order. Returns "converged: ..." or what is wrong,
   * starting with NOT CONVERGED.
   */
  private static String convergence(MeridianGroup causal, long[] submitted)
      throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    if (!causal.awaitSendsSettled(SETTLE_TIMEOUT.toNanos())) {
      return "NOT CONVERGED: causal submits still not applied at their origin after "
          + SETTLE_TIMEOUT.toSeconds() + " s";
    }
    for (int i = 0; i < causal.size(); i++) {
      for (int j = 0; j < causal.size(); j++) {
        while (causal.meter(i).deliveredFrom(j) < submitted[j]) {
          if (System.nanoTime() > deadline) {
            return "NOT CONVERGED: member " + i + " delivered " + causal.meter(i).deliveredFrom(j)
                + " of the " + submitted[j] + " causal ops of member " + j + " within "
                + SETTLE_TIMEOUT.toSeconds() + " s";
          }
          Thread.sleep(5);
        }
      }
    }
    long outOfOrder = 0;
    for (int i = 0; i < causal.size(); i++) {
      outOfOrder += causal.meter(i).orderErrors() + causal.stateOrderErrors(i);
      long[] applied = causal.appliedPerOrigin(i);
      for (int j = 0; j < causal.size(); j++) {
        if (applied[j] != submitted[j] || causal.meter(i).deliveredFrom(j) != submitted[j]) {
          return "NOT CONVERGED: member " + i + " applied " + applied[j] + " and delivered "
              + causal.meter(i).deliveredFrom(j) + " causal ops of member " + j
              + ", which submitted " + submitted[j];
        }
      }
    }
    if (outOfOrder != 0 || causal.failures() != 0) {
      return "NOT CONVERGED: " + outOfOrder + " causal ops out of order, " + causal.failures()
          + " submits failed (" + causal.failureSummary() + ")";
    }
    return String.format(Locale.ROOT, "converged: every member delivered all %,d causal ops,"
        + " each origin's in order", Arrays.stream(submitted).sum());
  }

  /** Sent = received + in flight: no message lost or counted twice by the cut. */
  private static boolean consistent(GlobalSnapshot s) {
    long sent = 0;
    long received = 0;
    for (String state : s.states().values()) {
      String[] parts = state.split(" ");
      sent += Long.parseLong(parts[0].substring("sent=".length()));
      received += Long.parseLong(parts[1].substring("received=".length()));
    }
    long inFlight = 0;
    for (GlobalSnapshot.Channel c : s.channels()) {
      inFlight += c.messages().size();
    }
    return sent == received + inFlight;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    System.exit(run(quick ? Length.QUICK : Length.FULL, System.out) ? 0 : 1);
  }
}
