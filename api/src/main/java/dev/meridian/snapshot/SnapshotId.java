package dev.meridian.snapshot;

import dev.meridian.NodeId;

/**
 * The name of one consistent snapshot: the member that initiated it and that member's own
 * number for it, {@code k}. Two members never produce the same id, so any number of snapshots
 * may run at once.
 *
 * <p>A restarted member must never reuse an id its predecessor used (its peers remember finished
 * ids and would ignore the markers), so {@code k} has two parts: its high 32 bits hold the
 * initiator's incarnation minus one, its low 32 bits count that incarnation's snapshots from 1
 * ({@link #of}). Printed as {@code n1/3} for the first incarnation's third snapshot, and as
 * {@code n1/3@7} for the third snapshot of incarnation 7.
 *
 * @param initiator the member that started the snapshot and collects it
 * @param k the initiator's number for it, {@code >= 1}
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

  /**
   * The id of the {@code count}-th snapshot that incarnation {@code incarnation} of {@code
   * initiator} started.
   *
   * @throws IllegalArgumentException if {@code initiator} is null, {@code incarnation < 1} or
   *     {@code count} is not in {@code [1, 2^32)}
   */
  public static SnapshotId of(NodeId initiator, int incarnation, long count) {
    if (incarnation < 1) {
      throw new IllegalArgumentException("incarnation must be >= 1, got " + incarnation);
    }
    if (count < 1 || count > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("snapshot count must be in [1, 2^32), got " + count);
    }
    return new SnapshotId(initiator, ((long) (incarnation - 1) << 32) | count);
  }

  /** The initiator's incarnation that started this snapshot. */
  public int incarnation() {
    return (int) (k >>> 32) + 1;
  }

  /** Which of its incarnation's snapshots this is: 1, 2, 3… */
  public long count() {
    return k & 0xFFFF_FFFFL;
  }

  @Override
  public int compareTo(SnapshotId other) {
    int c = initiator.compareTo(other.initiator);
    return c != 0 ? c : Long.compare(k, other.k);
  }

  @Override
  public String toString() {
    return initiator + "/" + count() + (incarnation() == 1 ? "" : "@" + incarnation());
  }
}
