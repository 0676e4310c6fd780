package dev.meridian.keystore.server;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Latencies in microseconds, counted in fixed log-linear buckets: exact below 4 µs, then four
 * buckets per power of two, so a bucket's upper bound is at most 25% above any value in it.
 * That is the HDR-histogram idea at a tiny scale; it keeps recording to two atomic adds and no
 * allocation, and memory fixed whatever the traffic.
 *
 * <p>Guarantee: {@link #percentileMicros} returns the upper bound of the bucket holding the
 * value of that rank, so it never under-reports and over-reports by at most 25%. Values of
 * 2^34 µs (about 4.8 hours) and more land in the last bucket. Thread-safe; a percentile read
 * while values are being recorded reflects some of them, which is what a monitoring read needs.
 */
final class LatencyHistogram {
  /** Sub-buckets per power of two (a power of two itself). */
  private static final int SUB = 4;
  private static final int SUB_BITS = 2;
  /** Powers of two covered: 2^2 .. 2^(2 + POWERS) µs. */
  private static final int POWERS = 32;
  static final int BUCKETS = SUB + POWERS * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final LongAdder total = new LongAdder();

  /** Records one latency; negative values count as 0. */
  void record(long micros) {
    counts.incrementAndGet(bucket(micros));
    total.increment();
  }

  /** Values recorded. */
  long count() {
    return total.sum();
  }

  /**
   * An upper bound of the {@code p}-quantile ({@code 0 < p <= 1}) of the recorded values, in
   * microseconds; 0 when nothing was recorded.
   */
  long percentileMicros(double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("percentile must be in (0, 1], was " + p);
    }
    long[] snapshot = new long[BUCKETS];
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      snapshot[i] = counts.get(i);
      n += snapshot[i];
    }
    if (n == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(p * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += snapshot[i];
      if (seen >= rank) {
        return upperBound(i);
      }
    }
    return upperBound(BUCKETS - 1);
  }

  static int bucket(long micros) {
    if (micros < SUB) {
      return (int) Math.max(0, micros);
    }
    int power = 63 - Long.numberOfLeadingZeros(micros); // >= SUB_BITS
    int sub = (int) (micros >>> (power - SUB_BITS)) & (SUB - 1);
    int index = SUB + (power - SUB_BITS) * SUB + sub;
    return Math.min(index, BUCKETS - 1);
  }

  /** The largest value that falls in bucket {@code index}. */
  static long upperBound(int index) {
    if (index < SUB) {
      return index;
    }
    int power = (index - SUB) / SUB + SUB_BITS;
    int sub = (index - SUB) % SUB;
    return ((long) (SUB + sub + 1) << (power - SUB_BITS)) - 1;
  }
}
