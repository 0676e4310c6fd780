package dev.meridian.time;

/**
 * A hybrid logical clock (Kulkarni, Demirbas, Madappa, Avva, Leone 2014), as an immutable value.
 * The caller passes in physical time; the clock reads no clock of its own.
 *
 * <p><b>Guarantees</b>, for a clock that is advanced with {@link #tick} on every local or send event
 * and with {@link #receive} on every receive:
 *
 * <ul>
 *   <li><i>Happens-before:</i> if a → b then {@code ts(a) < ts(b)}.
 *   <li><i>Bounded divergence:</i> {@code timestamp().physicalNanos() - pt <= maxOffsetNanos}, where
 *       {@code pt} is the physical time passed in, because {@link #receive} refuses any remote
 *       timestamp further ahead than that with a {@link HybridClockOffsetException} instead of
 *       adopting it.
 *   <li><i>Monotonic:</i> each call returns a clock whose timestamp is strictly larger, even when
 *       the physical clock stands still or steps back.
 * </ul>
 *
 * <p><b>Failure model.</b> The bound assumes this node's own physical clock does not step back by
 * more than {@code maxOffsetNanos}; if it does, the clock stays monotonic (it must, to keep
 * happens-before) and {@link #aheadOfPhysical} reports how far it has run ahead. Set the maximum
 * offset to the clock-synchronization bound of the deployment (e.g. a few hundred milliseconds with
 * NTP); too small and messages from healthy nodes are refused.
 */
public final class HybridLogicalClock {
  private final long maxOffsetNanos;
  private final HybridTimestamp last;

  private HybridLogicalClock(long maxOffsetNanos, HybridTimestamp last) {
    this.maxOffsetNanos = maxOffsetNanos;
    this.last = last;
  }

  /**
   * A fresh clock whose timestamps may run at most {@code maxOffsetNanos} ahead of physical time.
   *
   * @throws IllegalArgumentException if {@code maxOffsetNanos} is not positive
   */
  public static HybridLogicalClock create(long maxOffsetNanos) {
    if (maxOffsetNanos <= 0) {
      throw new IllegalArgumentException("max offset must be > 0 ns, got " + maxOffsetNanos);
    }
    return new HybridLogicalClock(maxOffsetNanos, HybridTimestamp.ZERO);
  }

  /** The timestamp of the latest event; {@link HybridTimestamp#ZERO} before the first. */
  public HybridTimestamp timestamp() {
    return last;
  }

  /** The maximum offset from physical time this clock was created with, in nanoseconds. */
  public long maxOffsetNanos() {
    return maxOffsetNanos;
  }

  /**
   * A local or send event at physical time {@code physicalNanos}: {@code l = max(l, pt)}; {@code c}
   * counts up if {@code l} did not change, else restarts at 0.
   *
   * @throws IllegalArgumentException if {@code physicalNanos} is negative
   */
  public HybridLogicalClock tick(long physicalNanos) {
    requirePhysical(physicalNanos);
    long l = Math.max(last.physicalNanos(), physicalNanos);
    long c = l == last.physicalNanos() ? increment(last.logical()) : 0;
    return new HybridLogicalClock(maxOffsetNanos, new HybridTimestamp(l, c));
  }

  /**
   * The receipt of a message stamped {@code remote} at physical time {@code physicalNanos}: {@code
   * l = max(l, l_m, pt)}, and {@code c} is one more than the largest counter among those whose
   * {@code l} equals the new one (0 if only {@code pt} does).
   *
   * @throws HybridClockOffsetException if {@code remote} is more than the maximum offset ahead of
   *     {@code physicalNanos}; this clock is then unchanged
   * @throws IllegalArgumentException if {@code remote} is null or {@code physicalNanos} negative
   */
  public HybridLogicalClock receive(HybridTimestamp remote, long physicalNanos) {
    if (remote == null) {
      throw new IllegalArgumentException("remote hybrid timestamp must not be null");
    }
    requirePhysical(physicalNanos);
    if (remote.physicalNanos() - physicalNanos > maxOffsetNanos) {
      throw new HybridClockOffsetException(remote, physicalNanos, maxOffsetNanos);
    }
    long lOld = last.physicalNanos();
    long lMsg = remote.physicalNanos();
    long l = Math.max(Math.max(lOld, lMsg), physicalNanos);
    long c;
    if (l == lOld && l == lMsg) {
      c = increment(Math.max(last.logical(), remote.logical()));
    } else if (l == lOld) {
      c = increment(last.logical());
    } else if (l == lMsg) {
      c = increment(remote.logical());
    } else {
      c = 0;
    }
    return new HybridLogicalClock(maxOffsetNanos, new HybridTimestamp(l, c));
  }

  /**
   * How far the clock's physical part runs ahead of {@code physicalNanos} (0 if it does not). At
   * most {@link #maxOffsetNanos} unless the local physical clock stepped back.
   */
  public long aheadOfPhysical(long physicalNanos) {
    return Math.max(0, last.physicalNanos() - physicalNanos);
  }

  private static void requirePhysical(long physicalNanos) {
    if (physicalNanos < 0) {
      throw new IllegalArgumentException("physical time must be >= 0 ns, got " + physicalNanos);
    }
  }

  private static long increment(long c) {
    if (c == Long.MAX_VALUE) {
      throw new ArithmeticException("hybrid clock logical counter overflow");
    }
    return c + 1;
  }

  @Override
  public String toString() {
    return "HLC(" + last + ", maxOffset=" + maxOffsetNanos + "ns)";
  }
}
