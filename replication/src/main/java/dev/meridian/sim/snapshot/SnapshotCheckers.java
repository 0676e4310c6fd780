package dev.meridian.sim.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Phase;
import dev.meridian.sim.Step;
import dev.meridian.sim.snapshot.Ledger.Cut;
import dev.meridian.sim.snapshot.Ledger.Incarnation;
import dev.meridian.sim.snapshot.SnapshotSimMessage.Account;
import dev.meridian.sim.snapshot.SnapshotSimMessage.Transfer;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The properties of snapshots, judged against the simulator's own record of the run ({@link
 * Ledger}), never against what the snapshot says of itself. A member's cut is where its {@code
 * Recorded} event fell among its sends and receipts. An earlier incarnation of a member counts as
 * wholly before any cut of a later one.
 */
public final class SnapshotCheckers {
  private SnapshotCheckers() {}

  /** A checker that judges each completed snapshot with {@code judge}. */
  private static Checker<SnapshotSimMessage> onCompletion(String name,
      BiFunction<SnapshotCore.SnapshotCompleted<Transfer, Account>, Context, Optional<String>>
          judge) {
    return new Checker<>() {
      private final Ledger ledger = new Ledger();

      @Override
      public String name() {
        return name;
      }

      @Override
      public Optional<String> afterStep(Step<SnapshotSimMessage> step,
          Execution<SnapshotSimMessage> ex) {
        ledger.observe(step);
        if (ledger.doubleRecording != null) {
          return Optional.of(ledger.doubleRecording);
        }
        for (SnapshotCore.SnapshotCompleted<Transfer, Account> c : ledger.completed) {
          Context context = Context.of(c, ledger, ex);
          if (context.problem != null) {
            return Optional.of(context.problem);
          }
          Optional<String> problem = judge.apply(c, context);
          if (problem.isPresent()) {
            return problem;
          }
        }
        return Optional.empty();
      }
    };
  }

  /** What a completed snapshot is judged with: each member's cut, in the snapshot's view. */
  private record Context(Ledger ledger, Execution<SnapshotSimMessage> ex, SnapshotId id,
      Map<NodeId, Cut> cuts, String problem) {

    static Context of(SnapshotCore.SnapshotCompleted<Transfer, Account> c, Ledger ledger,
        Execution<SnapshotSimMessage> ex) {
      SnapshotId id = c.snapshot().id();
      Ledger.Started started = ledger.started.get(id);
      Map<NodeId, Integer> view = started == null ? null : ledger.views.get(started.viewId());
      if (view == null) {
        return new Context(ledger, ex, id, Map.of(), "snapshot " + id
            + " completed, but it was never started in a view the view service installed");
      }
      if (!view.keySet().equals(c.states().keySet())) {
        return new Context(ledger, ex, id, Map.of(), "snapshot " + id + " holds states of "
            + c.states().keySet() + " but was taken in view " + started.viewId() + " " + view);
      }
      Map<NodeId, Cut> cuts = new LinkedHashMap<>();
      for (Map.Entry<NodeId, Integer> m : view.entrySet()) {
        Cut cut = ledger.cuts.getOrDefault(id, Map.of()).get(m.getKey());
        if (cut == null || cut.incarnation() != m.getValue()) {
          return new Context(ledger, ex, id, Map.of(), "snapshot " + id + " completed with a state"
              + " of " + m.getKey() + ", which view " + started.viewId() + " has as incarnation "
              + m.getValue() + ", but " + (cut == null ? "it never recorded one"
                  : "incarnation " + cut.incarnation() + " recorded it")
              + ": a member that left (crashed or restarted) must fail the snapshot");
        }
        cuts.put(m.getKey(), cut);
      }
      return new Context(ledger, ex, id, cuts, null);
    }
  }

