package dev.meridian.core.snapshot;

import dev.meridian.NodeId;
import dev.meridian.snapshot.SnapshotId;
import java.util.List;
import java.util.Map;

/**
 * What {@link SnapshotCore}s say to each other, carried as payloads of reliable FIFO links: the
 * application's own messages and the snapshot protocol's. They share one link per pair of members
 * on purpose — a marker separates the messages sent before the sender's recording from those
 * sent after it only because it travels in the same FIFO order as they do.
 *
 * @param <A> the application's message type
 * @param <S> the application's recorded-state type
 */
public sealed interface SnapshotWire<A, S> {

  /** An application message. */
  record App<A, S>(A message) implements SnapshotWire<A, S> {
    public App {
      if (message == null) {
        throw new IllegalArgumentException("application message must not be null");
      }
    }

    @Override
    public String toString() {
      return "App{" + message + "}";
    }
  }

  /**
   * A marker: the sender recorded its local state for snapshot {@code id} before sending anything
   * that follows this on the link.
   *
   * @param members the snapshot's members and the incarnation each was expected to be in
   */
  record Marker<A, S>(SnapshotId id, long viewId, Map<NodeId, Integer> members)
      implements SnapshotWire<A, S> {
    public Marker {
      members = Map.copyOf(members);
    }

    @Override
    public String toString() {
      return "Marker{" + id + " view " + viewId + "}";
    }
  }

  /**
   * One member's part of snapshot {@code id}, sent to the initiator: its local state and, per
   * incoming channel, the messages recorded on it.
   */
  record Contribution<A, S>(SnapshotId id, NodeId member, int incarnation, S state,
      Map<NodeId, List<A>> incoming) implements SnapshotWire<A, S> {
    public Contribution {
      incoming = Map.copyOf(incoming);
    }

    @Override
    public String toString() {
      int messages = incoming.values().stream().mapToInt(List::size).sum();
      return "Contribution{" + id + " from " + member + "#" + incarnation + ", " + messages
          + " in flight}";
    }
  }

  /**
   * A member refuses, or gives up, snapshot {@code id}: {@code member} is gone from it (the sender
   * restarted as a new incarnation, or installed a view without {@code member}).
   */
  record Withdrawn<A, S>(SnapshotId id, NodeId member, String reason)
      implements SnapshotWire<A, S> {}
}
