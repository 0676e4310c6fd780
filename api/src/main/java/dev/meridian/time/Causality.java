package dev.meridian.time;

/**
 * How two events, described by their vector timestamps, are related by Lamport's happens-before
 * relation (written a → b).
 */
public enum Causality {
  /** The receiver's event happened before the argument's: a → b. */
  BEFORE,
  /** The argument's event happened before the receiver's: b → a. */
  AFTER,
  /** The timestamps are equal: the same event, or two events that saw exactly the same history. */
  EQUAL,
  /** Neither happened before the other: no information flowed between them (a ∥ b). */
  CONCURRENT
}
