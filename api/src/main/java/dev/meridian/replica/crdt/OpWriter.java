package dev.meridian.replica.crdt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;

/**
 * Builds the binary form shared by the CRDT op codecs: a version byte, an op-kind byte, then the
 * op's fields as canonical unsigned LEB128 varints (zigzag for signed numbers) and length-prefixed
 * byte strings. Tags are a count, then per tag in {@link Tag} order the node id's length, its
 * ASCII bytes, and the sequence number.
 */
final class OpWriter {
  private byte[] buf = new byte[32];
  private int len;

  OpWriter(int version, int kind) {
    writeByte(version);
    writeByte(kind);
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  OpWriter writeByte(int b) {
    ensure(1);
    buf[len++] = (byte) b;
    return this;
  }

  /** An unsigned varint: {@code value} is read as an unsigned 64-bit number. */
  OpWriter writeVarint(long value) {
    ensure(10);
    while ((value & ~0x7FL) != 0) {
      buf[len++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[len++] = (byte) value;
    return this;
  }

  /** A signed number, zigzag-mapped so that small magnitudes take few bytes. */
  OpWriter writeZigZag(long value) {
    return writeVarint((value << 1) ^ (value >> 63));
  }

  /** A length-prefixed byte string. */
  OpWriter writeBytes(byte[] bytes) {
    writeVarint(bytes.length);
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    return this;
  }

  /** A tag set; {@code tags} must iterate in {@link Tag} order without duplicates. */
  OpWriter writeTags(Collection<Tag> tags) {
    writeVarint(tags.size());
    for (Tag tag : tags) {
      writeBytes(tag.node().value().getBytes(StandardCharsets.US_ASCII));
      writeVarint(tag.sequence());
    }
    return this;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }
}
