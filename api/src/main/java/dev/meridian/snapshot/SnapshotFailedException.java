package dev.meridian.snapshot;

import dev.meridian.NodeId;

/**
 * A snapshot could not be completed because one of its members left it: it crashed, restarted as a
 * new incarnation, or a view change removed it. Chandy–Lamport does not tolerate failures (a
 * member that is gone never sends the markers and the contribution the snapshot waits for), so a
 * snapshot cut short is reported with the member to blame rather than left to hang. Taking a new
 * snapshot in the new view is the remedy.
 */
public final class SnapshotFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient SnapshotId snapshot;
  private final transient NodeId member;

  /**
   * @param snapshot the snapshot that failed
   * @param member the member that left it
   * @param reason how it left, e.g. {@code "not in view 7"}
   * @throws IllegalArgumentException if an argument is null
   */
  public SnapshotFailedException(SnapshotId snapshot, NodeId member, String reason) {
    super(message(snapshot, member, reason));
    this.snapshot = snapshot;
    this.member = member;
  }

  private static String message(SnapshotId snapshot, NodeId member, String reason) {
    if (snapshot == null || member == null || reason == null) {
      throw new IllegalArgumentException("snapshot, member and reason must not be null");
    }
    return "snapshot " + snapshot + " failed: member " + member + " left it (" + reason + ")";
  }

  /** The snapshot that failed. */
  public SnapshotId snapshot() {
    return snapshot;
  }

  /** The member whose departure cut it short. */
  public NodeId member() {
    return member;
  }
}
