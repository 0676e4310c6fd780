package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import dev.meridian.membership.View;
import dev.meridian.membership.ViewChange;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.Ordering;
import dev.meridian.replica.ReplicaOverloadedException;
import dev.meridian.replica.StateMachine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * Meridian with total order: three members built with the public {@link GroupMember#builder()}
 * and its defaults, over gRPC on 127.0.0.1, each replicating a {@link TotalState} that counts the
 * operations of each origin, checks that each origin's arrive in the order issued, and folds the
 * sequence of (origin, number) it applies into an order-sensitive 64-bit hash — deterministic, so
 * equal hashes and counts at every member mean one and the same order everywhere. Every operation
 * is submitted with {@link Ordering#TOTAL}; the view's coordinator sequences it.
 *
 * <p>Each member's {@link DeliveryMeter} is fed by its state machine as it applies operations (a
 * side effect outside the replicated state, which it does not influence).
 *
 * <p><b>Pipelining and back-pressure.</b> A member has at most {@code inFlight} submits whose
 * operation it has not yet applied itself (a {@link Semaphore}, released when the submit's future
 * completes), under the engine's {@code maxQueuedSubmits}; the engine itself holds submits back
 * while its links' send buffers are half full. Should a submit nevertheless be refused with
 * {@link ReplicaOverloadedException} (refused submits are never sent), the sender backs off and
 * submits the same operation again, so each origin's numbering stays gap-free; such refusals are
 * counted ({@link #overloadRetries}).
 *
 * <p><b>Start-up.</b> Founders started one after another may briefly suspect and remove each
 * other (the first one hears nobody until the others are up) and readmit the removed one with a
 * state transfer; {@link #start} returns only once all members are in one view of all of them.
 */
final class MeridianTotalGroup implements BenchGroup {
  static final long FORM_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final List<NodeId> ids = new ArrayList<>();
  private final Map<NodeId, Integer> index = new HashMap<>();
  private final List<GroupMember<TotalState, byte[], Void>> members = new ArrayList<>();
  private final List<DeliveryMeter> meters = new ArrayList<>();
  private final List<Semaphore> inFlight = new ArrayList<>();
  private final List<BiConsumer<Void, Throwable>> onOutcome = new ArrayList<>();
  private final int maxInFlight;
  private final SendFailures failures = new SendFailures();
  private final LongAdder overloadRetries = new LongAdder();
  private long formedViewId;
  // every view change any member saw, e.g. "t1: v2 [t0, t2] suspected [t1]", for the output
  private final List<String> viewLog = java.util.Collections.synchronizedList(new ArrayList<>());

  private MeridianTotalGroup(int size, int maxInFlight) {
    this.maxInFlight = maxInFlight;
    for (int i = 0; i < size; i++) {
      NodeId id = NodeId.of("t" + i);
      ids.add(id);
      index.put(id, i);
      meters.add(new DeliveryMeter(i, size));
      Semaphore s = new Semaphore(maxInFlight);
      inFlight.add(s);
      onOutcome.add((ok, failure) -> {
        s.release();
        if (failure != null) {
          failures.record(failure);
        }
      });
    }
  }

  /**
   * Starts {@code size} members on free loopback ports, one after another, and returns once all
   * of them have installed one view that holds them all.
   *
   * @param maxQueuedSubmits the engine's limit ({@code GroupMemberBuilder.maxQueuedSubmits}), or
   *     0 for its default
   */
  static MeridianTotalGroup start(int size, int maxInFlight, int maxQueuedSubmits)
      throws InterruptedException {
    MeridianTotalGroup g = new MeridianTotalGroup(size, maxInFlight);
    int[] ports = Ports.freeLoopbackPorts(size);
    try {
      for (int i = 0; i < size; i++) {
        GroupMemberBuilder b = GroupMember.builder().nodeId(g.ids.get(i))
            .listen("127.0.0.1:" + ports[i]);
        for (int j = 0; j < size; j++) {
          if (j != i) {
            b.peer(g.ids.get(j), "127.0.0.1:" + ports[j]);
          }
        }
        if (maxQueuedSubmits > 0) {
          b.maxQueuedSubmits(maxQueuedSubmits);
        }
        NodeId self = g.ids.get(i);
        b.listener(new MembershipListener() {
          @Override
          public void viewInstalled(ViewChange c) {
            g.viewLog.add(self + ": v" + c.view().id() + " " + c.view().members()
                + (c.suspected().isEmpty() ? "" : " suspected " + c.suspected())
                + (c.left().isEmpty() ? "" : " left " + c.left()));
          }

          @Override
          public void blocked(String reason) {
            g.viewLog.add(self + ": blocked (" + reason + ")");
          }
        });
        g.members.add(b.stateMachine(new Machine(g.index, g.meters.get(i))).start());
      }
      g.formedViewId = g.awaitOneView(FORM_TIMEOUT_NANOS);
    } catch (RuntimeException | InterruptedException e) {
      g.close();
      throw e;
    }
    return g;
  }

  /** Waits until every member has installed the same view, of all members; returns its id. */
  private long awaitOneView(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      long id = -1;
      boolean one = true;
      for (GroupMember<TotalState, byte[], Void> m : members) {
        Optional<View> v = m.view();
        if (v.isEmpty() || v.get().size() != members.size()
            || (id != -1 && v.get().id() != id)) {
          one = false;
          break;
        }
        id = v.get().id();
      }
      if (one) {
        return id;
      }
      if (System.nanoTime() - deadline > 0) {
        StringBuilder views = new StringBuilder();
        for (GroupMember<TotalState, byte[], Void> m : members) {
          views.append(' ').append(m.id()).append('=').append(m.view().orElse(null));
        }
        throw new IllegalStateException("Meridian members did not install one view of all "
            + members.size() + " within " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
            + " s:" + views);
      }
      TimeUnit.MILLISECONDS.sleep(10);
    }
  }

  /** The id of the view all members were in when {@link #start} returned. */
  long formedViewId() {
    return formedViewId;
  }

  /** The views the members are in now, e.g. {@code "v1 v1 v1"}. */
  String currentViews() {
    StringBuilder sb = new StringBuilder();
    for (GroupMember<TotalState, byte[], Void> m : members) {
      sb.append(sb.length() == 0 ? "" : " ")
          .append(m.view().map(v -> "v" + v.id() + "/" + v.size()).orElse("none"));
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- the replicated state

  /** What one member applied: counts per origin, FIFO errors, the order hash. */
  static final class TotalState {
    final long[] applied;
    long count;
    long fifoErrors;
    long hash = 0x6a09e667f3bcc909L;

    TotalState(int members) {
      applied = new long[members];
    }

    void add(int origin, long seq) {
      long x = ((long) origin << 56) ^ seq;
      x *= 0x9E3779B97F4A7C15L; // spread the bits, then fold in by position
      hash = (hash ^ (x ^ (x >>> 31))) * 0xBF58476D1CE4E5B9L;
      count++;
    }

    /** A copy safe to hand to another thread. */
    Summary summary() {
      return new Summary(applied.clone(), count, fifoErrors, hash);
    }
  }

  /** A member's state at one instant. */
  record Summary(long[] applied, long count, long fifoErrors, long hash) {}

  /**
   * The deterministic state machine: every member applies the same operations in the same order,
   * so every member's {@link TotalState} ends up equal. An unknown origin or a payload of the
   * wrong shape counts as a FIFO error.
   */
  private static final class Machine implements StateMachine<TotalState, byte[], Void> {
    private final Map<NodeId, Integer> index;
    private final DeliveryMeter meter;

    Machine(Map<NodeId, Integer> index, DeliveryMeter meter) {
      this.index = index;
      this.meter = meter;
    }

    @Override
    public TotalState initialState() {
      return new TotalState(index.size());
    }

    private NodeId lastOrigin; // ops come in runs of one origin: skip the lookup
    private Integer lastIndex;

    @Override
    public Void apply(TotalState state, byte[] op, NodeId origin) {
      Integer i;
      if (origin == lastOrigin) {
        i = lastIndex;
      } else {
        i = index.get(origin);
        lastOrigin = origin;
        lastIndex = i;
      }
      if (i == null || op.length != DeliveryMeter.PAYLOAD_BYTES) {
        state.fifoErrors++;
        state.add(-1, op.length);
        return null;
      }
      long seq = DeliveryMeter.getLong(op, 8);
      if (seq != state.applied[i] + 1) {
        state.fifoErrors++;
      }
      state.applied[i]++;
      state.add(i, seq);
      meter.delivered(i, op, 0, op.length); // outside the state: measurement only
      return null;
    }

    @Override
    public Codec<byte[]> opCodec() {
      return Codec.bytes();
    }

    @Override
    public Codec<TotalState> stateCodec() {
      return new StateCodec(index.size());
    }
  }

  /** The state as {count, fifoErrors, hash, applied[0..n)}, 8 bytes each, big-endian. */
  private record StateCodec(int members) implements Codec<TotalState> {
    @Override
    public byte[] encode(TotalState s) {
      if (s == null) {
        throw new IllegalArgumentException("state must not be null");
      }
      ByteBuffer b = ByteBuffer.allocate(8 * (3 + members));
      b.putLong(s.count).putLong(s.fifoErrors).putLong(s.hash);
      for (long a : s.applied) {
        b.putLong(a);
      }
      return b.array();
    }

    @Override
    public TotalState decode(byte[] bytes) {
      if (bytes == null || bytes.length != 8 * (3 + members)) {
        throw new IllegalArgumentException("a state of " + members + " members is "
            + 8 * (3 + members) + " bytes, got " + (bytes == null ? "null" : bytes.length));
      }
      ByteBuffer b = ByteBuffer.wrap(bytes);
      TotalState s = new TotalState(members);
      s.count = b.getLong();
      s.fifoErrors = b.getLong();
      s.hash = b.getLong();
      for (int i = 0; i < members; i++) {
        s.applied[i] = b.getLong();
      }
      return s;
    }
  }

  // ---------------------------------------------------------------- BenchGroup

  @Override
  public String name() {
    return "meridian";
  }

  @Override
  public int size() {
    return members.size();
  }

  @Override
  public DeliveryMeter meter(int member) {
    return meters.get(member);
  }

  @Override
  public void send(int member, byte[] payload) throws InterruptedException {
    Semaphore s = inFlight.get(member);
    GroupMember<TotalState, byte[], Void> m = members.get(member);
    s.acquire();
    long backoff = 50_000;
    while (true) {
      CompletableFuture<Void> applied = m.submit(payload, Ordering.TOTAL);
      if (applied.isCompletedExceptionally() && overloaded(applied)) {
        // Refused, not sent: slow down, then the same operation again.
        overloadRetries.increment();
        LockSupport.parkNanos(backoff);
        backoff = Math.min(backoff * 2, 10_000_000);
        if (Thread.interrupted()) {
          s.release();
          throw new InterruptedException();
        }
        continue;
      }
      applied.whenComplete(onOutcome.get(member));
      return;
    }
  }

  private static boolean overloaded(CompletableFuture<Void> f) {
    try {
      f.getNow(null);
      return false;
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause() instanceof ReplicaOverloadedException;
    } catch (java.util.concurrent.CancellationException e) {
      return false;
    }
  }

  @Override
  public boolean awaitSendsSettled(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    for (Semaphore s : inFlight) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !s.tryAcquire(maxInFlight, left, TimeUnit.NANOSECONDS)) {
        return false;
      }
      s.release(maxInFlight);
    }
    return true;
  }

  @Override
  public long failures() {
    return failures.total();
  }

  @Override
  public String failureSummary() {
    return failures.summary();
  }

  long overloadRetries() {
    return overloadRetries.sum();
  }

  /** Member {@code member}'s replicated state, read on its event thread. */
  Summary summary(int member) {
    return members.get(member).read(TotalState::summary);
  }

  @Override
  public long[] appliedPerOrigin(int member) {
    return summary(member).applied();
  }

  /**
   * FIFO errors the state saw, plus 1 if its order hash differs from member 0's while both
   * applied the same number of operations (compared only then: meaningful once all applied all).
   */
  @Override
  public long stateOrderErrors(int member) {
    Summary mine = summary(member);
    Summary first = summary(0);
    long diverged = mine.count() == first.count() && mine.hash() != first.hash() ? 1 : 0;
    return mine.fifoErrors() + diverged;
  }

  @Override
  public String stats() {
    String changes;
    synchronized (viewLog) {
      long later = viewLog.stream().filter(v -> !v.matches(".*: v[0-9]+ .*")
          || Long.parseLong(v.replaceAll(".*: v([0-9]+) .*", "$1")) > formedViewId).count();
      changes = later == 0 ? "no view change after forming"
          : later + " view changes or blocks after forming: " + viewLog;
    }
    return String.format(Locale.ROOT, "views at the end %s (formed in v%d; %s); overload"
        + " retries %d", currentViews(), formedViewId, changes, overloadRetries.sum());
  }

  @Override
  public void close() {
    // halt, not a graceful leave: three leaves one after another wait for each other's views
    for (GroupMember<TotalState, byte[], Void> m : members) {
      m.halt();
    }
  }
}
