package dev.meridian.sim;

/**
 * A property that did not hold. Rerunning the simulation with {@link #seed()} replays the identical
 * trace up to {@link #eventIndex()}.
 *
 * @param seed the run's seed
 * @param eventIndex the trace position after which the property failed (-1: at the end of the run)
 * @param checker which checker found it
 * @param message what went wrong, naming the nodes and values involved
 */
public record Violation(long seed, long eventIndex, String checker, String message) {
  @Override
  public String toString() {
    return "seed=" + seed + " event=" + eventIndex + " checker=" + checker + ": " + message;
  }
}