  /**
   * Consistent cut: no transfer received by a member before its cut was sent by its sender after
   * the sender's cut (or by a later incarnation of the sender).
   */
  public static Checker<SnapshotSimMessage> consistentCut() {
    return onCompletion("consistent-cut", (c, ctx) -> {
      for (Map.Entry<NodeId, Cut> q : ctx.cuts().entrySet()) {
        for (Map.Entry<Incarnation, Long> from : q.getValue().highestSeqFrom().entrySet()) {
          Cut p = ctx.cuts().get(from.getKey().node());
          if (p == null || from.getKey().incarnation() < p.incarnation()) {
            continue; // from outside the snapshot, or from an incarnation wholly before the cut
          }
          long sentBeforeCut = p.sentTo().getOrDefault(q.getKey(), 0L);
          if (from.getKey().incarnation() > p.incarnation() || from.getValue() >= sentBeforeCut) {
            return Optional.of("snapshot " + ctx.id() + " is not a consistent cut: "
                + q.getKey() + " received transfer " + from.getValue() + " of "
                + from.getKey().node() + "#" + from.getKey().incarnation() + " before its cut,"
                + " but " + from.getKey().node() + "#" + p.incarnation() + " had sent only "
                + sentBeforeCut + " to " + q.getKey() + " before its own cut");
          }
        }
      }
      return Optional.empty();
    });
  }

  /**
   * Channel state: the transfers recorded on each channel p→q are exactly those sent by p before
   * its cut and received by q after its cut, in order.
   */
  public static Checker<SnapshotSimMessage> channelState() {
    return onCompletion("channel-state", (c, ctx) -> {
      for (Map.Entry<NodeId, Cut> q : ctx.cuts().entrySet()) {
        List<Transfer> receipts =
            ctx.ledger().track(q.getKey(), q.getValue().incarnation()).receipts;
        for (Map.Entry<NodeId, Cut> p : ctx.cuts().entrySet()) {
          if (p.getKey().equals(q.getKey())) {
            continue;
          }
          long sentBeforeCut = p.getValue().sentTo().getOrDefault(q.getKey(), 0L);
          List<Transfer> inFlight = new ArrayList<>();
          for (Transfer t : receipts.subList(q.getValue().receipts(), receipts.size())) {
            if (t.from().equals(p.getKey()) && (t.incarnation() < p.getValue().incarnation()
                || t.incarnation() == p.getValue().incarnation() && t.seq() < sentBeforeCut)) {
              inFlight.add(t);
            }
          }
          List<Transfer> recorded = c.inFlight(p.getKey(), q.getKey());
          if (!recorded.equals(inFlight)) {
            return Optional.of("snapshot " + ctx.id() + " recorded channel " + p.getKey() + "->"
                + q.getKey() + " as " + recorded + " but the transfers in flight across the cut"
                + " were " + inFlight);
          }
        }
      }
      return Optional.empty();
    });
  }

  /**
   * Reachable state: each recorded balance is the balance the member's own history gives at its
   * cut (initial balance, plus receipts, minus sends before it); and, for a snapshot of the whole
   * bank taken while no member has crashed, balances plus transfers in flight add up to the bank's
   * initial total, as in every state the run passed through.
   */
  public static Checker<SnapshotSimMessage> reachableState(int memberCount) {
    long total = memberCount * BankSimCore.INITIAL_BALANCE;
    return onCompletion("reachable-state", (c, ctx) -> {
      long sum = 0;
      for (Map.Entry<NodeId, Cut> m : ctx.cuts().entrySet()) {
        long recorded = c.states().get(m.getKey()).balance();
        if (recorded != m.getValue().balance()) {
          return Optional.of("snapshot " + ctx.id() + " has " + m.getKey() + " at balance "
              + recorded + ", but its history up to its cut gives " + m.getValue().balance());
        }
        sum += recorded;
        for (NodeId from : ctx.cuts().keySet()) {
          for (Transfer t : c.inFlight(from, m.getKey())) {
            sum += t.amount();
          }
        }
      }
      // The total is known only for a snapshot of the whole bank (a view may lack members the
      // view service thought gone), and only until a crash destroys a balance.
      boolean wholeBankCrashFree = ctx.cuts().size() == memberCount;
      for (NodeId m : ctx.cuts().keySet()) {
        wholeBankCrashFree &= ctx.ex().isUp(m) && ctx.ex().incarnation(m) == 1;
      }
      if (wholeBankCrashFree && sum != total) {
        return Optional.of("snapshot " + ctx.id() + " adds up to " + sum + " (balances and"
            + " transfers in flight) in a run without crashes, where the bank always holds "
            + total + ": no state of the run looks like it");
      }
      return Optional.empty();
    });
  }

