package dev.meridian.core.replica;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.replica.Delivered;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import dev.meridian.time.HybridClockOffsetException;
import dev.meridian.time.HybridLogicalClock;
import dev.meridian.time.HybridTimestamp;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A replicated state over causal multicast, as a pure core: it stamps each submitted operation
 * with a hybrid logical timestamp, multicasts it, applies every delivered operation to the state,
 * and reports outcomes to the runtime as deliveries ({@link Applied}, {@link SubmitFailed}, {@link
 * ReadDone}, {@link Delivered}).
 *
 * <p>Back-pressure: a submit the multicast refuses (buffers full) waits in a bounded queue and is
 * retried every {@link #RETRY_NANOS}; the runtime bounds how many submits are in flight.
 *
 * @param <S> the replicated state
 * @param <O> its operations
 */
public final class ReplicaCore<S extends ReplicatedState<O>, O>
    implements ProtocolCore<LinkFrame<CausalWire>> {
  static final String RETRY_TIMER = "replica-retry-submit";
  static final long RETRY_NANOS = 1_000_000L;
  /** Each multicast payload starts with the op's hybrid timestamp: physical, then logical. */
  static final int HEADER_BYTES = 16;

  /** Request: multicast {@code op}; {@code token} identifies it in the outcome. */
  public record SubmitOp<O>(O op, Object token) {
    @Override
    public String toString() { // deterministic, also for byte-array operations
      return "SubmitOp{" + (op instanceof byte[] b ? b.length + " bytes" : op) + ", " + token + "}";
    }
  }

  /** Request: run {@code reader} on the state; its result comes back in {@link ReadDone}. */
  public record Read<S>(Function<? super S, ?> reader, Object token) {}

  /**
   * Request: fail every submit still waiting for buffer space with {@code reason} (the replica is
   * closing); later submits are handled as usual.
   */
  public record AbandonWaiting(String reason) {}

  /** Outcome: the op submitted with {@code token} was applied here. */
  public record Applied(Object token) {}

  /** Outcome: the op submitted with {@code token} could not be submitted. */
  public record SubmitFailed(Object token, RuntimeException cause) {}

  /** Outcome: a read finished with {@code result} or failed with {@code failure}. */
  public record ReadDone(Object token, Object result, RuntimeException failure) {}

  private final CausalMulticastCore multicast;
  private final S state;
  private HybridLogicalClock clock;
  private final ArrayDeque<SubmitOp<O>> waiting = new ArrayDeque<>();
  private boolean retryTimerSet;
  private long clockRefusals;

  public ReplicaCore(CausalMulticastCore multicast, S state, long maxClockOffsetNanos) {
    this.multicast = multicast;
    this.state = state;
    this.clock = HybridLogicalClock.create(maxClockOffsetNanos);
  }

  /** Submitted operations waiting for buffer space in the multicast. */
  public int waitingCount() {
    return waiting.size();
  }

  /** The replicated state (for inspection by checkers; the runtime never hands it out). */
  public S state() {
    return state;
  }

  /** Remote timestamps too far ahead to adopt so far (the operations were still applied). */
  public long clockRefusals() {
    return clockRefusals;
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Effect<LinkFrame<CausalWire>>> handle(Event<LinkFrame<CausalWire>> event) {
    List<Effect<LinkFrame<CausalWire>>> out = new ArrayList<>();
    if (event instanceof Event.Request<LinkFrame<CausalWire>> r) {
      if (r.request() instanceof SubmitOp<?> submit) {
        waiting.addLast((SubmitOp<O>) submit);
        submitWaiting(event, out);
      } else if (r.request() instanceof AbandonWaiting abandon) {
        for (SubmitOp<O> waitingOp : waiting) {
          out.add(new Effect.Deliver<>(new SubmitFailed(waitingOp.token(),
              new IllegalStateException(abandon.reason()))));
        }
        waiting.clear();
      } else if (r.request() instanceof Read<?> read) {
        try {
          Object result = ((Function<? super S, ?>) read.reader()).apply(state);
          out.add(new Effect.Deliver<>(new ReadDone(read.token(), result, null)));
        } catch (RuntimeException e) {
          out.add(new Effect.Deliver<>(new ReadDone(read.token(), null, e)));
        }
      }
    } else if (event instanceof Event.Timer<LinkFrame<CausalWire>> t
        && t.name().equals(RETRY_TIMER)) {
      retryTimerSet = false;
      submitWaiting(event, out);
    } else {
      absorb(multicast.handle(event), event, out);
    }
    return out;
  }

  @Override
  public List<Effect<LinkFrame<CausalWire>>> flush() {
    return multicast.flush();
  }

  /** Submits waiting ops in order until the multicast refuses one. */
  private void submitWaiting(Event<LinkFrame<CausalWire>> event,
      List<Effect<LinkFrame<CausalWire>>> out) {
    while (!waiting.isEmpty()) {
      SubmitOp<O> next = waiting.peekFirst();
      byte[] op;
      try {
        op = state.opCodec().encode(next.op());
      } catch (RuntimeException e) {
        waiting.pollFirst();
        out.add(new Effect.Deliver<>(new SubmitFailed(next.token(),
            new IllegalArgumentException("the state's codec refused the operation: "
                + e.getMessage(), e))));
        continue;
      }
      clock = clock.tick(event.now().wallNanos());
      HybridTimestamp ts = clock.timestamp();
      byte[] payload = ByteBuffer.allocate(HEADER_BYTES + op.length)
          .putLong(ts.physicalNanos()).putLong(ts.logical()).put(op).array();
      List<Effect<LinkFrame<CausalWire>>> effects = new ArrayList<>(2);
      if (!multicast.trySubmit(payload, next.token(), effects)) {
        if (!retryTimerSet) {
          out.add(new Effect.SetTimer<>(RETRY_TIMER, RETRY_NANOS));
          retryTimerSet = true;
        }
        return;
      }
      waiting.pollFirst();
      absorb(effects, event, out);
    }
  }

  /** Passes the multicast's effects on, turning its deliveries into applied operations. */
  private void absorb(List<Effect<LinkFrame<CausalWire>>> effects,
      Event<LinkFrame<CausalWire>> event, List<Effect<LinkFrame<CausalWire>>> out) {
    for (Effect<LinkFrame<CausalWire>> e : effects) {
      if (e instanceof Effect.Deliver<LinkFrame<CausalWire>> d
          && d.value() instanceof CausalMulticastCore.Delivery delivery) {
        apply(delivery, event, out);
      } else {
        out.add(e);
      }
    }
  }

  private void apply(CausalMulticastCore.Delivery delivery, Event<LinkFrame<CausalWire>> event,
      List<Effect<LinkFrame<CausalWire>>> out) {
    CausalWire.Update update = delivery.update();
    HybridTimestamp ts;
    O op;
    try {
      int opLength = update.payloadLength() - HEADER_BYTES;
      if (opLength < 0) {
        throw new IllegalArgumentException("payload of " + update.payloadLength()
            + " bytes is shorter than its " + HEADER_BYTES + "-byte timestamp");
      }
      ts = new HybridTimestamp(update.payloadLong(0), update.payloadLong(8));
      byte[] opBytes = new byte[opLength];
      update.copyPayload(HEADER_BYTES, opBytes, 0, opLength);
      op = state.opCodec().decode(opBytes);
    } catch (RuntimeException e) {
      // Every member decodes the same bytes the same way, so skipping keeps replicas equal.
      out.add(new Effect.Deliver<>(new UndecodableOperation(delivery.origin(), delivery.seq(),
          e.getMessage())));
      return;
    }
    if (delivery.token() == null) {
      try {
        clock = clock.receive(ts, event.now().wallNanos());
      } catch (HybridClockOffsetException tooFarAhead) {
        clockRefusals++; // applied regardless: causal order is already decided
      }
    }
    Origin origin = new Origin(delivery.origin(), delivery.seq(), ts);
    state.apply(op, origin);
    out.add(new Effect.Deliver<>(new Delivered<>(op, origin)));
    if (delivery.token() != null) {
      out.add(new Effect.Deliver<>(new Applied(delivery.token())));
    }
  }

  /** Outcome: a delivered operation that the state's codec could not decode; it was skipped. */
  public record UndecodableOperation(NodeId origin, long seq, String problem) {}
}
