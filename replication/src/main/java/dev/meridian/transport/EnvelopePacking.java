package dev.meridian.transport;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The packed form of a batch of envelopes in {@code LinkFrame.packed_envelopes}: each envelope is
 * its length as an unsigned LEB128 varint (1–5 bytes, shortest form, at most {@link
 * Integer#MAX_VALUE}) followed by that many bytes; envelopes follow each other with nothing in
 * between; an empty buffer is an empty batch.
 *
 * <p>One bytes field instead of a repeated protobuf message because gRPC's protobuf parser copies
 * every {@code bytes} field, and per-envelope messages cost 2–4× in throughput (see {@code
 * shared/BENCHMARKING.md}).
 *
 * <p>Reading trusts nothing: {@link #validate} checks the whole buffer before {@link #unpack}
 * hands out any envelope, so a batch is delivered entirely or not at all.
 */
final class EnvelopePacking {
  private EnvelopePacking() {}

  /** Thrown for a buffer that is not a well-formed packing; the message says where and why. */
  static final class MalformedPackingException extends Exception {
    MalformedPackingException(String message) {
      super(message);
    }
  }

  /** Bytes that the varint length prefix of an envelope of {@code length} bytes takes. */
  static int prefixSize(int length) {
    if (length < 0) {
      throw new IllegalArgumentException("length must be >= 0, got " + length);
    }
    if (length < (1 << 7)) {
      return 1;
    }
    if (length < (1 << 14)) {
      return 2;
    }
    if (length < (1 << 21)) {
      return 3;
    }
    if (length < (1 << 28)) {
      return 4;
    }
    return 5;
  }

  /** Bytes that {@code envelope} takes in a packing, prefix included. */
  static int packedSize(byte[] envelope) {
    return prefixSize(envelope.length) + envelope.length;
  }

  /**
   * Writes {@code count} envelopes from {@code envelopes} into a new array of exactly {@code
   * packedBytes} bytes, the sum of their {@link #packedSize}s.
   */
  static byte[] pack(byte[][] envelopes, int count, int packedBytes) {
    byte[] out = new byte[packedBytes];
    int pos = 0;
    for (int i = 0; i < count; i++) {
      byte[] e = envelopes[i];
      int v = e.length;
      while ((v & ~0x7F) != 0) {
        out[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      out[pos++] = (byte) v;
      System.arraycopy(e, 0, out, pos, e.length);
      pos += e.length;
    }
    if (pos != packedBytes) {
      throw new IllegalStateException("packed " + pos + " bytes, expected " + packedBytes);
    }
    return out;
  }

  /**
   * Checks that {@code packed} (from its position to its limit) is a well-formed packing, without
   * moving its position.
   *
   * @return how many envelopes it holds
   * @throws MalformedPackingException naming the offset and the fault: a varint longer than 5
   *     bytes, not in shortest form, above {@link Integer#MAX_VALUE} or cut off by the end of the
   *     buffer, or a length that runs past the end of the buffer
   */
  static int validate(ByteBuffer packed) throws MalformedPackingException {
    int pos = packed.position();
    int limit = packed.limit();
    int count = 0;
    while (pos < limit) {
      int start = pos;
      long length = 0;
      int shift = 0;
      while (true) {
        if (pos >= limit) {
          throw new MalformedPackingException("envelope " + count + " at offset "
              + (start - packed.position()) + ": length varint cut off by the end of the "
              + (limit - packed.position()) + "-byte batch");
        }
        int b = packed.get(pos++) & 0xFF;
        if (shift == 28 && (b & 0xF8) != 0) {
          throw new MalformedPackingException("envelope " + count + " at offset "
              + (start - packed.position())
              + ": length varint exceeds 2^31-1 or is longer than 5 bytes");
        }
        length |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (b == 0 && shift > 0) {
            throw new MalformedPackingException("envelope " + count + " at offset "
                + (start - packed.position()) + ": length varint is not in shortest form");
          }
          break;
        }
        shift += 7;
      }
      if (length > limit - pos) {
        throw new MalformedPackingException("envelope " + count + " at offset "
            + (start - packed.position()) + ": length " + length + " runs past the end of the "
            + (limit - packed.position()) + "-byte batch (" + (limit - pos) + " bytes left)");
      }
      pos += (int) length;
      count++;
    }
    return count;
  }

  /**
   * Hands every envelope of a buffer that {@link #validate} accepted to {@code sink}, each as a
   * fresh array, in order. Does not move the buffer's position.
   */
  static void unpack(ByteBuffer packed, Consumer<byte[]> sink) {
    ByteBuffer view = packed.duplicate();
    while (view.hasRemaining()) {
      int length = 0;
      int shift = 0;
      int b;
      do {
        b = view.get() & 0xFF;
        length |= (b & 0x7F) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      byte[] envelope = new byte[length];
      view.get(envelope);
      sink.accept(envelope);
    }
  }
}
