package dev.meridian.sim.clocks;

import dev.meridian.NodeId;
import dev.meridian.time.HybridTimestamp;
import dev.meridian.time.VectorClock;

/**
 * One event of a {@link ClockCore} with the timestamps it was given, delivered to the application
 * (and so to the checkers) by the step that performed it.
 *
 * @param process the incarnation that performed it, e.g. {@code n2#1}
 * @param kind what happened
 * @param lamport the Lamport time of the event
 * @param vector the vector time of the event
 * @param hybrid the hybrid logical time of the event
 * @param wallNanos the node's physical clock when the event happened
 * @param refusal for {@link Kind#REFUSED}, why the message was refused; else null
 */
public record ClockEvent(
    NodeId process, Kind kind, long lamport, VectorClock vector, HybridTimestamp hybrid,
    long wallNanos, String refusal) {

  /** The kinds of events a clock core performs. */
  public enum Kind {
    LOCAL,
    SEND,
    RECEIVE,
    /** A message refused because its hybrid timestamp was too far ahead; no clock changed. */
    REFUSED
  }

  @Override
  public String toString() {
    return kind + " " + process + " LT=" + lamport + " VT=" + vector + " HLC=" + hybrid
        + (refusal != null ? " refused: " + refusal : "");
  }
}
