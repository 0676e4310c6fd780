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
 *   <li><b>clock fault</b>: one wall clock steps (see {@link ClockModel#maxStepNanos()}).
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

  /** Longest fault accepted: one day. */
  public static final long MAX_DURATION_NANOS = 86_400_000_000_000L;

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
    if (minDurationNanos < 0 || maxDurationNanos < minDurationNanos
        || maxDurationNanos > MAX_DURATION_NANOS) {
      throw new IllegalArgumentException(
          "fault duration needs 0 <= min <= max <= " + MAX_DURATION_NANOS + " ns (a day), got min="
              + minDurationNanos + " max="
              + maxDurationNanos);
    }
  }

  /** No faults at all. */
  public static FaultModel none() {
    return new FaultModel(Long.MAX_VALUE, 0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * Faults every {@code meanGapNanos} on average, of no kind yet (add kinds with the {@code
   * with...} methods), each lasting 10..100 ms:
   *
   * <pre>{@code
   * FaultModel.every(150_000_000).withLinkCuts(10).withPartitions(6).withCrashes(8, 2)
   *     .lasting(20_000_000, 200_000_000)
   * }</pre>
   */
  public static FaultModel every(long meanGapNanos) {
    return new FaultModel(meanGapNanos, 0, 0, 0, 0, 0, 10_000_000, 100_000_000);
  }

  /** This model with link cuts of relative weight {@code weight}. */
  public FaultModel withLinkCuts(int weight) {
    return new FaultModel(meanGapNanos, weight, partitionWeight, crashWeight, clockFaultWeight,
        maxDown, minDurationNanos, maxDurationNanos);
  }

  /** This model with two-sided partitions of relative weight {@code weight}. */
  public FaultModel withPartitions(int weight) {
    return new FaultModel(meanGapNanos, linkCutWeight, weight, crashWeight, clockFaultWeight,
        maxDown, minDurationNanos, maxDurationNanos);
  }

  /** This model with crashes of relative weight {@code weight}, at most {@code maxDown} at once. */
  public FaultModel withCrashes(int weight, int maxDown) {
    return new FaultModel(meanGapNanos, linkCutWeight, partitionWeight, weight, clockFaultWeight,
        maxDown, minDurationNanos, maxDurationNanos);
  }

  /** This model with clock steps of relative weight {@code weight} (sizes from the ClockModel). */
  public FaultModel withClockSteps(int weight) {
    return new FaultModel(meanGapNanos, linkCutWeight, partitionWeight, crashWeight, weight,
        maxDown, minDurationNanos, maxDurationNanos);
  }

  /** This model with cuts, partitions and crashes lasting {@code [minNanos, maxNanos]}. */
  public FaultModel lasting(long minNanos, long maxNanos) {
    return new FaultModel(meanGapNanos, linkCutWeight, partitionWeight, crashWeight,
        clockFaultWeight, maxDown, minNanos, maxNanos);
  }

  int totalWeight() {
    return linkCutWeight + partitionWeight + crashWeight + clockFaultWeight;
  }
}
