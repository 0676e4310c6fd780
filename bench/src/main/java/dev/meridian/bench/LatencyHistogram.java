package dev.meridian.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-bucket log-linear histogram of non-negative nanosecond values: 64 linear sub-buckets per
 * power of two, so a reported percentile is within about 1.6 % of the true sample. Values from 0
 * to 2^40 ns (18 minutes) are kept; larger ones land in the last bucket.
 *
 * <p>Thread-safe: {@link #record} may be called from any thread (an atomic add per sample).
 */
final class LatencyHistogram {
  private static final int SUB_BITS = 6;
  private static final int SUB = 1 << SUB_BITS; // 64
  private static final int MAX_EXPONENT = 40;
  private static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  void record(long nanos) {
    counts.incrementAndGet(index(Math.max(0, nanos)));
  }

  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (v >>> (exponent - SUB_BITS)) & (SUB - 1);
    return (exponent - SUB_BITS + 1) * SUB + sub;
  }

  /** The smallest value that falls into bucket {@code i}. */
  static long lowest(int i) {
    if (i < SUB) {
      return i;
    }
    int exponent = i / SUB + SUB_BITS - 1;
    long sub = i % SUB;
    return (SUB + sub) << (exponent - SUB_BITS);
  }

  /** The width of bucket {@code i}. */
  static long width(int i) {
    return i < SUB ? 1 : 1L << (i / SUB - 1);
  }

  /** Adds every sample of {@code other} to this histogram. */
  void addAll(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      long c = other.counts.get(i);
      if (c != 0) {
        counts.addAndGet(i, c);
      }
    }
  }

  long count() {
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      n += counts.get(i);
    }
    return n;
  }

  /**
   * The value at quantile {@code q} (0 < q <= 1): the middle of the bucket holding the
   * ceil(q * count)-th smallest sample; -1 when empty.
   */
  long quantile(double q) {
    long total = count();
    if (total == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return lowest(i) + width(i) / 2;
      }
    }
    return lowest(BUCKETS - 1);
  }
}
