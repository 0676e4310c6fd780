package dev.meridian.sim.causal;

import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The causal scenario's member: a {@link CausalMulticastCore} plus a workload that submits small
 * counter increments at random moments until a stop time, and a replicated counter that every
 * delivery updates.
 */
public final class CausalWorkloadCore implements ProtocolCore<LinkFrame<CausalWire>> {
  static final String WORKLOAD_TIMER = "workload";

  private final CausalMulticastCore inner;
  private final RandomGenerator random;
  private final long stopSubmittingAtNanos;
  private final long meanGapNanos;
  private long submitted;
  private long refused;
  private long counter;

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

  /** The replicated counter: the sum of every delivered increment. */
  public long counter() {
    return counter;
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
          long delta = 1 + random.nextInt(100);
          byte[] payload = ByteBuffer.allocate(8).putLong(delta).array();
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
          counter += ByteBuffer.wrap(delivery.payload()).getLong();
          if (delivery.token() != null) {
            submitted++;
          }
        } else if (d.value() instanceof CausalMulticastCore.Refused) {
          refused++;
        }
      }
    }
    return out;
  }
}
