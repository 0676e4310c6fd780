package dev.meridian.runtime;

import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of causal multicast's link frames. Compact and strict: unsigned LEB128 varints
 * for every number, a version byte first, and decoding that refuses anything it did not write.
 *
 * <pre>
 * frame    = version(1) senderInc receiverInc ack firstSeq count payload*
 * payload  = 0 origin width vt[width] length bytes[length]     (an update)
 *          | 1 width counts[width]                              (delivered counts)
 * </pre>
 */
public final class CausalFrameCodec implements WireCodec<LinkFrame<CausalWire>> {
  static final int VERSION = 1;
  private static final int UPDATE = 0;
  private static final int DELIVERED = 1;

  private final int maxMembers;
  private final int maxPayloadBytes;

  /**
   * @param maxMembers the largest vector a frame may carry (the group size)
   * @param maxPayloadBytes the largest operation a frame may carry
   */
  public CausalFrameCodec(int maxMembers, int maxPayloadBytes) {
    if (maxMembers < 1 || maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxMembers must be >= 1 and maxPayloadBytes >= 0, got "
          + maxMembers + " and " + maxPayloadBytes);
    }
    this.maxMembers = maxMembers;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  @Override
  public byte[] encode(LinkFrame<CausalWire> frame) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(VERSION);
    varint(out, frame.senderIncarnation());
    varint(out, frame.receiverIncarnation());
    varint(out, frame.ack());
    varint(out, frame.firstSeq());
    varint(out, frame.payloads().size());
    for (CausalWire w : frame.payloads()) {
      if (w instanceof CausalWire.Update u) {
        out.write(UPDATE);
        varint(out, u.origin());
        longs(out, u.vt());
        byte[] payload = u.payload();
        varint(out, payload.length);
        out.write(payload, 0, payload.length);
      } else if (w instanceof CausalWire.Delivered d) {
        out.write(DELIVERED);
        longs(out, d.counts());
      }
    }
    return out.toByteArray();
  }

  @Override
  public LinkFrame<CausalWire> decode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("frame must not be null");
    }
    Reader in = new Reader(bytes);
    int version = in.u8("version");
    if (version != VERSION) {
      throw new IllegalArgumentException(
          "unsupported frame version " + version + " (expected " + VERSION + ")");
    }
    int senderInc = in.int32("sender incarnation");
    int receiverInc = in.int32("receiver incarnation");
    long ack = in.varint("ack");
    long firstSeq = in.varint("first sequence number");
    int count = in.int32("payload count");
    if (count > bytes.length - in.pos) {
      throw new IllegalArgumentException(
          "frame claims " + count + " payloads in " + (bytes.length - in.pos) + " bytes");
    }
    List<CausalWire> payloads = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int kind = in.u8("payload " + i + " kind");
      if (kind == UPDATE) {
        int origin = in.int32("payload " + i + " origin");
        long[] vt = in.longs("payload " + i + " vector", maxMembers);
        int length = in.int32("payload " + i + " length");
        if (length > maxPayloadBytes || length > bytes.length - in.pos) {
          throw new IllegalArgumentException("payload " + i + " claims " + length
              + " bytes; at most " + Math.min(maxPayloadBytes, bytes.length - in.pos) + " fit");
        }
        byte[] payload = java.util.Arrays.copyOfRange(bytes, in.pos, in.pos + length);
        in.pos += length;
        payloads.add(new CausalWire.Update(origin, vt, payload));
      } else if (kind == DELIVERED) {
        payloads.add(new CausalWire.Delivered(in.longs("payload " + i + " counts", maxMembers)));
      } else {
        throw new IllegalArgumentException("payload " + i + " has unknown kind " + kind);
      }
    }
    if (in.pos != bytes.length) {
      throw new IllegalArgumentException(
          "frame has " + (bytes.length - in.pos) + " trailing bytes");
    }
    return new LinkFrame<>(senderInc, receiverInc, ack, firstSeq, payloads);
  }

  private static void longs(ByteArrayOutputStream out, long[] values) {
    varint(out, values.length);
    for (long v : values) {
      varint(out, v);
    }
  }

  private static void varint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static final class Reader {
    final byte[] bytes;
    int pos;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    int u8(String what) {
      if (pos >= bytes.length) {
        throw new IllegalArgumentException("frame truncated: " + what + " missing");
      }
      return bytes[pos++] & 0xFF;
    }

    long varint(String what) {
      long result = 0;
      for (int shift = 0; shift < 63; shift += 7) {
        int b = u8(what);
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException(what + " does not fit in a non-negative long");
    }

    int int32(String what) {
      long v = varint(what);
      if (v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(what + " " + v + " is out of range");
      }
      return (int) v;
    }

    long[] longs(String what, int max) {
      int n = int32(what + " width");
      if (n > max) {
        throw new IllegalArgumentException(what + " has " + n + " entries; at most " + max);
      }
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] = varint(what + "[" + i + "]");
      }
      return values;
    }
  }
}
