package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.replica.Replica;
import dev.meridian.replica.ReplicaBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Meridian members built with the public {@link Replica#builder()} and its defaults, over gRPC on
 * 127.0.0.1, each holding a {@link CountingState}; a listener {@link Replica#subscribe subscribed}
 * on each member feeds its {@link DeliveryMeter}.
 *
 * <p>Back-pressure: each member has at most {@code inFlight} submits whose operation it has not
 * yet applied (a {@link Semaphore}, released when the submit's future completes), well under the
 * engine's {@code maxQueuedSubmits} of 10,000, so no submit fails with {@code
 * ReplicaOverloadedException}; the engine itself holds submits back while its send and stability
 * buffers are full.
 */
final class MeridianGroup implements BenchGroup {
  private final List<NodeId> ids = new ArrayList<>();
  private final Map<NodeId, Integer> index = new HashMap<>();
  private final List<Replica<CountingState, byte[]>> replicas = new ArrayList<>();
  private final List<DeliveryMeter> meters = new ArrayList<>();
  private final List<Semaphore> inFlight = new ArrayList<>();
  private final List<BiConsumer<Void, Throwable>> onOutcome = new ArrayList<>();
  private final int maxInFlight;
  private final SendFailures failures = new SendFailures();

  private MeridianGroup(int members, int maxInFlight) {
    this.maxInFlight = maxInFlight;
    for (int i = 0; i < members; i++) {
      NodeId id = NodeId.of("m" + i);
      ids.add(id);
      index.put(id, i);
      meters.add(new DeliveryMeter(i, members));
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

  /** Starts {@code members} members on free loopback ports. */
  static MeridianGroup start(int members, int maxInFlight) {
    return start(maxInFlight, Ports.freeLoopbackPorts(members));
  }

  /**
   * Starts one member per port of {@code ports} (member i, {@code m<i>}, on 127.0.0.1 at {@code
   * ports[i]}): for callers that run other components on ports of the same allocation.
   */
  static MeridianGroup start(int maxInFlight, int[] ports) {
    int members = ports.length;
    MeridianGroup g = new MeridianGroup(members, maxInFlight);
    try {
      for (int i = 0; i < members; i++) {
        ReplicaBuilder b = Replica.builder().nodeId(g.ids.get(i)).listen("127.0.0.1:" + ports[i]);
        for (int j = 0; j < members; j++) {
          if (j != i) {
            b.peer(g.ids.get(j), "127.0.0.1:" + ports[j]);
          }
        }
        Replica<CountingState, byte[]> r = b.state(new CountingState(g.ids)).start();
        g.replicas.add(r);
        DeliveryMeter meter = g.meters.get(i);
        Map<NodeId, Integer> index = g.index;
        r.subscribe(d -> {
          byte[] op = d.op();
          meter.delivered(index.get(d.origin().node()), op, 0, op.length);
        });
      }
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
    return g;
  }

  @Override
  public String name() {
    return "meridian";
  }

  @Override
  public int size() {
    return replicas.size();
  }

  @Override
  public DeliveryMeter meter(int member) {
    return meters.get(member);
  }

  @Override
  public void send(int member, byte[] payload) throws InterruptedException {
    inFlight.get(member).acquire();
    CompletableFuture<Void> applied = replicas.get(member).submit(payload);
    applied.whenComplete(onOutcome.get(member));
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

  @Override
  public long[] appliedPerOrigin(int member) {
    return replicas.get(member).read(CountingState::applied);
  }

  @Override
  public long stateOrderErrors(int member) {
    return replicas.get(member).read(CountingState::orderErrors);
  }

  @Override
  public void close() {
    for (Replica<CountingState, byte[]> r : replicas) {
      r.close();
    }
  }
}
