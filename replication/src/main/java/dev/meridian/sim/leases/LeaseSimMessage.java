package dev.meridian.sim.leases;

import dev.meridian.core.clocksync.SyncMessage;
import dev.meridian.core.lease.LeaseTable;

/** What the nodes of the {@code leases} scenario say to each other. */
public sealed interface LeaseSimMessage {
  /** A clock-synchronization message. */
  record Clock(SyncMessage message) implements LeaseSimMessage {}

  /** A lease request to the table. */
  record Request(long id, LeaseTable.Op op) implements LeaseSimMessage {}

  /** The table's decision. */
  record Reply(long id, LeaseTable.Result result) implements LeaseSimMessage {}

  /** A write to the protected resource, carrying the writer's fencing token. */
  record Write(String resource, long token) implements LeaseSimMessage {}
}
