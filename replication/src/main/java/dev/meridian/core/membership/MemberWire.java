package dev.meridian.core.membership;

import dev.meridian.NodeId;
import dev.meridian.membership.View;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What {@link MembershipCore} puts on the reliable links. */
public sealed interface MemberWire {

  /**
   * An application message multicast in view {@code viewId}: the {@code seq}-th of {@code sender}
   * there. A {@code total} one is delivered in the order the view's sequencer gives it, the same
   * at every member; the others in the order of their sender (FIFO).
   */
  record App(long viewId, NodeId sender, long seq, boolean total, byte[] payload)
      implements MemberWire {
    /** An application message without a payload (the simulator's bare workload). */
    public App(long viewId, NodeId sender, long seq, boolean total) {
      this(viewId, sender, seq, total, EMPTY);
    }

    public App {
      if (payload == null) {
        throw new IllegalArgumentException("payload must not be null (use an empty array)");
      }
    }

    /** Identity is (view, sender, seq): one sender never reuses a number within a view. */
    @Override
    public boolean equals(Object o) {
      return o instanceof App a && a.viewId == viewId && a.seq == seq && a.sender.equals(sender);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(viewId * 31 + seq) * 31 + sender.hashCode();
    }

    @Override
    public String toString() { // never the payload: it may be sensitive
      return "App{v" + viewId + " " + sender + "#" + seq + (total ? " total" : "") + ", "
          + payload.length + " bytes}";
    }
  }

  /** The empty payload. */
  byte[] EMPTY = new byte[0];

  /** The sequencer of view {@code viewId} gives message (sender, seq) the place {@code number}. */
  record Order(long viewId, long number, NodeId sender, long seq) implements MemberWire {}

  /**
   * The sequencer of view {@code viewId} gives places {@code first}, {@code first + 1}, ... to the
   * messages of {@code runs}, in the order listed: what as many {@link Order}s would say, one per
   * place, in one message (the sequencer sends one per turn, covering what it received in it).
   */
  record OrderBatch(long viewId, long first, List<OrderRun> runs) implements MemberWire {
    /** @throws IllegalArgumentException if there are no runs, or the places overflow */
    public OrderBatch {
      runs = List.copyOf(runs);
      if (first < 1 || runs.isEmpty()) {
        throw new IllegalArgumentException("an order batch needs a first place >= 1 and at least"
            + " one run, got first " + first + " and " + runs.size() + " runs");
      }
      long places = 0;
      for (OrderRun r : runs) {
        places += r.count(); // at most 2^32 runs of less than 2^31: no overflow here
      }
      if (first - 1 > Long.MAX_VALUE - places) {
        throw new IllegalArgumentException("order batch from place " + first + " with " + places
            + " places runs past the largest place number");
      }
    }

    /** The number of places given. */
    public long places() {
      long n = 0;
      for (OrderRun r : runs) {
        n += r.count();
      }
      return n;
    }

    @Override
    public String toString() {
      return "OrderBatch{v" + viewId + " from " + first + ", " + runs.size() + " runs}";
    }
  }

  /**
   * {@code count} consecutive messages of {@code sender} (in one view), from its {@code
   * firstSeq}-th on.
   */
  record OrderRun(NodeId sender, long firstSeq, int count) {
    /** @throws IllegalArgumentException if an argument is out of range */
    public OrderRun {
      if (sender == null || firstSeq < 1 || count < 1 || firstSeq - 1 > Long.MAX_VALUE - count) {
        throw new IllegalArgumentException("an order run needs a sender, a first seq >= 1 and a"
            + " count >= 1 that stay within range, got " + sender + ", " + firstSeq + ", "
            + count);
      }
    }
  }

  /**
   * Liveness, and the view the sender is in (a member that missed an install learns of it). In
   * that view, the sender has received {@code received} messages from each sender (FIFO, so a
   * prefix) and delivered the first {@code totalDelivered} total-order places: what every member
   * has is stable, and nobody keeps it for a flush any longer.
   */
  record Heartbeat(long viewId, Map<NodeId, Long> received, long totalDelivered)
      implements MemberWire {
    public Heartbeat {
      received = Map.copyOf(received);
    }

    public Heartbeat(long viewId) {
      this(viewId, Map.of(), 0);
    }
  }

  /**
   * The sender's transport found {@code peer}'s process gone (a broken stream, then a refused
   * connection): the receiver suspects {@code peer} as if its own transport had said so. Sent by
   * a member that promised its coordinator unasked, so that the coordinator acts on it too.
   */
  record Gone(long viewId, NodeId peer) implements MemberWire {}

  /** From a member that leaves of its own accord: a view change without suspicion. */
  record Leave(long viewId) implements MemberWire {}

