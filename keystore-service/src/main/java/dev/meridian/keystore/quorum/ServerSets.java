package dev.meridian.keystore.quorum;

import java.util.BitSet;
import java.util.Objects;

/** Helpers for sets of server indexes: range checks, bit masks and printing. */
final class ServerSets {

  private ServerSets() {}

  /**
   * Checks that {@code servers} only holds indexes {@code < n}.
   *
   * @throws NullPointerException if {@code servers} is null
   * @throws IllegalArgumentException naming the first bad index and the allowed range
   */
  static void checkRange(BitSet servers, int n, String what) {
    Objects.requireNonNull(servers, what);
    if (servers.length() > n) {
      throw new IllegalArgumentException(
          what + " holds server index " + servers.nextSetBit(n) + ", allowed 0.." + (n - 1));
    }
  }

  /** The number of 64-bit words a mask over {@code n} servers takes. */
  static int words(int n) {
    return (n + 63) >>> 6;
  }

  /** {@code servers} as {@code words} 64-bit words, least significant server first. */
  static long[] toMask(BitSet servers, int words) {
    long[] raw = servers.toLongArray();
    long[] mask = new long[words];
    System.arraycopy(raw, 0, mask, 0, Math.min(raw.length, words));
    return mask;
  }

  /** The set of {@code words} words of {@code masks} starting at {@code offset}. */
  static BitSet toBitSet(long[] masks, int offset, int words) {
    long[] copy = new long[words];
    System.arraycopy(masks, offset, copy, 0, words);
    return BitSet.valueOf(copy);
  }

  /** {@code {0, 1, 5}}. */
  static String format(BitSet servers) {
    return servers.toString();
  }

  /** C(m, k) for small arguments, saturating at {@link Long#MAX_VALUE}. */
  static long binomial(int m, int k) {
    if (k < 0 || k > m) {
      return 0;
    }
    k = Math.min(k, m - k);
    long result = 1;
    try {
      for (int i = 1; i <= k; i++) {
        // result * (m - k + i) is divisible by i: it is C(m - k + i, i) * i.
        result = Math.multiplyExact(result, m - k + i) / i;
      }
    } catch (ArithmeticException overflow) {
      return Long.MAX_VALUE;
    }
    return result;
  }
}
