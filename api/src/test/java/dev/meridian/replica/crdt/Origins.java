package dev.meridian.replica.crdt;

import dev.meridian.NodeId;
import dev.meridian.replica.Origin;
import dev.meridian.time.HybridTimestamp;

/** Hand-made origins for unit tests. */
final class Origins {
  private Origins() {}

  /** Node {@code node}'s op number {@code sequence}, issued at hybrid time {@code physical.0}. */
  static Origin at(String node, long sequence, long physical) {
    return new Origin(NodeId.of(node), sequence, new HybridTimestamp(physical, 0));
  }

  static Tag tag(String node, long sequence) {
    return new Tag(NodeId.of(node), sequence);
  }
}
