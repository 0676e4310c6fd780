package dev.meridian.core.causal;

import java.util.Arrays;

/** What causal multicast puts on the reliable links. */
public sealed interface CausalWire {

  /**
   * An update from member {@code origin} (an index into the group's member list) stamped with
   * its vector timestamp: {@code vt[origin]} is its sequence number, {@code vt[k]} for every
   * other k the number of k's updates its origin had delivered when it sent it.
   */
  record Update(int origin, long[] vt, byte[] payload) implements CausalWire {
    public Update {
      if (origin < 0 || vt == null || origin >= vt.length || vt[origin] < 1 || payload == null) {
        throw new IllegalArgumentException("malformed update: origin=" + origin + " vt="
            + Arrays.toString(vt) + " payload=" + (payload == null ? "null" : "present"));
      }
      vt = vt.clone();
      payload = payload.clone();
    }

    /** The update's sequence number at its origin: 1, 2, 3... */
    public long seq() {
      return vt[origin];
    }

    @Override
    public long[] vt() {
      return vt.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    long vtAt(int k) {
      return vt[k];
    }

    int width() {
      return vt.length;
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

    long countAt(int k) {
      return counts[k];
    }

    int width() {
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
