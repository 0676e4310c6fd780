package dev.meridian.time;

import dev.meridian.NodeId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A vector clock keyed by {@link NodeId}, as an immutable value.
 *
 * <p><b>Guarantee.</b> When every process {@linkplain #increment increments} its own entry on each
 * event that matters (including sends and receives), sends its clock with each message, and
 * {@linkplain #merge merges} the clock of every message it receives before incrementing, then for
 * any two events a and b: {@code VT(a).compare(VT(b)) == BEFORE} exactly when a → b, and {@code
 * CONCURRENT} exactly when neither a → b nor b → a.
 *
 * <p>Entries are keyed by node id rather than by position so that members may join and leave
 * without renumbering; a node that has no entry counts as 0, so {@code [a:1]} and {@code [a:1,
 * b:0]} are {@linkplain #equals equal}. Entries are kept sorted by node id, which makes {@link
 * #compare}, {@link #merge} and {@link #encode} single linear passes.
 *
 * <p><b>Failure model.</b> A process that loses its clock must come back under a new node id (a new
 * incarnation); reusing the old id with a reset counter breaks the guarantee.
 */
public final class VectorClock {
  /** The clock of a process that has seen no event. */
  public static final VectorClock EMPTY = new VectorClock(new NodeId[0], new long[0]);

  /** First byte of every {@link #encode()} output; decoding refuses any other. */
  static final byte ENCODING_VERSION = 1;

  private final NodeId[] nodes; // strictly ascending
  private final long[] counters; // same length, each >= 0

  private VectorClock(NodeId[] nodes, long[] counters) {
    this.nodes = nodes;
    this.counters = counters;
  }

  /**
   * A clock with the given entries.
   *
   * @throws IllegalArgumentException if the map, a key or a value is null, or a value is negative
   */
  public static VectorClock of(Map<NodeId, Long> entries) {
    if (entries == null) {
      throw new IllegalArgumentException("vector clock entries must not be null");
    }
    TreeMap<NodeId, Long> sorted = new TreeMap<>();
    for (Map.Entry<NodeId, Long> e : entries.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException("vector clock entry has a null node id");
      }
      Long value = e.getValue();
      if (value == null || value < 0) {
        throw new IllegalArgumentException(
            "vector clock entry for node " + e.getKey() + " must be >= 0, got " + value);
      }
      sorted.put(e.getKey(), value);
    }
    NodeId[] ids = sorted.keySet().toArray(new NodeId[0]);
    long[] values = sorted.values().stream().mapToLong(Long::longValue).toArray();
    return new VectorClock(ids, values);
  }

  /**
   * A clock with an explicit 0 entry for each member, such as the clock of a new view. It equals
   * {@link #EMPTY} but prints its members: {@code [a:0, b:0]}.
   *
   * @throws IllegalArgumentException if the collection or one of its ids is null
   */
  public static VectorClock zero(Collection<NodeId> members) {
    if (members == null) {
      throw new IllegalArgumentException("members must not be null");
    }
    TreeMap<NodeId, Long> entries = new TreeMap<>();
    for (NodeId id : members) {
      if (id == null) {
        throw new IllegalArgumentException("members must not contain a null node id");
      }
      entries.put(id, 0L);
    }
    return of(entries);
  }

  /** The counter of {@code node}: how many of its events this clock has seen (0 if absent). */
  public long get(NodeId node) {
    int i = Arrays.binarySearch(nodes, node);
    return i >= 0 ? counters[i] : 0;
  }

  /** The entries, sorted by node id, including explicit zeros. */
  public SortedMap<NodeId, Long> entries() {
    TreeMap<NodeId, Long> map = new TreeMap<>();
    for (int i = 0; i < nodes.length; i++) {
      map.put(nodes[i], counters[i]);
    }
    return Collections.unmodifiableSortedMap(map);
  }

  /** Number of entries held, including explicit zeros. */
  public int size() {
    return nodes.length;
  }

  /**
   * The clock after one more event of {@code node}.
   *
   * @throws IllegalArgumentException if {@code node} is null
   * @throws ArithmeticException if the counter would overflow
   */
  public VectorClock increment(NodeId node) {
    if (node == null) {
      throw new IllegalArgumentException("node to increment must not be null");
    }
    int i = Arrays.binarySearch(nodes, node);
    if (i >= 0) {
      if (counters[i] == Long.MAX_VALUE) {
        throw new ArithmeticException("vector clock counter of node " + node + " overflows");
      }
      long[] next = counters.clone();
      next[i]++;
      return new VectorClock(nodes, next);
    }
    int at = -i - 1;
    NodeId[] ids = new NodeId[nodes.length + 1];
    long[] values = new long[nodes.length + 1];
    System.arraycopy(nodes, 0, ids, 0, at);
    System.arraycopy(counters, 0, values, 0, at);
    ids[at] = node;
    values[at] = 1;
    System.arraycopy(nodes, at, ids, at + 1, nodes.length - at);
    System.arraycopy(counters, at, values, at + 1, nodes.length - at);
    return new VectorClock(ids, values);
  }

  /**
   * The pointwise maximum of the two clocks: everything either has seen. Keeps the union of the
   * entries.
   */
  public VectorClock merge(VectorClock other) {
    requireOther(other);
    if (other.nodes == nodes) { // same members (common: clocks derived from one view's clock)
      long[] values = new long[counters.length];
      for (int i = 0; i < values.length; i++) {
        values[i] = Math.max(counters[i], other.counters[i]);
      }
      return new VectorClock(nodes, values);
    }
    NodeId[] ids = new NodeId[nodes.length + other.nodes.length];
    long[] values = new long[ids.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < nodes.length || j < other.nodes.length) {
      int c = i == nodes.length ? 1 : j == other.nodes.length ? -1 : cmp(nodes[i], other.nodes[j]);
      if (c == 0) {
        ids[n] = nodes[i];
        values[n++] = Math.max(counters[i++], other.counters[j++]);
      } else if (c < 0) {
        ids[n] = nodes[i];
        values[n++] = counters[i++];
      } else {
        ids[n] = other.nodes[j];
        values[n++] = other.counters[j++];
      }
    }
    // Reuse an existing key array when one side's keys cover the other's, so that later merges
    // and compares of clocks from the same group hit the identity fast path.
    if (n == nodes.length) {
      return new VectorClock(nodes, Arrays.copyOf(values, n));
    }
    if (n == other.nodes.length) {
      return new VectorClock(other.nodes, Arrays.copyOf(values, n));
    }
    return new VectorClock(Arrays.copyOf(ids, n), Arrays.copyOf(values, n));
  }

  /**
   * How the event stamped with this clock relates to the event stamped with {@code other}: {@code
   * BEFORE} when this ≤ other pointwise and they differ, {@code AFTER} for the reverse, {@code
   * EQUAL}, or {@code CONCURRENT} when each has an entry larger than the other's.
   */
  public Causality compare(VectorClock other) {
    requireOther(other);
    boolean less = false;
    boolean greater = false;
    int i = 0;
    int j = 0;
    while (i < nodes.length || j < other.nodes.length) {
      long a;
      long b;
      int c = i == nodes.length ? 1 : j == other.nodes.length ? -1 : cmp(nodes[i], other.nodes[j]);
      if (c == 0) {
        a = counters[i++];
        b = other.counters[j++];
      } else if (c < 0) {
        a = counters[i++];
        b = 0;
      } else {
        a = 0;
        b = other.counters[j++];
      }
      if (a < b) {
        less = true;
      } else if (a > b) {
        greater = true;
      }
      if (less && greater) {
        return Causality.CONCURRENT;
      }
    }
    return less ? Causality.BEFORE : greater ? Causality.AFTER : Causality.EQUAL;
  }

  /** True when the event stamped with this clock happened before the one stamped {@code other}. */
  public boolean happensBefore(VectorClock other) {
    return compare(other) == Causality.BEFORE;
  }

  /** True when neither event happened before the other. */
  public boolean concurrentWith(VectorClock other) {
    return compare(other) == Causality.CONCURRENT;
  }

  private static int cmp(NodeId a, NodeId b) {
    return a == b ? 0 : a.compareTo(b);
  }

  private static void requireOther(VectorClock other) {
    if (other == null) {
      throw new IllegalArgumentException("other vector clock must not be null");
    }
  }

  /**
   * A compact binary form: a version byte ({@value #ENCODING_VERSION}), the entry count as an
   * unsigned LEB128 varint, then per entry in node-id order the id's length (varint), its ASCII
   * bytes and the counter (varint). {@code [a:1, b:0]} takes 8 bytes.
   */
  public byte[] encode() {
    // Sized exactly first, then written in place: this runs on every message.
    int size = 1 + varintSize(nodes.length);
    for (int i = 0; i < nodes.length; i++) {
      int len = nodes[i].value().length();
      size += varintSize(len) + len + varintSize(counters[i]);
    }
    byte[] out = new byte[size];
    out[0] = ENCODING_VERSION;
    int pos = writeVarint(out, 1, nodes.length);
    for (int i = 0; i < nodes.length; i++) {
      String id = nodes[i].value();
      pos = writeVarint(out, pos, id.length());
      for (int c = 0; c < id.length(); c++) {
        out[pos++] = (byte) id.charAt(c); // node ids are ASCII by construction
      }
      pos = writeVarint(out, pos, counters[i]);
    }
    return out;
  }

  /**
   * Reads the form written by {@link #encode()}.
   *
   * @throws IllegalArgumentException naming the problem and its byte offset, if the bytes are
   *     null, truncated, of another version, hold an invalid node id, ids out of order or
   *     duplicated, a counter that does not fit in a non-negative long, or trailing bytes
   */
  public static VectorClock decode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("encoded vector clock must not be null");
    }
    Reader in = new Reader(bytes);
    int version = in.readByte("version");
    if (version != ENCODING_VERSION) {
      throw new IllegalArgumentException(
          "unsupported vector clock encoding version " + version + " (expected "
              + ENCODING_VERSION + ")");
    }
    long count = in.readVarint("entry count");
    // Each entry takes at least 3 bytes; refuse counts the input cannot hold before allocating.
    if (count > (bytes.length - in.pos) / 3) {
      throw new IllegalArgumentException(
          "encoded vector clock claims " + count + " entries but has only "
              + (bytes.length - in.pos) + " bytes left");
    }
    NodeId[] ids = new NodeId[(int) count];
    long[] values = new long[(int) count];
    for (int k = 0; k < count; k++) {
      int at = in.pos;
      long len = in.readVarint("length of node id " + k);
      if (len < 1 || len > NodeId.MAX_LENGTH) {
        throw new IllegalArgumentException(
            "encoded vector clock: node id " + k + " at byte " + at + " has invalid length " + len);
      }
      if (len > bytes.length - in.pos) {
        throw new IllegalArgumentException(
            "encoded vector clock is truncated: node id " + k + " at byte " + at + " has length "
                + len + " but only " + (bytes.length - in.pos) + " bytes are left");
      }
      String id = new String(bytes, in.pos, (int) len, StandardCharsets.US_ASCII);
      in.pos += (int) len;
      try {
        ids[k] = NodeId.of(id);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "encoded vector clock: entry " + k + " at byte " + at + ": " + e.getMessage(), e);
      }
      if (k > 0 && ids[k - 1].compareTo(ids[k]) >= 0) {
        throw new IllegalArgumentException(
            "encoded vector clock: entry " + k + " at byte " + at + " (node " + ids[k]
                + ") is not after node " + ids[k - 1] + "; entries must be sorted and unique");
      }
      values[k] = in.readVarint("counter of node " + ids[k]);
    }
    if (in.pos != bytes.length) {
      throw new IllegalArgumentException(
          "encoded vector clock has " + (bytes.length - in.pos) + " trailing bytes at byte "
              + in.pos);
    }
    return new VectorClock(ids, values);
  }

  private static int varintSize(long value) {
    int size = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      size++;
    }
    return size;
  }

  /** Writes {@code value} at {@code pos}; returns the position after it. */
  private static int writeVarint(byte[] out, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      out[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[pos++] = (byte) value;
    return pos;
  }

  private static final class Reader {
    private final byte[] bytes;
    private int pos;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    int readByte(String what) {
      if (pos >= bytes.length) {
        throw truncated(what);
      }
      return bytes[pos++] & 0xFF; // unsigned, so a version byte 0xFF reads as 255, not -1
    }

    /** An unsigned varint of at most 63 bits (counters and lengths are non-negative longs). */
    long readVarint(String what) {
      int start = pos;
      long result = 0;
      for (int shift = 0; shift < 63; shift += 7) {
        if (pos >= bytes.length) {
          throw truncated(what);
        }
        byte b = bytes[pos++];
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result; // at most 9 groups of 7 bits: never negative
        }
      }
      throw new IllegalArgumentException(
          "encoded vector clock: " + what + " at byte " + start
              + " does not fit in a non-negative 64-bit integer");
    }

    private IllegalArgumentException truncated(String what) {
      return new IllegalArgumentException(
          "encoded vector clock is truncated: " + what + " missing at byte " + pos + " of "
              + bytes.length);
    }
  }

  /**
   * Clocks are equal when every node's counter is equal, counting absent nodes as 0; {@code [a:1]}
   * equals {@code [a:1, b:0]}.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof VectorClock other && compare(other) == Causality.EQUAL;
  }

  @Override
  public int hashCode() {
    int h = 1;
    for (int i = 0; i < nodes.length; i++) {
      if (counters[i] != 0) {
        h = 31 * h + nodes[i].hashCode() * 17 + Long.hashCode(counters[i]);
      }
    }
    return h;
  }

  /** The readable form, entries in node-id order: {@code [a:1, b:0]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < nodes.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(nodes[i]).append(':').append(counters[i]);
    }
    return sb.append(']').toString();
  }
}
