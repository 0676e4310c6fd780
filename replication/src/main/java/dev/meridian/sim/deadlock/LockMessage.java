package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import java.util.List;

/**
 * The application messages of the {@code deadlock} scenario, carried between members as the
 * application messages of a {@link dev.meridian.core.snapshot.SnapshotCore} (so snapshots record
 * them in flight): the lock protocol (request, grant, release, cancel), the snapshot detector's
 * abort order, and the naive detector's "who holds it?" / "what are you waiting for?" queries.
 */
public sealed interface LockMessage {

  /**
   * A transaction: the {@code seq}-th one of {@code member}'s process. Every transaction has an
   * identity of its own, so a wait-for edge names who waits and who holds at one moment.
   */
  record TxnId(NodeId member, long seq) implements Comparable<TxnId> {
    @Override
    public int compareTo(TxnId o) {
      int c = member.compareTo(o.member);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public String toString() {
      return member.value() + "." + seq;
    }
  }

  /** The {@code index}-th lock of {@code owner}, whose lock table decides who holds it. */
  record LockId(NodeId owner, int index) implements Comparable<LockId> {
    @Override
    public int compareTo(LockId o) {
      int c = owner.compareTo(o.owner);
      return c != 0 ? c : Integer.compare(index, o.index);
    }

    @Override
    public String toString() {
      return owner.value() + "/L" + index;
    }
  }

  /** A wait-for edge: transaction {@code waiter} waits for {@code lock}, held by {@code holder}. */
  record TxnEdge(TxnId waiter, LockId lock, TxnId holder) {
    @Override
    public String toString() {
      return waiter + " -" + lock + "-> " + holder;
    }
  }

  /**
   * A wait-for edge between processes, as the naive detector sees them: it names members'
   * processes, not their transactions, because that is all its "who holds it?" answers name.
   */
  record ProcessEdge(NodeId waiter, LockId lock, NodeId holder) {
    @Override
    public String toString() {
      return waiter.value() + " -" + lock + "-> " + holder.value();
    }
  }

  /** One naive probe: the {@code seq}-th started by {@code origin}'s process. */
  record ProbeId(NodeId origin, long seq) {
    @Override
    public String toString() {
      return "probe " + origin.value() + "." + seq;
    }
  }

  /** To the lock's owner: {@code txn} asks for {@code lock}. */
  record Request(LockId lock, TxnId txn) implements LockMessage {
    @Override
    public String toString() {
      return "Request(" + lock + ", " + txn + ")";
    }
  }

  /** From the lock's owner: {@code lock} is now {@code txn}'s. */
  record Grant(LockId lock, TxnId txn) implements LockMessage {
    @Override
    public String toString() {
      return "Grant(" + lock + ", " + txn + ")";
    }
  }

  /** To the lock's owner: {@code txn} gives {@code lock} back. */
  record Release(LockId lock, TxnId txn) implements LockMessage {
    @Override
    public String toString() {
      return "Release(" + lock + ", " + txn + ")";
    }
  }

  /**
   * To the lock's owner: {@code txn} was aborted while waiting for {@code lock} and no longer wants
   * it. If the owner granted it already, the grant finds the transaction gone and is released.
   */
  record Cancel(LockId lock, TxnId txn) implements LockMessage {
    @Override
    public String toString() {
      return "Cancel(" + lock + ", " + txn + ")";
    }
  }

  /** From a snapshot detector to the victim's member: abort {@code txn}, to break {@code cycle}. */
  record Abort(TxnId txn, List<TxnEdge> cycle) implements LockMessage {
    public Abort {
      cycle = List.copyOf(cycle);
    }

    @Override
    public String toString() {
      return "Abort(" + txn + ")";
    }
  }

  /**
   * Naive detector, to {@code lock}'s owner: "{@code waiter} waits for {@code lock}; who holds it?"
   * {@code path} holds the edges found so far, each answered from some member's state at the
   * moment the query reached it.
   */
  record HolderQuery(ProbeId probe, List<ProcessEdge> path, NodeId waiter, LockId lock)
      implements LockMessage {
    public HolderQuery {
      path = List.copyOf(path);
    }
  }

  /** Naive detector, to {@code process}'s member: "what are you waiting for?" */
  record WaiterQuery(ProbeId probe, List<ProcessEdge> path, NodeId process)
      implements LockMessage {
    public WaiterQuery {
      path = List.copyOf(path);
    }
  }
}
