package dev.meridian.replica;

import dev.meridian.NodeId;
import dev.meridian.time.HybridTimestamp;
import java.util.Comparator;

/**
 * Who issued an operation, and when: the issuing node, the operation's sequence number at that
 * node, and the hybrid logical timestamp it was issued at.
 *
 * <p><b>Uniqueness.</b> The runtime numbers a node's operations 1, 2, 3, … and node ids name one
 * incarnation (a restarted process comes back under a new id), so {@code (node, sequence)}
 * identifies one operation in the whole history of a group. The op-based CRDTs use it as the
 * unique tag of an add or a put.
 *
 * <p><b>Order.</b> Timestamps come from each node's {@link dev.meridian.time.HybridLogicalClock},
 * so if operation a causally precedes b then {@code a.timestamp() < b.timestamp()}; concurrent
 * operations are ordered arbitrarily (but identically on every member) by {@link #LWW_ORDER}.
 *
 * @param node the issuing node (incarnation-unique)
 * @param sequence the operation's number at {@code node}, from 1
 * @param timestamp the hybrid logical time of issue
 */
public record Origin(NodeId node, long sequence, HybridTimestamp timestamp) {

  /**
   * The total order last-writer-wins rules use: by {@link #timestamp()}, then by {@link #node()}
   * for equal timestamps (two nodes' hybrid clocks can agree), then by {@link #sequence()} (which
   * only a runtime that reused a timestamp within one node would need). Consistent with {@code
   * equals}: distinct origins never compare as 0. The same on every member, so every member picks
   * the same winner.
   */
  public static final Comparator<Origin> LWW_ORDER =
      Comparator.comparing(Origin::timestamp)
          .thenComparing(Origin::node)
          .thenComparingLong(Origin::sequence);

  /** @throws IllegalArgumentException if a part is null or {@code sequence < 1} */
  public Origin {
    if (node == null) {
      throw new IllegalArgumentException("origin node must not be null");
    }
    if (sequence < 1) {
      throw new IllegalArgumentException(
          "origin sequence number must be >= 1, got " + sequence + " (node " + node + ")");
    }
    if (timestamp == null) {
      throw new IllegalArgumentException(
          "origin timestamp must not be null (node " + node + ", sequence " + sequence + ")");
    }
  }

  /**
   * True when this origin orders strictly after {@code other} in {@link #LWW_ORDER}: a write
   * from this origin beats a write from {@code other}.
   *
   * @throws IllegalArgumentException if {@code other} is null
   */
  public boolean isAfter(Origin other) {
    if (other == null) {
      throw new IllegalArgumentException("origin to compare with must not be null");
    }
    return LWW_ORDER.compare(this, other) > 0;
  }
}
