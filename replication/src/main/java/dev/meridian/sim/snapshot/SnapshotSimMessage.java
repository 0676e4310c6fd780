package dev.meridian.sim.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.snapshot.SnapshotWire;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** What the nodes of the {@code snapshot} scenario say to each other. */
public sealed interface SnapshotSimMessage {

  /** A money transfer, the application message: {@code seq} counts the sender's sends to {@code to}. */
  record Transfer(NodeId from, int incarnation, NodeId to, long seq, long amount) {
    @Override
    public String toString() {
      return from + "#" + incarnation + ">" + to + ":" + seq + " $" + amount;
    }
  }

  /** A member's recorded local state. */
  record Account(long balance) {
    @Override
    public String toString() {
      return "balance=" + balance;
    }
  }

  /** A frame of the snapshot core's reliable links between two members. */
  record Link(LinkFrame<SnapshotWire<Transfer, Account>> frame) implements SnapshotSimMessage {
    @Override
    public String toString() {
      return frame.toString();
    }
  }

  /** A member tells the view service it is alive, and as which incarnation. */
  record Heartbeat(int incarnation) implements SnapshotSimMessage {}

  /** The view service's current view: members and their incarnations. */
  record ViewAnnouncement(long viewId, SortedMap<NodeId, Integer> members)
      implements SnapshotSimMessage {
    public ViewAnnouncement {
      members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    }

    static ViewAnnouncement of(long viewId, Map<NodeId, Integer> members) {
      return new ViewAnnouncement(viewId, new TreeMap<>(members));
    }
  }
}
