package dev.meridian.core;

import dev.meridian.NodeId;

/**
 * An output of a protocol core, carried out by the runtime that drives it.
 *
 * @param <M> the protocol's message type
 */
public sealed interface Effect<M> {

  /** Send {@code payload} to {@code to}. Delivery is up to the network: it may be late or lost. */
  record Send<M>(NodeId to, M payload) implements Effect<M> {
    public Send {
      if (to == null || payload == null) {
        throw new IllegalArgumentException("Send needs a destination and a payload, got to=" + to);
      }
    }
  }

  /** Hand {@code value} to the local application (a delivered update, a recorded event...). */
  record Deliver<M>(Object value) implements Effect<M> {
    public Deliver {
      if (value == null) {
        throw new IllegalArgumentException("Deliver needs a value");
      }
    }
  }

  /**
   * Fire timer {@code name} after {@code delayNanos} of this node's monotonic clock, replacing any
   * pending timer of that name.
   */
  record SetTimer<M>(String name, long delayNanos) implements Effect<M> {
    public SetTimer {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("timer name must not be null or empty");
      }
      if (delayNanos < 0) {
        throw new IllegalArgumentException(
            "timer '" + name + "' delay must be >= 0 ns, got " + delayNanos);
      }
    }
  }

  /** Cancel timer {@code name} if it is pending; no effect otherwise. */
  record CancelTimer<M>(String name) implements Effect<M> {
    public CancelTimer {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("timer name must not be null or empty");
      }
    }
  }
}
