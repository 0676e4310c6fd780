package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import dev.meridian.sim.deadlock.LockMessage.LockId;
import dev.meridian.sim.deadlock.LockMessage.TxnEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A wait-for graph between transactions — an edge {@code T -L-> U} says T waits for lock L, which
 * U holds — and its cycles, each a deadlock if the graph is of one global state.
 *
 * <p>{@link #fromSnapshot} builds it the way the snapshot detector does: from every member's lock
 * tables and the messages in flight across the cut. A release in flight means the holder no longer
 * holds the lock (the next in the queue will get it, and run); a request in flight means the
 * requester waits; a cancel in flight means it no longer does. A grant in flight needs no rule:
 * its lock's table already names the grantee as holder, and the grantee, not yet knowing, waits for
 * nothing else, so no cycle passes through it.
 */
public final class WaitForGraph {
  private final Map<TxnId, List<TxnEdge>> outgoing = new TreeMap<>();

  /** Adds {@code edge}; an edge from a transaction to itself is ignored. */
  public void add(TxnEdge edge) {
    if (!edge.waiter().equals(edge.holder())) {
      outgoing.computeIfAbsent(edge.waiter(), k -> new ArrayList<>()).add(edge);
    }
  }

  /** Every edge, by waiter. */
  public List<TxnEdge> edges() {
    List<TxnEdge> all = new ArrayList<>();
    outgoing.values().forEach(all::addAll);
    return all;
  }

  /**
   * The graph of the global state made of these members' recorded lock tables and the messages in
   * flight across the cut (channel contents and every member's outbox).
   *
   * @param states each member's recorded lock tables
   * @param inFlight the messages sent before the cut and received after it
   */
  public static WaitForGraph fromSnapshot(Map<NodeId, LockTables> states,
      Collection<LockMessage> inFlight) {
    Set<List<Object>> releases = new HashSet<>();
    Set<List<Object>> cancels = new HashSet<>();
    Map<LockId, List<TxnId>> requested = new HashMap<>();
    for (LockMessage m : inFlight) {
      if (m instanceof LockMessage.Release r) {
        releases.add(List.of(r.lock(), r.txn()));
      } else if (m instanceof LockMessage.Cancel c) {
        cancels.add(List.of(c.lock(), c.txn()));
      } else if (m instanceof LockMessage.Request r) {
        requested.computeIfAbsent(r.lock(), k -> new ArrayList<>()).add(r.txn());
      }
    }
    WaitForGraph graph = new WaitForGraph();
    for (LockTables tables : states.values()) {
      for (Map.Entry<LockId, LockTables.Entry> e : tables.locks().entrySet()) {
        LockId lock = e.getKey();
        TxnId holder = e.getValue().holder();
        if (holder == null || releases.contains(List.of(lock, holder))) {
          continue; // free, or soon to be: whoever gets it next runs, so nobody waits on a cycle
        }
        Set<TxnId> waiters = new LinkedHashSet<>(e.getValue().queue());
        waiters.addAll(requested.getOrDefault(lock, List.of()));
        for (TxnId w : waiters) {
          if (!cancels.contains(List.of(lock, w))) {
            graph.add(new TxnEdge(w, lock, holder));
          }
        }
      }
    }
    return graph;
  }

  /**
   * The messages in flight across a cut: those recorded on its channels (receiver, sender,
   * messages) and those waiting in the members' outboxes.
   */
  public static List<LockMessage> inFlight(Map<NodeId, Map<NodeId, List<LockMessage>>> channels,
      Map<NodeId, LockTables> states) {
    List<LockMessage> all = new ArrayList<>();
    channels.values().forEach(byFrom -> byFrom.values().forEach(all::addAll));
    states.values().forEach(s -> s.outbox().forEach(o -> all.add(o.message())));
    return all;
  }

  /**
   * The graph's cycles, each once, each starting at its smallest waiter. In a graph of one global
   * state every transaction waits for at most one lock, held by at most one transaction, so each
   * transaction is on at most one cycle; for other graphs this finds one cycle per back edge of a
   * depth-first search, which is enough to say whether there is any.
   */
  public List<List<TxnEdge>> cycles() {
    List<List<TxnEdge>> found = new ArrayList<>();
    Set<TxnId> done = new HashSet<>();
    for (TxnId start : outgoing.keySet()) {
      if (!done.contains(start)) {
        search(start, new ArrayList<>(), new HashMap<>(), done, found);
      }
    }
    return found;
  }

  private void search(TxnId at, List<TxnEdge> path, Map<TxnId, Integer> onPath, Set<TxnId> done,
      List<List<TxnEdge>> found) {
    onPath.put(at, path.size());
    for (TxnEdge e : outgoing.getOrDefault(at, List.of())) {
      Integer back = onPath.get(e.holder());
      if (back != null) {
        List<TxnEdge> cycle = new ArrayList<>(path.subList(back, path.size()));
        cycle.add(e);
        found.add(canonical(cycle));
      } else if (!done.contains(e.holder())) {
        path.add(e);
        search(e.holder(), path, onPath, done, found);
        path.remove(path.size() - 1);
      }
    }
    onPath.remove(at);
    done.add(at);
  }

  /** {@code cycle} rotated to start at its smallest waiter: equal cycles compare equal. */
  public static List<TxnEdge> canonical(List<TxnEdge> cycle) {
    int first = 0;
    for (int i = 1; i < cycle.size(); i++) {
      if (cycle.get(i).waiter().compareTo(cycle.get(first).waiter()) < 0) {
        first = i;
      }
    }
    List<TxnEdge> rotated = new ArrayList<>(cycle.subList(first, cycle.size()));
    rotated.addAll(cycle.subList(0, first));
    return List.copyOf(rotated);
  }
}
