package dev.meridian.keystore.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An immutable byte string: the keys (and prefixes) of a {@link RecordStore}.
 *
 * <p><b>Guarantee</b>: the bytes never change after construction. The constructor and {@link
 * #value()} copy, so neither the array passed in nor the one handed out aliases the stored one.
 * {@code equals}, {@code hashCode} and {@code compareTo} go by content; the order is unsigned
 * lexicographic ({@code 0x7f < 0x80}, a proper prefix before its extensions), the order in which
 * {@link RecordStore#scan} returns keys. {@code toString} is lowercase hex.
 *
 * <p><b>Failure model</b>: {@code null} arrays are refused with {@link NullPointerException}.
 *
 * @param value the bytes (copied)
 */
public record Bytes(byte[] value) implements Comparable<Bytes> {

  private static final HexFormat HEX = HexFormat.of();

  /** Copies {@code value}. */
  public Bytes {
    value = Objects.requireNonNull(value, "value").clone();
  }

  /** The concatenation of {@code parts}, copied. */
  public static Bytes of(byte[]... parts) {
    Objects.requireNonNull(parts, "parts");
    int length = 0;
    for (byte[] part : parts) {
      length = Math.addExact(length, Objects.requireNonNull(part, "part").length);
    }
    byte[] joined = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, joined, at, part.length);
      at += part.length;
    }
    return new Bytes(joined);
  }

  /** The UTF-8 encoding of {@code text}. */
  public static Bytes utf8(String text) {
    return new Bytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the bytes. */
  @Override
  public byte[] value() {
    return value.clone();
  }

  /** The bytes themselves, for this package's code that only reads them. */
  byte[] array() {
    return value;
  }

  /** The number of bytes. */
  public int length() {
    return value.length;
  }

  /** Whether the first {@code prefix.length()} bytes are {@code prefix}'s. */
  public boolean startsWith(Bytes prefix) {
    return startsWith(value, prefix.value);
  }

  static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Bytes bytes && Arrays.equals(value, bytes.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  /** Unsigned lexicographic. */
  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(value, other.value);
  }

  /** Lowercase hex, e.g. {@code 7f80}; empty for no bytes. */
  @Override
  public String toString() {
    return HEX.formatHex(value);
  }
}
