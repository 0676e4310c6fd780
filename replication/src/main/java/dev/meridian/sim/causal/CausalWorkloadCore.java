package dev.meridian.sim.causal;

import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.replica.ReplicaCore;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The causal scenario's member: the very {@link ReplicaCore} over {@link CausalMulticastCore}
 * that the gRPC runtime drives, replicating a {@link CrdtBundle}, plus a workload that, at random
 * moments until a stop time, prepares a random CRDT operation against the local replicas and
 * submits it — holding back while too many submits wait for buffer space (back-pressure).
 */
public final class CausalWorkloadCore implements ProtocolCore<LinkFrame<CausalWire>> {
  static final String WORKLOAD_TIMER = "workload";
  static final long MAX_CLOCK_OFFSET_NANOS = 500_000_000L;
  private static final int MAX_WAITING_SUBMITS = 32;

  private final CausalMulticastCore multicast;
  private final ReplicaCore<CrdtBundle, byte[]> replica;
  private final RandomGenerator random;
  private final long stopSubmittingAtNanos;
  private final long meanGapNanos;
  private long submitted;

  public CausalWorkloadCore(CausalMulticastCore multicast, RandomGenerator random,
      long stopSubmittingAtNanos, long meanGapNanos) {
    this.multicast = multicast;
    this.replica = new ReplicaCore<>(multicast, new CrdtBundle(), MAX_CLOCK_OFFSET_NANOS);
    this.random = random;
    this.stopSubmittingAtNanos = stopSubmittingAtNanos;
    this.meanGapNanos = meanGapNanos;
  }

  /** The multicast core inside. */
  public CausalMulticastCore multicast() {
    return multicast;
  }

  /** The observable state of every local CRDT replica, for comparing members. */
  public String replicatedState() {
    return replica.state().observable();
  }

  @Override
  public List<Effect<LinkFrame<CausalWire>>> handle(Event<LinkFrame<CausalWire>> event) {
    List<Effect<LinkFrame<CausalWire>>> out = new ArrayList<>();
    if (event instanceof Event.Timer<LinkFrame<CausalWire>> t
        && t.name().equals(WORKLOAD_TIMER)) {
      if (event.now().monotonicNanos() < stopSubmittingAtNanos) {
        for (int i = 1 + random.nextInt(3);
            i > 0 && replica.waitingCount() < MAX_WAITING_SUBMITS; i--) {
          byte[] op = replica.state().randomOp(random);
          out.addAll(replica.handle(new Event.Request<>(
              new ReplicaCore.SubmitOp<>(op, "submit-" + submitted++), event.now())));
        }
        out.add(new Effect.SetTimer<>(WORKLOAD_TIMER,
            1 + (long) (-Math.log(1.0 - random.nextDouble()) * meanGapNanos)));
      }
    } else {
      out.addAll(replica.handle(event));
      if (event instanceof Event.Start<LinkFrame<CausalWire>>) {
        out.add(new Effect.SetTimer<>(WORKLOAD_TIMER, 1));
      }
    }
    return out;
  }

  @Override
  public List<Effect<LinkFrame<CausalWire>>> flush() {
    return replica.flush();
  }
}
