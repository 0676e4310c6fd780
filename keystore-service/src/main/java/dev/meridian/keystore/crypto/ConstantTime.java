package dev.meridian.keystore.crypto;

import java.security.MessageDigest;

/** Comparisons whose running time does not depend on where two secrets first differ. */
public final class ConstantTime {
  private ConstantTime() {}

  /**
   * Whether {@code a} and {@code b} hold the same bytes. For arrays of equal length the time
   * taken depends only on the length, not on the contents ({@link MessageDigest#isEqual} has
   * guaranteed that since Java 6u17); arrays of different lengths are unequal at once, so the
   * lengths themselves are not secret. Two {@code null}s are equal; {@code null} and an array
   * are not.
   */
  public static boolean equal(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }
}
