package dev.meridian.sim;

/**
 * How the simulated nodes' clocks deviate from true time.
 *
 * <p>Each node's wall clock starts at a random offset in {@code [-maxOffsetNanos, +maxOffsetNanos]}
 * from true time and runs at a random rate {@code 1 + drift}, with {@code |drift| <= maxDrift} (ρ,
 * e.g. {@code 1e-4} for 100 ppm). Its monotonic clock runs at the same rate but never steps. The
 * {@link FaultModel}'s clock faults step one wall clock by a random amount of up to {@code
 * maxStepNanos} (forward only when {@code forwardStepsOnly}): a misbehaving clock that leaves its
 * bound.
 */
public record ClockModel(
    long maxOffsetNanos, double maxDrift, long maxStepNanos, boolean forwardStepsOnly) {

  /** @throws IllegalArgumentException naming the field, when a value is out of range */
  public ClockModel {
    if (maxOffsetNanos < 0) {
      throw new IllegalArgumentException("maxOffsetNanos must be >= 0, got " + maxOffsetNanos);
    }
    if (!(maxDrift >= 0 && maxDrift < 0.1)) {
      throw new IllegalArgumentException("maxDrift must be in [0, 0.1), got " + maxDrift);
    }
    if (maxStepNanos < 0) {
      throw new IllegalArgumentException("maxStepNanos must be >= 0, got " + maxStepNanos);
    }
  }

  /** Perfect clocks: every node reads true time (plus the common epoch). */
  public static ClockModel perfect() {
    return new ClockModel(0, 0, 0, true);
  }

  /** Offsets within ±{@code maxOffsetNanos}, drift within ±{@code maxDrift}, no steps. */
  public static ClockModel drifting(long maxOffsetNanos, double maxDrift) {
    return new ClockModel(maxOffsetNanos, maxDrift, 0, true);
  }

  /** This model where clock faults step a wall clock by up to {@code maxStepNanos}. */
  public ClockModel withSteps(long maxStepNanos, boolean forwardOnly) {
    return new ClockModel(maxOffsetNanos, maxDrift, maxStepNanos, forwardOnly);
  }
}
