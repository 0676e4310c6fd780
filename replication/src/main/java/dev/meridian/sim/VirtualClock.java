package dev.meridian.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * One simulated node's clocks as functions of true (simulation) time {@code t}, in nanoseconds:
 *
 * <pre>{@code
 * wall(t)      = EPOCH + offset + t + drift·t + (sum of steps taken at or before t)
 * monotonic(t) = t + drift·t
 * }</pre>
 *
 * <p>Checkers compare what a node believed against true time through this class; cores never see
 * it, only the readings handed to them in each event.
 */
public final class VirtualClock {
  /** True time 0 reads as 2026-01-01T00:00:00Z on a perfect wall clock. */
  public static final long EPOCH_NANOS = 1_767_225_600L * 1_000_000_000L;

  private final long offsetNanos;
  private final double drift;
  private final List<long[]> steps = new ArrayList<>(); // {trueTime, delta}

  VirtualClock(long offsetNanos, double drift) {
    this.offsetNanos = offsetNanos;
    this.drift = drift;
  }

  /** The wall clock's reading at true time {@code trueNanos}. */
  public long wallAt(long trueNanos) {
    long wall = EPOCH_NANOS + offsetNanos + monotonicAt(trueNanos);
    for (long[] step : steps) {
      if (step[0] <= trueNanos) {
        wall += step[1];
      }
    }
    return wall;
  }

  /** The monotonic clock's reading at true time {@code trueNanos}. */
  public long monotonicAt(long trueNanos) {
    return trueNanos + (long) (drift * trueNanos);
  }

  /** True time that passes while this node's monotonic clock advances by {@code monotonicNanos}. */
  long trueDurationOf(long monotonicNanos) {
    return (long) Math.ceil(monotonicNanos / (1.0 + drift));
  }

  /** The offset from true time at t = 0 (before drift and steps), in nanoseconds. */
  public long offsetNanos() {
    return offsetNanos;
  }

  /** The rate error: the clock advances {@code 1 + drift} seconds per true second. */
  public double drift() {
    return drift;
  }

  /** True when a clock fault has stepped this wall clock at or before {@code trueNanos}. */
  public boolean steppedBy(long trueNanos) {
    return steps.stream().anyMatch(s -> s[0] <= trueNanos);
  }

  /** The sum of the steps this wall clock took after {@code fromTrueNanos}, up to {@code toTrueNanos}. */
  public long stepsBetween(long fromTrueNanos, long toTrueNanos) {
    long sum = 0;
    for (long[] step : steps) {
      if (step[0] > fromTrueNanos && step[0] <= toTrueNanos) {
        sum += step[1];
      }
    }
    return sum;
  }

  void step(long atTrueNanos, long deltaNanos) {
    steps.add(new long[] {atTrueNanos, deltaNanos});
  }

  @Override
  public String toString() {
    return "VirtualClock{offset=" + offsetNanos + "ns, drift=" + drift + ", steps=" + steps.size()
        + "}";
  }
}
