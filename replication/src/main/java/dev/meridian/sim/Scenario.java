package dev.meridian.sim;

/**
 * A named, fully configured simulation: a protocol, its fault models and its checkers. Running
 * it with the same seed replays the identical trace.
 */
public interface Scenario {

  /** The name used on the command line, e.g. {@code clocks}. */
  String name();

  /** Runs one seed; keeps the trace in the result when asked (for replaying a failure). */
  SimulationResult run(long seed, boolean keepTrace);
}