  /**
   * State transfer to a member that joined view {@code viewId}: the replicated state as of that
   * view's start, from a member that was in the view before.
   */
  record StateTransfer(long viewId, byte[] state) implements MemberWire {
    @Override
    public String toString() { // never the state: it may be sensitive
      return "StateTransfer{v" + viewId + ", " + state.length + " bytes}";
    }
  }

  /** From a node in no view: let me in. */
  record Join() implements MemberWire {}

  /** To a node that is not in the sender's view {@code viewId}: you were removed; join again. */
  record NotMember(long viewId) implements MemberWire {}

  /**
   * A view-change attempt's number: higher rounds win, the coordinator's id breaks ties. Acceptors
   * keep the highest they promised, so two coordinators can never both get a view chosen.
   */
  record Ballot(long round, NodeId coordinator) implements Comparable<Ballot> {
    static final Comparator<Ballot> ORDER =
        Comparator.comparingLong(Ballot::round).thenComparing(Ballot::coordinator);

    @Override
    public int compareTo(Ballot o) {
      return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
      return round + "." + coordinator;
    }
  }

  /**
   * A proposed next view with the old view's messages every survivor must have delivered before
   * installing it (the flush), and the incarnation of each member it admits.
   *
   * @param view the next view
   * @param union per sender, the longest prefix of its old-view messages any survivor received
   * @param orders the longest prefix of the old view's sequencer orders any survivor knew
   * @param incarnations each member's incarnation in this view: a node that restarts later is a
   *     different member, and an install meant for one incarnation is ignored by the next
   * @param joined the members new in this view (or without state): they receive a state transfer
   *     and only they may install it without the flush
   * @param departed members of the old view that left of their own accord (not suspected)
   */
  record Proposal(View view, List<App> union, List<Order> orders,
      Map<NodeId, Integer> incarnations, Set<NodeId> joined, Set<NodeId> departed) {
    public Proposal {
      union = List.copyOf(union);
      orders = List.copyOf(orders);
      incarnations = Map.copyOf(incarnations);
      joined = Set.copyOf(joined);
      departed = Set.copyOf(departed);
    }

    public Proposal(View view, List<App> union, List<Order> orders,
        Map<NodeId, Integer> incarnations, Set<NodeId> joined) {
      this(view, union, orders, incarnations, joined, Set.of());
    }

    @Override
    public String toString() {
      return "Proposal{" + view + ", " + union.size() + " flushed, joined " + new TreeSet<>(joined)
          + "}";
    }
  }

  /** Phase 1: promise ballot {@code ballot} for the change from view {@code viewId}. */
  record Prepare(Ballot ballot, long viewId) implements MemberWire {}

  /**
   * Phase 1 answer: the promise, the proposal this member accepted earlier for the same change
   * (if any), and the old view's messages it received and still keeps (all but a prefix every
   * member has), with the sequencer's orders likewise — it delivers no more until the change
   * ends. {@code hasState} is false for a joiner still waiting for its state transfer.
   */
  record Promise(Ballot ballot, long viewId, Ballot acceptedBallot, Proposal accepted,
      List<App> delivered, List<Order> orders, boolean hasState) implements MemberWire {
    public Promise {
      delivered = List.copyOf(delivered);
      orders = List.copyOf(orders);
    }

    public Promise(Ballot ballot, long viewId, Ballot acceptedBallot, Proposal accepted,
        List<App> delivered, List<Order> orders) {
      this(ballot, viewId, acceptedBallot, accepted, delivered, orders, true);
    }

    @Override
    public String toString() {
      return "Promise{" + ballot + " v" + viewId + (accepted != null ? " accepted " + acceptedBallot
          : "") + ", " + delivered.size() + " delivered}";
    }
  }

  /** A ballot lost to a higher one this member promised. */
  record Nack(Ballot ballot, Ballot promised) implements MemberWire {}

  /**
   * Phase 2: accept {@code proposal} under {@code ballot}. {@code quorum} is every member whose
   * acceptance the coordinator waits for (the survivors, a majority of the old view, itself
   * included); each acceptor sends its {@link Accepted} to all of them.
   */
  record Accept(Ballot ballot, Proposal proposal, List<NodeId> quorum) implements MemberWire {
    public Accept {
      quorum = List.copyOf(quorum); // a list: members are messaged in a deterministic order
    }
  }

  /**
   * Phase 2 answer, sent to the coordinator and to every other member of the quorum, for the
   * change from view {@code viewId}: a coordinator's lowest ballot recurs in every view, so a
   * late answer from an earlier change must not count for this one.
   */
  record Accepted(Ballot ballot, long viewId) implements MemberWire {}

  /** The proposal is chosen: flush (deliver what the union adds), then install its view. */
  record Install(Proposal proposal) implements MemberWire {}
}
