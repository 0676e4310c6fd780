package dev.meridian.keystore.agreement;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The opaque byte string a broadcast agrees on (an encoded admin action). Immutable; equal to
 * another by content.
 *
 * <p>Failure model: a null array or one longer than {@link #MAX_BYTES} is refused with an
 * exception naming the length, so a peer cannot make a process hold arbitrarily large values.
 */
public final class Value {
  /** Largest value accepted: admin actions are small. */
  public static final int MAX_BYTES = 64 * 1024;

  private final byte[] bytes;

  private Value(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * The value with these bytes (copied).
   *
   * @throws IllegalArgumentException if longer than {@link #MAX_BYTES}
   */
  public static Value of(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException("value is " + bytes.length + " bytes; at most "
          + MAX_BYTES + " allowed");
    }
    return new Value(bytes.clone());
  }

  /** A copy of the bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Length in bytes. */
  public int length() {
    return bytes.length;
  }

  byte[] unsafeBytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Value other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** {@code Value[<length> bytes, <first 8 hex digits>]}. */
  @Override
  public String toString() {
    return "Value[" + bytes.length + " bytes, "
        + HexFormat.of().formatHex(bytes, 0, Math.min(4, bytes.length)) + "]";
  }
}
