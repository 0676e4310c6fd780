package dev.meridian.snapshot;

import dev.meridian.NodeId;

/**
 * The name of one consistent snapshot: the member that initiated it and that member's own count
 * of snapshots it started ({@code k = 1, 2, 3…}). Two members never produce the same id, so any
 * number of snapshots may run at once. Printed as {@code n1/3}.
 *
 * @param initiator the member that started the snapshot and collects it
 * @param k the initiator's sequence number for it, {@code >= 1}
 */
public record SnapshotId(NodeId initiator, long k) implements Comparable<SnapshotId> {

  /** @throws IllegalArgumentException if {@code initiator} is null or {@code k < 1} */
  public SnapshotId {
    if (initiator == null) {
      throw new IllegalArgumentException("snapshot initiator must not be null");
    }
    if (k < 1) {
      throw new IllegalArgumentException("snapshot number k must be >= 1, got " + k);
    }
  }

  @Override
  public int compareTo(SnapshotId other) {
    int c = initiator.compareTo(other.initiator);
    return c != 0 ? c : Long.compare(k, other.k);
  }

  @Override
  public String toString() {
    return initiator + "/" + k;
  }
}
