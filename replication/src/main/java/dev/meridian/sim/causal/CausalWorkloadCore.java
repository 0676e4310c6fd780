package dev.meridian.sim.causal;

import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.time.HybridClockOffsetException;
import dev.meridian.time.HybridLogicalClock;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The causal scenario's member: a {@link CausalMulticastCore} plus a workload that, at random
 * moments until a stop time, prepares a random operation on one of the shipped CRDTs against its
 * local replicas and multicasts it; every delivery is applied to the local replicas. A hybrid
 * logical clock stamps every operation (the last-writer-wins register orders by it).
 */
public final class CausalWorkloadCore implements ProtocolCore<LinkFrame<CausalWire>> {
  static final String WORKLOAD_TIMER = "workload";
  static final long MAX_CLOCK_OFFSET_NANOS = 500_000_000L;

  private final CausalMulticastCore inner;
  private final RandomGenerator random;
  private final long stopSubmittingAtNanos;
  private final long meanGapNanos;
  private final CrdtBundle crdts = new CrdtBundle();
  private HybridLogicalClock hlc = HybridLogicalClock.create(MAX_CLOCK_OFFSET_NANOS);
  private long submitted;
  private long refused;
  private long clockRefusals;

  public CausalWorkloadCore(CausalMulticastCore inner, RandomGenerator random,
      long stopSubmittingAtNanos, long meanGapNanos) {
    this.inner = inner;
    this.random = random;
    this.stopSubmittingAtNanos = stopSubmittingAtNanos;
    this.meanGapNanos = meanGapNanos;
  }

  /** The multicast core inside. */
  public CausalMulticastCore multicast() {
    return inner;
  }

  /** The observable state of every local CRDT replica, for comparing members. */
  public String replicatedState() {
    return crdts.observable();
  }

  /** Deliveries whose hybrid timestamp was too far ahead to adopt (the op is still applied). */
  public long clockRefusals() {
    return clockRefusals;
  }

  /** Submits accepted and refused (back-pressure) so far. */
  public long submitted() {
    return submitted;
  }

  public long refused() {
    return refused;
  }

  @Override
  public List<Effect<LinkFrame<CausalWire>>> handle(Event<LinkFrame<CausalWire>> event) {
    List<Effect<LinkFrame<CausalWire>>> out = new ArrayList<>();
    if (event instanceof Event.Timer<LinkFrame<CausalWire>> t
        && t.name().equals(WORKLOAD_TIMER)) {
      if (event.now().monotonicNanos() < stopSubmittingAtNanos) {
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
          hlc = hlc.tick(event.now().wallNanos());
          byte[] payload = crdts.randomOp(random, hlc.timestamp());
          out.addAll(inner.handle(new Event.Request<>(
              new CausalMulticastCore.Submit(payload, "submit-" + submitted), event.now())));
        }
        out.add(new Effect.SetTimer<>(WORKLOAD_TIMER,
            1 + (long) (-Math.log(1.0 - random.nextDouble()) * meanGapNanos)));
      }
    } else {
      out.addAll(inner.handle(event));
      if (event instanceof Event.Start<LinkFrame<CausalWire>>) {
        out.add(new Effect.SetTimer<>(WORKLOAD_TIMER, 1));
      }
    }
    for (Effect<LinkFrame<CausalWire>> e : out) {
      if (e instanceof Effect.Deliver<LinkFrame<CausalWire>> d) {
        if (d.value() instanceof CausalMulticastCore.Delivery delivery) {
          byte[] payload = delivery.payload();
          if (delivery.token() != null) {
            submitted++;
          } else {
            try {
              hlc = hlc.receive(CrdtBundle.issuedAt(payload), event.now().wallNanos());
            } catch (HybridClockOffsetException tooFarAhead) {
              clockRefusals++; // the op is applied regardless: causal order is already settled
            }
          }
          crdts.apply(payload, delivery.origin(), delivery.seq());
        } else if (d.value() instanceof CausalMulticastCore.Refused) {
          refused++;
        }
      }
    }
    return out;
  }
}
