package dev.meridian.sim.deadlock;

import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.snapshot.SnapshotWire;

/** What the nodes of the {@code deadlock} scenario say to each other. */
public sealed interface DeadlockSimMessage {

  /** A frame of the snapshot core's reliable links between two members. */
  record Link(LinkFrame<SnapshotWire<LockMessage, LockTables>> frame)
      implements DeadlockSimMessage {
    @Override
    public String toString() {
      return frame.toString();
    }
  }
}
