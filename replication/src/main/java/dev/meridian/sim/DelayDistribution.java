package dev.meridian.sim;

import java.util.random.RandomGenerator;

/** One-way message delay of the simulated network, drawn per message copy. */
@FunctionalInterface
public interface DelayDistribution {

  /** Longest delay parameter accepted: one hour, far beyond any network worth simulating. */
  long MAX_NANOS = 3_600_000_000_000L;

  /** Draws a delay in nanoseconds, {@code >= 0}. */
  long sampleNanos(RandomGenerator random);

  /**
   * A delay of at least {@code minNanos} plus an exponentially distributed extra with mean {@code
   * meanExtraNanos}, cut at 20 means so one unlucky draw cannot stall a run: the usual shape of LAN
   * latency with a long tail.
   *
   * @throws IllegalArgumentException if either argument is negative
   */
  static DelayDistribution exponential(long minNanos, long meanExtraNanos) {
    if (minNanos < 0 || meanExtraNanos < 0 || minNanos > MAX_NANOS || meanExtraNanos > MAX_NANOS) {
      throw new IllegalArgumentException(
          "delay needs min and mean extra in [0, " + MAX_NANOS + "] ns, got min=" + minNanos
              + " meanExtra=" + meanExtraNanos);
    }
    return random -> {
      double extra = -Math.log(1.0 - random.nextDouble()) * meanExtraNanos;
      return minNanos + (long) Math.min(extra, 20.0 * meanExtraNanos);
    };
  }

  /**
   * A delay drawn uniformly from {@code [minNanos, maxNanos]}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= minNanos <= maxNanos}
   */
  static DelayDistribution uniform(long minNanos, long maxNanos) {
    if (minNanos < 0 || maxNanos < minNanos || maxNanos > MAX_NANOS) {
      throw new IllegalArgumentException("uniform delay needs 0 <= min <= max <= " + MAX_NANOS
          + " ns, got min=" + minNanos + " max=" + maxNanos);
    }
    return random -> minNanos + random.nextLong(maxNanos - minNanos + 1);
  }
}