  /**
   * A failed snapshot names a member that really left it: one that the view service removed, or
   * took back as another incarnation, after the snapshot started, or that crashed.
   */
  public static Checker<SnapshotSimMessage> failuresNameLeaver() {
    return new Checker<>() {
      private final Ledger ledger = new Ledger();

      @Override
      public String name() {
        return "failure-names-leaver";
      }

      @Override
      public Optional<String> afterStep(Step<SnapshotSimMessage> step,
          Execution<SnapshotSimMessage> ex) {
        ledger.observe(step);
        for (SnapshotCore.SnapshotFailed f : ledger.failed) {
          Ledger.Started started = ledger.started.get(f.id());
          Map<NodeId, Integer> view = started == null ? null : ledger.views.get(started.viewId());
          if (view == null || !view.containsKey(f.member())) {
            if (f.member().equals(step.node())) {
              continue; // the initiator itself was in no view: it could not start
            }
            return Optional.of("snapshot " + f.id() + " failed naming " + f.member()
                + ", who was not a member of it: " + f.reason());
          }
          int incarnation = view.get(f.member());
          boolean left = !ex.isUp(f.member()) || ex.incarnation(f.member()) != incarnation;
          for (Map.Entry<Long, Map<NodeId, Integer>> v : ledger.views.entrySet()) {
            left |= v.getKey() > started.viewId()
                && !Integer.valueOf(incarnation).equals(v.getValue().get(f.member()));
          }
          if (!left) {
            return Optional.of("snapshot " + f.id() + " failed blaming " + f.member() + "#"
                + incarnation + " (" + f.reason() + "), which never left view "
                + started.viewId());
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Liveness: every snapshot ends, completed or failed, within {@code boundNanos} of its start or
   * of the heal, whichever is later (unless its initiator crashed: the snapshot died with it); and
   * every snapshot started {@code settleNanos} after the heal, when views are stable and nobody
   * crashes, completes.
   */
  public static Checker<SnapshotSimMessage> liveness(long boundNanos, long settleNanos) {
    return new Checker<>() {
      private final Ledger ledger = new Ledger();
      private final Map<SnapshotId, Ledger.Started> open = new LinkedHashMap<>();

      @Override
      public String name() {
        return "snapshot-liveness";
      }

      @Override
      public Optional<String> afterStep(Step<SnapshotSimMessage> step,
          Execution<SnapshotSimMessage> ex) {
        ledger.observe(step);
        for (Object d : step.delivered()) {
          if (d instanceof SnapshotCore.SnapshotStarted s) {
            open.put(s.id(), ledger.started.get(s.id()));
          }
        }
        for (SnapshotCore.SnapshotCompleted<Transfer, Account> c : ledger.completed) {
          open.remove(c.snapshot().id());
        }
        long settled = ex.livenessStartNanos() + settleNanos;
        for (SnapshotCore.SnapshotFailed f : ledger.failed) {
          Ledger.Started s = open.remove(f.id());
          if (s != null && s.atNanos() >= settled) {
            return Optional.of("snapshot " + f.id() + ", started at " + s.atNanos()
                + " ns after the heal had settled, failed: " + f.exception().getMessage());
          }
        }
        return overdue(ex);
      }

      private Optional<String> overdue(Execution<SnapshotSimMessage> ex) {
        for (Iterator<Map.Entry<SnapshotId, Ledger.Started>> it = open.entrySet().iterator();
            it.hasNext(); ) {
          Map.Entry<SnapshotId, Ledger.Started> e = it.next();
          Ledger.Started s = e.getValue();
          if (!ex.isUp(s.initiator()) || ex.incarnation(s.initiator()) != s.incarnation()) {
            it.remove(); // lost with its initiator
            continue;
          }
          long deadline = Math.max(s.atNanos(), ex.livenessStartNanos()) + boundNanos;
          if (ex.trueTimeNanos() > deadline) {
            return Optional.of("snapshot " + e.getKey() + " started at " + s.atNanos()
                + " ns is neither complete nor failed at " + ex.trueTimeNanos() + " ns (bound: "
                + boundNanos + " ns after its start or the heal)");
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<SnapshotSimMessage> ex) {
        if (ex.phase() != Phase.LIVENESS) {
          return Optional.empty();
        }
        return overdue(ex);
      }
    };
  }
}
