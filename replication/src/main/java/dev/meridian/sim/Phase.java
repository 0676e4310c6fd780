package dev.meridian.sim;

/** The two phases of every simulated run. */
public enum Phase {
  /** Faults of the configured models happen; only safety properties are expected to hold. */
  SAFETY,
  /** Every fault is healed and crashed nodes restart; the system must converge. */
  LIVENESS
}
