package dev.meridian.replica.crdt;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An encoded element or key, used as the identity of that element or key inside a CRDT. Compares
 * by unsigned lexicographic byte order, so iteration order is the same on every member and JVM.
 * Owns its array: callers hand over a fresh one and never see it again.
 */
final class Bytes implements Comparable<Bytes> {
  private final byte[] value;
  private final int hash;

  private Bytes(byte[] value) {
    this.value = value;
    this.hash = Arrays.hashCode(value);
  }

  /** Wraps {@code owned}, which the caller must not touch afterwards. */
  static Bytes own(byte[] owned) {
    return new Bytes(owned);
  }

  /** The wrapped bytes; callers must not modify them. */
  byte[] unsafeArray() {
    return value;
  }

  /** A fresh copy of the bytes, safe to hand to a codec or a caller. */
  byte[] copy() {
    return value.clone();
  }

  int length() {
    return value.length;
  }

  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(value, other.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && hash == other.hash && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(value);
  }
}
