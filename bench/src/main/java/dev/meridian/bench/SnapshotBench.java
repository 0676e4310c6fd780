package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
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
 * {@code ./meridian bench snapshot}: Chandy–Lamport snapshots of a loaded group, 3 and then 9
 * members in this JVM over gRPC on 127.0.0.1, each a {@link GroupMember} (the views) with a
 * {@link SnapshotMember} beside it. Every member sends continuously to all the others, round
 * robin, through its snapshot member, closed loop with a window: at most {@value #WINDOW} of its
 * messages not yet delivered (as a flow-controlled application would; without a window the
 * members fill their links' send buffers, and a marker, which must queue behind them in FIFO
 * order, measures only how long thousands of queued messages take to drain). Phases, after a warm-up: load alone, load with snapshots back to
 * back (initiators taking turns), load alone again. Reported per size: snapshot latency (from
 * the call to the completed snapshot at the initiator) and messages delivered per second without
 * snapshots (mean of the two load-alone phases) and with them. Each snapshot is checked: the
 * messages the members recorded as sent equal those recorded as received plus those recorded in
 * flight. Last line {@code snapshot_p50_ms=<n> snapshot_p99_ms=<n> throughput_drop_pct=<n>}: for
 * each figure the worse of the two sizes (a drop below zero, i.e. noise, as 0).
 */
public final class SnapshotBench {
  private SnapshotBench() {}

  /** How long to warm up and to measure each phase. */
  public enum Length {
    FULL(Duration.ofSeconds(3), Duration.ofSeconds(5)),
    QUICK(Duration.ofSeconds(1), Duration.ofMillis(1500));

    final Duration warmUp;
    final Duration phase;

    Length(Duration warmUp, Duration phase) {
      this.warmUp = warmUp;
      this.phase = phase;
    }
  }

  private static final int BATCH = 64;
  private static final int WINDOW = 512;

  /** The figures of one group size. */
  private record Result(int members, long p50Nanos, long p99Nanos, long snapshots, long failed,
      long inconsistent, double withoutPerSec, double withPerSec) {
    double dropPct() {
      return 100 * (withoutPerSec - withPerSec) / withoutPerSec;
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

  /** The group members replicate nothing here; they provide the views. */
  private static final class NoState implements StateMachine<byte[], byte[], byte[]> {
    @Override
    public byte[] initialState() {
      return new byte[0];
    }

    @Override
    public byte[] apply(byte[] state, byte[] op, NodeId origin) {
      return state;
    }

    @Override
    public Codec<byte[]> stateCodec() {
      return Codec.bytes();
    }

    @Override
    public Codec<byte[]> opCodec() {
      return Codec.bytes();
    }
  }

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  /** Runs the benchmark; false if a size failed, or a snapshot failed or was inconsistent. */
  public static boolean run(Length length, PrintStream out) throws Exception {
    out.printf(Locale.ROOT, "snapshot: 3, then 9 members on 127.0.0.1, each sending to all the"
        + " others continuously; %.1f s warm-up, then %.1f s each: load alone, load with snapshots"
        + " back to back, load alone. Last line: the worse of the 3- and 9-member runs for each"
        + " figure.%n", length.warmUp.toMillis() / 1e3, length.phase.toMillis() / 1e3);
    List<Result> results = new ArrayList<>();
    boolean ok = true;
    for (int n : new int[] {3, 9}) {
      Result r = measure(n, length);
      results.add(r);
      out.printf(Locale.ROOT, "members=%d snapshots=%d failed=%d inconsistent=%d"
          + " snapshot_p50_ms=%.1f snapshot_p99_ms=%.1f msgs_per_s_without=%.0f"
          + " msgs_per_s_with=%.0f throughput_drop_pct=%.1f%n", r.members(), r.snapshots(),
          r.failed(), r.inconsistent(), r.p50Nanos() / 1e6, r.p99Nanos() / 1e6,
          r.withoutPerSec(), r.withPerSec(), r.dropPct());
      ok &= r.snapshots() > 0 && r.failed() == 0 && r.inconsistent() == 0;
    }
    long p50 = results.stream().mapToLong(Result::p50Nanos).max().orElseThrow();
    long p99 = results.stream().mapToLong(Result::p99Nanos).max().orElseThrow();
    double drop = results.stream().mapToDouble(Result::dropPct).max().orElseThrow();
    out.printf(Locale.ROOT, "snapshot_p50_ms=%.1f snapshot_p99_ms=%.1f throughput_drop_pct=%d%n",
        p50 / 1e6, p99 / 1e6, Math.max(0, Math.round(drop)));
    out.flush();
    return ok;
  }

  private static Result measure(int n, Length length) throws Exception {
    int[] ports = Ports.freeLoopbackPorts(2 * n);
    List<GroupMember<byte[], byte[], byte[]>> group = new ArrayList<>();
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
        group.add(g.stateMachine(new NoState()).start());
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
      // The first snapshot waits for the first view with every member's incarnation.
      members.get(0).snapshot(Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
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
      double before = rate(delivered, length.phase);
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
      double during = rate(delivered, length.phase);
      snapshotting.set(false);
      initiators.join(60_000);
      double after = rate(delivered, length.phase);
      stop.set(true);
      for (Thread t : senders) {
        t.join(10_000);
      }
      if (!failures.isEmpty()) {
        throw new IllegalStateException(n + " members: a sender failed: " + failures.get(0),
            failures.get(0));
      }
      return new Result(n, latency.quantile(0.5), latency.quantile(0.99), tally[0], tally[1],
          tally[2], (before + after) / 2, during);
    } finally {
      stop.set(true);
      members.forEach(SnapshotMember::close);
      group.forEach(GroupMember::halt); // all stop: no graceful leaves to wait for
    }
  }

  /** Messages delivered per second over {@code phase}, from now. */
  private static double rate(LongAdder delivered, Duration phase) throws InterruptedException {
    long t0 = System.nanoTime();
    long d0 = delivered.sum();
    Thread.sleep(phase.toMillis());
    return (delivered.sum() - d0) / ((System.nanoTime() - t0) / 1e9);
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
