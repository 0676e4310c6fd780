package dev.meridian.time;

/**
 * Thrown when a remote hybrid timestamp is further ahead of the local physical clock than the
 * configured maximum offset allows. Adopting it would drag this node's hybrid clock away from
 * physical time; a clock that far ahead is broken, or the maximum offset is set too small.
 */
public final class HybridClockOffsetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long aheadByNanos;
  private final long maxOffsetNanos;

  HybridClockOffsetException(HybridTimestamp remote, long localPhysicalNanos, long maxOffsetNanos) {
    super("remote hybrid timestamp " + remote + " is " + (remote.physicalNanos() - localPhysicalNanos)
        + " ns ahead of local physical time " + localPhysicalNanos + "; max offset is "
        + maxOffsetNanos + " ns, so it was refused, not adopted");
    this.aheadByNanos = remote.physicalNanos() - localPhysicalNanos;
    this.maxOffsetNanos = maxOffsetNanos;
  }

  /** How far ahead of local physical time the refused timestamp was, in nanoseconds. */
  public long aheadByNanos() {
    return aheadByNanos;
  }

  /** The maximum offset the clock was configured with, in nanoseconds. */
  public long maxOffsetNanos() {
    return maxOffsetNanos;
  }
}
