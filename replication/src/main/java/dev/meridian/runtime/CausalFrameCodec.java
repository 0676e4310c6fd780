package dev.meridian.runtime;

import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import java.util.ArrayList;
import java.util.Arrays;
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
    // Sized exactly first, then written in place: one allocation per frame.
    List<CausalWire> payloads = frame.payloads();
    int size = 1 + varintSize(frame.senderIncarnation()) + varintSize(frame.receiverIncarnation())
        + varintSize(frame.ack()) + varintSize(frame.firstSeq()) + varintSize(payloads.size());
    for (CausalWire w : payloads) {
      if (w instanceof CausalWire.Update u) {
        size += 1 + u.encodedLength();
      } else if (w instanceof CausalWire.Delivered d) {
        size += 1 + varintSize(d.width());
        for (int k = 0; k < d.width(); k++) {
          size += varintSize(d.countAt(k));
        }
      }
    }
    Writer out = new Writer(new byte[size]);
    out.u8(VERSION);
    out.varint(frame.senderIncarnation());
    out.varint(frame.receiverIncarnation());
    out.varint(frame.ack());
    out.varint(frame.firstSeq());
    out.varint(payloads.size());
    for (CausalWire w : payloads) {
      if (w instanceof CausalWire.Update u) {
        out.u8(UPDATE);
        u.writeEncoded(out.bytes, out.pos); // origin width vt length payload
        out.pos += u.encodedLength();
      } else if (w instanceof CausalWire.Delivered d) {
        out.u8(DELIVERED);
        out.varint(d.width());
        for (int k = 0; k < d.width(); k++) {
          out.varint(d.countAt(k));
        }
      }
    }
    if (out.pos != size) {
      throw new IllegalStateException("encoded " + out.pos + " bytes, sized " + size);
    }
    return out.bytes;
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
      in.payload = i; // names the payload in error messages; labels stay constant strings
      int kind = in.u8("kind");
      if (kind == UPDATE) {
        int origin = in.int32("origin");
        long[] vt = in.longs("vector", maxMembers);
        int length = in.int32("length");
        if (length > maxPayloadBytes || length > bytes.length - in.pos) {
          throw new IllegalArgumentException("payload " + i + " claims " + length
              + " bytes; at most " + Math.min(maxPayloadBytes, bytes.length - in.pos) + " fit");
        }
        byte[] payload = Arrays.copyOfRange(bytes, in.pos, in.pos + length);
        in.pos += length;
        payloads.add(CausalWire.Update.adopt(origin, vt, payload));
      } else if (kind == DELIVERED) {
        payloads.add(new CausalWire.Delivered(in.longs("counts", maxMembers)));
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

  private static int varintSize(long value) {
    // 1 byte per started group of 7 significant bits; 0 takes one byte
    return value == 0 ? 1 : (70 - Long.numberOfLeadingZeros(value)) / 7;
  }

  private static final class Writer {
    final byte[] bytes;
    int pos;

    Writer(byte[] bytes) {
      this.bytes = bytes;
    }

    void u8(int b) {
      bytes[pos++] = (byte) b;
    }

    void varint(long value) {
      while ((value & ~0x7FL) != 0) {
        bytes[pos++] = (byte) ((value & 0x7F) | 0x80);
        value >>>= 7;
      }
      bytes[pos++] = (byte) value;
    }
  }

  /** Reads strictly; {@code what} labels are constants, completed into a message only on error. */
  private static final class Reader {
    final byte[] bytes;
    int pos;
    int payload = -1; // the payload being read, if any

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    private String where(String what) {
      return payload < 0 ? what : "payload " + payload + " " + what;
    }

    int u8(String what) {
      if (pos >= bytes.length) {
        throw new IllegalArgumentException("frame truncated: " + where(what) + " missing");
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
      throw new IllegalArgumentException(where(what) + " does not fit in a non-negative long");
    }

    int int32(String what) {
      long v = varint(what);
      if (v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(where(what) + " " + v + " is out of range");
      }
      return (int) v;
    }

    long[] longs(String what, int max) {
      int n = int32(what);
      if (n > max) {
        throw new IllegalArgumentException(where(what) + " has " + n + " entries; at most "
            + max);
      }
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] = varint(what);
      }
      return values;
    }
  }
}
