package dev.meridian.sim.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.sim.Step;
import dev.meridian.sim.snapshot.SnapshotSimMessage.Transfer;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's ground truth of the bank, built from what each step delivered (never from a
 * snapshot): per incarnation, its balance, what it sent to whom, what it received in which order,
 * and where each of its snapshot cuts fell among those events. Checkers judge snapshots against it.
 */
final class Ledger {

  /** One incarnation of a member. */
  record Incarnation(NodeId node, int incarnation) {}

  /** One incarnation's history so far. */
  static final class Track {
    long balance;
    final Map<NodeId, Long> sentTo = new HashMap<>();
    final List<Transfer> receipts = new ArrayList<>();
    final Map<Incarnation, Long> highestSeqFrom = new HashMap<>();

    Track(int incarnation) {
      balance = incarnation == 1 ? BankSimCore.INITIAL_BALANCE : 0;
    }
  }

  /**
   * Where one member's cut fell: how many transfers it had received (and the highest sequence
   * number from each sender), how many it had sent to each member, and its balance by replay.
   */
  record Cut(int incarnation, int receipts, Map<Incarnation, Long> highestSeqFrom,
      Map<NodeId, Long> sentTo, long balance) {}

  /** A snapshot as its initiator started it. */
  record Started(NodeId initiator, int incarnation, long viewId, long atNanos) {}

  final Map<Incarnation, Track> tracks = new HashMap<>();
  final Map<SnapshotId, Map<NodeId, Cut>> cuts = new HashMap<>();
  final Map<SnapshotId, Started> started = new HashMap<>();
  /** The view service's views by id: members and their incarnations. */
  final Map<Long, Map<NodeId, Integer>> views = new HashMap<>();
  final List<SnapshotCore.SnapshotCompleted<Transfer, SnapshotSimMessage.Account>> completed =
      new ArrayList<>();
  final List<SnapshotCore.SnapshotFailed> failed = new ArrayList<>();
  /** A cut recorded twice by one member: a bug of the core that checkers report. */
  String doubleRecording;

  Track track(NodeId node, int incarnation) {
    return tracks.computeIfAbsent(new Incarnation(node, incarnation), k -> new Track(incarnation));
  }

  /** Takes in one step; fills {@link #completed} and {@link #failed} with this step's outcomes. */
  @SuppressWarnings("unchecked")
  void observe(Step<SnapshotSimMessage> step) {
    completed.clear();
    failed.clear();
    for (Object d : step.delivered()) {
      if (d instanceof BankSimCore.Sent s) {
        Track t = track(step.node(), step.incarnation());
        t.balance -= s.transfer().amount();
        t.sentTo.merge(s.transfer().to(), 1L, Long::sum);
      } else if (d instanceof BankSimCore.Received r) {
        Track t = track(step.node(), step.incarnation());
        Transfer transfer = r.transfer();
        t.balance += transfer.amount();
        t.receipts.add(transfer);
        t.highestSeqFrom.merge(new Incarnation(transfer.from(), transfer.incarnation()),
            transfer.seq(), Math::max);
      } else if (d instanceof BankSimCore.Recorded rec) {
        Track t = track(step.node(), step.incarnation());
        Cut cut = new Cut(step.incarnation(), t.receipts.size(), Map.copyOf(t.highestSeqFrom),
            Map.copyOf(t.sentTo), t.balance);
        Cut before = cuts.computeIfAbsent(rec.id(), k -> new HashMap<>()).put(step.node(), cut);
        if (before != null && doubleRecording == null) {
          doubleRecording = step.node() + " recorded its state for " + rec.id() + " twice";
        }
      } else if (d instanceof BankSimCore.ViewChanged v) {
        views.put(v.view().viewId(), v.view().members());
      } else if (d instanceof SnapshotCore.SnapshotStarted s) {
        started.put(s.id(), new Started(step.node(), step.incarnation(), s.viewId(),
            step.trueTimeNanos()));
      } else if (d instanceof SnapshotCore.SnapshotCompleted<?, ?> c) {
        completed.add((SnapshotCore.SnapshotCompleted<Transfer, SnapshotSimMessage.Account>) c);
      } else if (d instanceof SnapshotCore.SnapshotFailed f) {
        failed.add(f);
      }
    }
  }
}
