package dev.meridian.time;

/**
 * A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014): {@code l},
 * the largest physical time (nanoseconds since the epoch) the issuing clock had heard of, and
 * {@code c}, a logical counter that orders events within one value of {@code l}.
 *
 * <p>Timestamps order lexicographically by {@code (physicalNanos, logical)}. Issued by a {@link
 * HybridLogicalClock}, that order respects happens-before; two timestamps from different nodes may
 * be equal, so a user that needs a total order (a last-writer-wins register, say) breaks ties with
 * the node id.
 *
 * @param physicalNanos {@code l}: physical time in nanoseconds since the epoch, {@code >= 0}
 * @param logical {@code c}: the logical counter, {@code >= 0}
 */
public record HybridTimestamp(long physicalNanos, long logical)
    implements Comparable<HybridTimestamp> {

  /** The timestamp before every other. */
  public static final HybridTimestamp ZERO = new HybridTimestamp(0, 0);

  /** @throws IllegalArgumentException if either part is negative */
  public HybridTimestamp {
    if (physicalNanos < 0) {
      throw new IllegalArgumentException(
          "hybrid timestamp physical part must be >= 0 ns, got " + physicalNanos);
    }
    if (logical < 0) {
      throw new IllegalArgumentException(
          "hybrid timestamp logical part must be >= 0, got " + logical);
    }
  }

  @Override
  public int compareTo(HybridTimestamp other) {
    int c = Long.compare(physicalNanos, other.physicalNanos);
    return c != 0 ? c : Long.compare(logical, other.logical);
  }

  /** True when this timestamp orders strictly before {@code other}. */
  public boolean isBefore(HybridTimestamp other) {
    return compareTo(other) < 0;
  }

  /** Readable form {@code physicalNanos.logical}, e.g. {@code 1700000000000000123.4}. */
  @Override
  public String toString() {
    return physicalNanos + "." + logical;
  }
}
