package dev.meridian.replica.crdt;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads the form {@link OpWriter} writes, strictly: every violation is an {@link
 * IllegalArgumentException} that names the op type, the field and its byte offset. Strict means
 * canonical, too: a varint with redundant zero groups, unsorted or duplicate tags and trailing
 * bytes are refused, so every accepted input re-encodes to exactly itself.
 */
final class OpReader {
  /** Smallest encoded tag: a 1-byte length, a 1-character id and a 1-byte sequence number. */
  private static final int MIN_TAG_BYTES = 3;

  private final byte[] bytes;
  private final String what;
  private int pos;

  /**
   * @param what names the encoding in error messages, e.g. {@code "OrSet op"}
   * @throws IllegalArgumentException if {@code bytes} is null
   */
  OpReader(byte[] bytes, String what) {
    if (bytes == null) {
      throw new IllegalArgumentException("encoded " + what + " must not be null");
    }
    this.bytes = bytes;
    this.what = what;
  }

  IllegalArgumentException error(String message) {
    return new IllegalArgumentException("encoded " + what + ": " + message);
  }

  private IllegalArgumentException truncated(String field) {
    return error(
        "truncated: " + field + " missing at byte " + pos + " of " + bytes.length);
  }

  /** Reads the version byte and refuses any but {@code expected}. */
  void readVersion(int expected) {
    int version = readByte("version byte");
    if (version != expected) {
      throw error(
          "unsupported encoding version " + version + " (expected " + expected + ")");
    }
  }

  /** An unsigned byte. */
  int readByte(String field) {
    if (pos >= bytes.length) {
      throw truncated(field);
    }
    return bytes[pos++] & 0xFF;
  }

  /** Position of the next byte to read, for error messages. */
  int position() {
    return pos;
  }

  /** A canonical unsigned varint of up to 64 bits, returned as the same bit pattern. */
  long readVarint(String field) {
    int start = pos;
    long result = 0;
    for (int i = 0; i < 10; i++) {
      if (pos >= bytes.length) {
        throw truncated(field);
      }
      int b = bytes[pos++] & 0xFF;
      if (i == 9 && b > 1) {
        throw error(field + " at byte " + start + " does not fit in 64 bits");
      }
      result |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw error(field + " at byte " + start + " is not minimally encoded");
        }
        return result;
      }
    }
    throw new AssertionError("unreachable: the tenth byte has no continuation bit");
  }

  /** A zigzag-mapped signed number. */
  long readZigZag(String field) {
    long raw = readVarint(field);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** An unsigned varint in {@code [min, max]}. */
  long readVarintInRange(String field, long min, long max) {
    int start = pos;
    long v = readVarint(field);
    if (v < min || v > max) { // v < 0 means above Long.MAX_VALUE as unsigned
      throw error(
          field + " at byte " + start + " is " + Long.toUnsignedString(v) + ", must be in ["
              + min + ", " + max + "]");
    }
    return v;
  }

  /** A length-prefixed byte string, copied. */
  byte[] readBytes(String field) {
    int start = pos;
    long n = readVarint("length of " + field);
    if (n < 0 || n > bytes.length - pos) {
      throw error(
          "truncated: " + field + " at byte " + start + " has length " + Long.toUnsignedString(n)
              + " but only " + (bytes.length - pos) + " bytes are left");
    }
    byte[] out = new byte[(int) n];
    System.arraycopy(bytes, pos, out, 0, out.length);
    pos += out.length;
    return out;
  }

  /**
   * A length-prefixed value decoded with {@code codec}; the codec's complaint, or any exception a
   * misbehaving codec throws, becomes an {@link IllegalArgumentException} naming the field.
   */
  <T> T readValue(Codec<T> codec, String field) {
    int start = pos;
    byte[] raw = readBytes(field);
    T value;
    try {
      value = codec.decode(raw);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "encoded " + what + ": " + field + " at byte " + start + " does not decode with "
              + codec + ": " + e.getMessage(),
          e);
    }
    if (value == null) {
      throw error(field + " at byte " + start + " decoded to null with " + codec);
    }
    return value;
  }

  /** A tag set: sorted, unique, each a valid node id with a sequence number >= 1. */
  SortedSet<Tag> readTags(String field) {
    int start = pos;
    long count = readVarint("count of " + field);
    if (count < 0 || count > (bytes.length - pos) / MIN_TAG_BYTES) {
      throw error(
          "truncated: " + field + " at byte " + start + " claims " + Long.toUnsignedString(count)
              + " tags but only " + (bytes.length - pos) + " bytes are left");
    }
    TreeSet<Tag> tags = new TreeSet<>();
    Tag previous = null;
    for (long k = 0; k < count; k++) {
      int at = pos;
      String label = "tag " + k + " of " + field;
      byte[] id = readBytes("node id of " + label);
      for (int i = 0; i < id.length; i++) {
        if (id[i] < 0) { // NodeId.of names ASCII characters itself; bytes >= 0x80 are no char
          throw error(
              "node id of " + label + " at byte " + at + " has non-ASCII byte 0x"
                  + Integer.toHexString(id[i] & 0xFF) + " at index " + i);
        }
      }
      NodeId node;
      try {
        node = NodeId.of(new String(id, StandardCharsets.US_ASCII));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "encoded " + what + ": " + label + " at byte " + at + ": " + e.getMessage(), e);
      }
      long sequence = readVarintInRange("sequence number of " + label, 1, Long.MAX_VALUE);
      Tag tag = new Tag(node, sequence);
      if (previous != null && previous.compareTo(tag) >= 0) {
        throw error(
            label + " at byte " + at + " (" + tag + ") is not after " + previous
                + "; tags must be sorted and unique");
      }
      tags.add(tag);
      previous = tag;
    }
    return Collections.unmodifiableSortedSet(tags);
  }

  /** Refuses trailing bytes. */
  void end() {
    if (pos != bytes.length) {
      throw error((bytes.length - pos) + " trailing bytes at byte " + pos);
    }
  }
}
