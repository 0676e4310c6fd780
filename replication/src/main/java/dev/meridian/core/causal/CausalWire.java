package dev.meridian.core.causal;

import java.util.Arrays;

/** What causal multicast puts on the reliable links. */
public sealed interface CausalWire {

  /**
   * An update from member {@code origin} (an index into the group's member list) stamped with
   * its vector timestamp: {@code vt[origin]} is its sequence number, {@code vt[k]} for every
   * other k the number of k's updates its origin had delivered when it sent it.
   *
   * <p>Immutable. The constructor and the array accessors copy; the hot path (decoding,
   * submitting) uses {@link #adopt} and the read-only accessors instead, so an update is
   * allocated once and never copied on its way through the layers.
   */
  final class Update implements CausalWire {
    private final int origin;
    private final long[] vt;
    private final byte[] payload;
    // The binary form, made on first use and kept: an update goes to every peer, encoded once.
    // Not part of the value. A benign race, like String's hash: all threads make the same bytes.
    private byte[] encoded;

    /** @throws IllegalArgumentException if origin is outside vt or vt[origin] is not >= 1 */
    public Update(int origin, long[] vt, byte[] payload) {
      this(origin, vt, payload, true);
    }

    private Update(int origin, long[] vt, byte[] payload, boolean copy) {
      if (origin < 0 || vt == null || origin >= vt.length || vt[origin] < 1 || payload == null) {
        throw new IllegalArgumentException("malformed update: origin=" + origin + " vt="
            + Arrays.toString(vt) + " payload=" + (payload == null ? "null" : "present"));
      }
      this.origin = origin;
      this.vt = copy ? vt.clone() : vt;
      this.payload = copy ? payload.clone() : payload;
    }

    /**
     * An update that takes ownership of {@code vt} and {@code payload} instead of copying them:
     * the caller must never modify either array afterwards.
     *
     * @throws IllegalArgumentException as the constructor
     */
    public static Update adopt(int origin, long[] vt, byte[] payload) {
      return new Update(origin, vt, payload, false);
    }

    public int origin() {
      return origin;
    }

    /** The update's sequence number at its origin: 1, 2, 3... */
    public long seq() {
      return vt[origin];
    }

    /** A copy of the vector timestamp. */
    public long[] vt() {
      return vt.clone();
    }

    /** A copy of the payload. */
    public byte[] payload() {
      return payload.clone();
    }

    /** Entry {@code k} of the vector timestamp. */
    public long vtAt(int k) {
      return vt[k];
    }

    /** The number of entries of the vector timestamp (the group size at the origin). */
    public int width() {
      return vt.length;
    }

    public int payloadLength() {
      return payload.length;
    }

    /** Copies payload bytes {@code [from, from + length)} into {@code dst} at {@code at}. */
    public void copyPayload(int from, byte[] dst, int at, int length) {
      System.arraycopy(payload, from, dst, at, length);
    }

    /** Payload bytes {@code [at, at + 8)} as a big-endian long. */
    public long payloadLong(int at) {
      long v = 0;
      for (int i = at; i < at + 8; i++) {
        v = (v << 8) | (payload[i] & 0xFF);
      }
      return v;
    }

    /**
     * The length of this update's binary form: {@code origin width vt[0..width) length} as
     * unsigned LEB128 varints, then the payload's bytes.
     */
    public int encodedLength() {
      return encoded().length;
    }

    /** Writes this update's binary form ({@link #encodedLength}) into {@code dst} at {@code at}. */
    public void writeEncoded(byte[] dst, int at) {
      byte[] e = encoded();
      System.arraycopy(e, 0, dst, at, e.length);
    }

    private byte[] encoded() {
      byte[] e = encoded;
      if (e == null) {
        int size = varintSize(origin) + varintSize(vt.length) + varintSize(payload.length)
            + payload.length;
        for (long v : vt) {
          size += varintSize(v);
        }
        e = new byte[size];
        int at = putVarint(e, 0, origin);
        at = putVarint(e, at, vt.length);
        for (long v : vt) {
          at = putVarint(e, at, v);
        }
        at = putVarint(e, at, payload.length);
        System.arraycopy(payload, 0, e, at, payload.length);
        encoded = e;
      }
      return e;
    }

    private static int varintSize(long value) {
      return value == 0 ? 1 : (70 - Long.numberOfLeadingZeros(value)) / 7;
    }

    private static int putVarint(byte[] dst, int at, long value) {
      while ((value & ~0x7FL) != 0) {
        dst[at++] = (byte) ((value & 0x7F) | 0x80);
        value >>>= 7;
      }
      dst[at++] = (byte) value;
      return at;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Update u && u.origin == origin && Arrays.equals(u.vt, vt)
          && Arrays.equals(u.payload, payload);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * origin + Arrays.hashCode(vt)) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
      return "Update{" + origin + "#" + seq() + " vt=" + Arrays.toString(vt) + " "
          + payload.length + "B}";
    }
  }

  /** How many updates of each member the sender has delivered: for stability tracking. */
  record Delivered(long[] counts) implements CausalWire {
    public Delivered {
      if (counts == null) {
        throw new IllegalArgumentException("delivered counts must not be null");
      }
      counts = counts.clone();
    }

    @Override
    public long[] counts() {
      return counts.clone();
    }

    /** Entry {@code k} of the counts. */
    public long countAt(int k) {
      return counts[k];
    }

    /** The number of entries (the group size at the sender). */
    public int width() {
      return counts.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Delivered d && Arrays.equals(d.counts, counts);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
      return "Delivered" + Arrays.toString(counts);
    }
  }
}
