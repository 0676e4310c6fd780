package dev.meridian.sim;

/**
 * The faults injected during a run's safety phase. Faults arrive one at a time, separated by
 * exponentially distributed gaps of mean {@code meanGapNanos}; each is, with the given weights:
 *
 * <ul>
 *   <li><b>link cut</b>: one direction of one link drops everything (an asymmetric partition);
 *   <li><b>partition</b>: the members split into two sides that cannot reach each other;
 *   <li><b>crash</b>: a node stops and loses its volatile state, then restarts as a new
 *       incarnation (never more than {@code maxDown} nodes down at once);
 *   <li><b>clock fault</b>: one wall clock steps (see {@link ClockModel#stepProbability()}).
 * </ul>
 *
 * <p>Cuts and partitions heal, and crashed nodes restart, after a duration drawn uniformly from
 * {@code [minDurationNanos, maxDurationNanos]}. Everything heals when the liveness phase begins.
 */
public record FaultModel(
    long meanGapNanos,
    int linkCutWeight,
    int partitionWeight,
    int crashWeight,
    int clockFaultWeight,
    int maxDown,
    long minDurationNanos,
    long maxDurationNanos) {

  /** @throws IllegalArgumentException naming the field, when a value is out of range */
  public FaultModel {
    if (meanGapNanos <= 0) {
      throw new IllegalArgumentException("meanGapNanos must be > 0, got " + meanGapNanos);
    }
    if (linkCutWeight < 0 || partitionWeight < 0 || crashWeight < 0 || clockFaultWeight < 0) {
      throw new IllegalArgumentException(
          "fault weights must be >= 0, got cut=" + linkCutWeight + " partition=" + partitionWeight
              + " crash=" + crashWeight + " clock=" + clockFaultWeight);
    }
    if (maxDown < 0) {
      throw new IllegalArgumentException("maxDown must be >= 0, got " + maxDown);
    }
    if (minDurationNanos < 0 || maxDurationNanos < minDurationNanos) {
      throw new IllegalArgumentException(
          "fault duration needs 0 <= min <= max ns, got min=" + minDurationNanos + " max="
              + maxDurationNanos);
    }
  }

  /** No faults at all. */
  public static FaultModel none() {
    return new FaultModel(Long.MAX_VALUE, 0, 0, 0, 0, 0, 0, 0);
  }

  int totalWeight() {
    return linkCutWeight + partitionWeight + crashWeight + clockFaultWeight;
  }
}
