package dev.meridian.transport;

import dev.meridian.NodeId;
import dev.meridian.time.HybridTimestamp;
import dev.meridian.time.VectorClock;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts the clock value types of {@code meridian-api} to and from their protobuf wire forms
 * ({@code meridian/v1/clocks.proto}), so that the API stays free of protobuf types.
 *
 * <p>Decoding trusts nothing: a message from the wire is validated as strictly as {@link
 * VectorClock#decode} validates its own binary form, and every failure names what was wrong.
 */
public final class ProtoClocks {
  private ProtoClocks() {}

  /** The wire form of {@code clock}: entries sorted by node id, explicit zeros kept. */
  public static dev.meridian.proto.v1.VectorClock toProto(VectorClock clock) {
    if (clock == null) {
      throw new IllegalArgumentException("vector clock must not be null");
    }
    dev.meridian.proto.v1.VectorClock.Builder b = dev.meridian.proto.v1.VectorClock.newBuilder();
    for (Map.Entry<NodeId, Long> e : clock.entries().entrySet()) {
      b.addEntries(dev.meridian.proto.v1.VectorClockEntry.newBuilder()
          .setNode(e.getKey().value())
          .setCounter(e.getValue()));
    }
    return b.build();
  }

  /**
   * Reads a wire-form vector clock.
   *
   * @throws IllegalArgumentException naming the entry, if the message is null, an entry's node
   *     id is invalid, entries are unsorted or duplicated, or a counter exceeds {@link
   *     Long#MAX_VALUE} (uint64 values above it)
   */
  public static VectorClock fromProto(dev.meridian.proto.v1.VectorClock proto) {
    if (proto == null) {
      throw new IllegalArgumentException("vector clock message must not be null");
    }
    TreeMap<NodeId, Long> entries = new TreeMap<>();
    NodeId previous = null;
    for (int i = 0; i < proto.getEntriesCount(); i++) {
      dev.meridian.proto.v1.VectorClockEntry e = proto.getEntries(i);
      NodeId id;
      try {
        id = NodeId.of(e.getNode());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("vector clock entry " + i + ": " + ex.getMessage(), ex);
      }
      if (previous != null && previous.compareTo(id) >= 0) {
        throw new IllegalArgumentException("vector clock entry " + i + " (node " + id
            + ") is not after node " + previous + "; entries must be sorted and unique");
      }
      if (e.getCounter() < 0) {
        throw new IllegalArgumentException("vector clock entry " + i + " (node " + id
            + ") has counter " + Long.toUnsignedString(e.getCounter())
            + ", above the maximum " + Long.MAX_VALUE);
      }
      entries.put(id, e.getCounter());
      previous = id;
    }
    return VectorClock.of(entries);
  }

  /** The wire form of {@code timestamp}. */
  public static dev.meridian.proto.v1.HybridTimestamp toProto(HybridTimestamp timestamp) {
    if (timestamp == null) {
      throw new IllegalArgumentException("hybrid timestamp must not be null");
    }
    return dev.meridian.proto.v1.HybridTimestamp.newBuilder()
        .setPhysicalNanos(timestamp.physicalNanos())
        .setLogical(timestamp.logical())
        .build();
  }

  /**
   * Reads a wire-form hybrid timestamp.
   *
   * @throws IllegalArgumentException if the message is null or either part is negative
   */
  public static HybridTimestamp fromProto(dev.meridian.proto.v1.HybridTimestamp proto) {
    if (proto == null) {
      throw new IllegalArgumentException("hybrid timestamp message must not be null");
    }
    return new HybridTimestamp(proto.getPhysicalNanos(), proto.getLogical());
  }
}
