package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import dev.meridian.sim.deadlock.LockMessage.LockId;
import dev.meridian.sim.deadlock.LockMessage.TxnId;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a member records for a snapshot: the lock table of every lock it owns (holder and waiting
 * queue), and the messages its application has decided to send but not yet handed to the
 * snapshot core (its outbox). The outbox is part of the local state: a grant decided while a frame
 * was being read goes out only after the core returns, so a cut that fell in between must still
 * count it as sent.
 *
 * @param locks each owned lock's entry, in lock order
 * @param outbox messages not yet handed to the links, per destination, in send order
 */
public record LockTables(SortedMap<LockId, Entry> locks, List<Outgoing> outbox) {

  /** One lock's table entry: its holder (null when free) and the transactions queued for it. */
  public record Entry(TxnId holder, List<TxnId> queue) {
    public Entry {
      queue = List.copyOf(queue);
    }

    @Override
    public String toString() {
      return (holder == null ? "free" : "held by " + holder)
          + (queue.isEmpty() ? "" : " queue " + queue);
    }
  }

  /** A message waiting in the outbox for {@code to}. */
  public record Outgoing(NodeId to, LockMessage message) {
    @Override
    public String toString() {
      return "->" + to.value() + " " + message;
    }
  }

  public LockTables {
    locks = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(locks));
    outbox = List.copyOf(outbox);
  }

  static LockTables of(Map<LockId, Entry> locks, List<Outgoing> outbox) {
    return new LockTables(new TreeMap<>(locks), outbox);
  }

  @Override
  public String toString() {
    return locks + (outbox.isEmpty() ? "" : " outbox " + outbox);
  }
}
