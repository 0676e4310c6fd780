package dev.meridian.sim.clocks;

import dev.meridian.NodeId;
import dev.meridian.core.Event;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.HappensBeforeGraph;
import dev.meridian.sim.Step;
import dev.meridian.time.Causality;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The properties every clock of {@link ClockCore} must have, each judged against the ground-truth
 * happens-before graph that the simulator's own record of sends and receives yields — never
 * against another clock.
 */
public final class ClockCheckers {
  private ClockCheckers() {}

  /** {@code VT(a).compare(VT(b)) == BEFORE} exactly when a → b; {@code CONCURRENT} exactly when a ∥ b. */
  public static Checker<ClockMessage> vectorClockOrder() {
    return new PairChecker("vector-clock-order") {
      @Override
      Optional<String> check(ClockEvent a, ClockEvent b, boolean aBeforeB) {
        Causality got = a.vector().compare(b.vector());
        Causality want = aBeforeB ? Causality.BEFORE : Causality.CONCURRENT;
        return got == want ? Optional.empty()
            : Optional.of("ground truth says " + (aBeforeB ? "a → b" : "a ∥ b")
                + " but VT(a).compare(VT(b)) = " + got);
      }
    };
  }

  /** a → b implies {@code LT(a) < LT(b)}. */
  public static Checker<ClockMessage> lamportOrder() {
    return new EdgeChecker("lamport-order") {
      @Override
      Optional<String> check(ClockEvent a, ClockEvent b) {
        return a.lamport() < b.lamport() ? Optional.empty()
            : Optional.of("a → b but LT(a)=" + a.lamport() + " is not below LT(b)=" + b.lamport());
      }
    };
  }

  /** a → b implies {@code HLC(a) < HLC(b)}. */
  public static Checker<ClockMessage> hybridOrder() {
    return new EdgeChecker("hlc-order") {
      @Override
      Optional<String> check(ClockEvent a, ClockEvent b) {
        return a.hybrid().isBefore(b.hybrid()) ? Optional.empty()
            : Optional.of("a → b but HLC(a)=" + a.hybrid() + " is not below HLC(b)="
                + b.hybrid());
      }
    };
  }

  /**
   * Every event's hybrid time lies in {@code [pt, pt + maxOffset]}, where pt is the node's own
   * physical clock at that event. (The scenario only steps clocks forward; a clock stepped back
   * by more than the offset would break this by design, as {@code HybridLogicalClock} documents.)
   */
  public static Checker<ClockMessage> hybridOffsetBound(long maxOffsetNanos) {
    return new Checker<>() {
      @Override
      public String name() {
        return "hlc-offset-bound";
      }

      @Override
      public Optional<String> afterStep(Step<ClockMessage> step, Execution<ClockMessage> exec) {
        for (ClockEvent e : clockEvents(step)) {
          if (e.kind() == ClockEvent.Kind.REFUSED) {
            continue;
          }
          long ahead = e.hybrid().physicalNanos() - e.wallNanos();
          if (ahead < 0 || ahead > maxOffsetNanos) {
            return Optional.of(e.process() + " has HLC " + e.hybrid() + " at physical time "
                + e.wallNanos() + ": " + ahead + " ns ahead, outside [0, " + maxOffsetNanos
                + "]");
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Liveness: once the network has healed, every live process learns of every other live
   * process's events from before the heal. Checked only in runs where no clock stepped: a broken
   * clock's messages are refused, by design, and then nothing need converge.
   */
  public static Checker<ClockMessage> gossipConvergence() {
    return new Checker<>() {
      @Override
      public String name() {
        return "gossip-convergence";
      }

      @Override
      public Optional<String> afterStep(Step<ClockMessage> step, Execution<ClockMessage> exec) {
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<ClockMessage> exec) {
        long end = exec.trueTimeNanos();
        for (NodeId node : exec.members()) {
          if (exec.clock(node).steppedBy(end)) {
            return Optional.empty();
          }
        }
        // Each live process's own count at the heal.
        Map<NodeId, Long> countAtHeal = new HashMap<>();
        for (Step<ClockMessage> step : exec.steps()) {
          if (step.trueTimeNanos() >= exec.livenessStartNanos()) {
            break;
          }
          for (ClockEvent e : clockEvents(step)) {
            countAtHeal.put(e.process(), e.vector().get(e.process()));
          }
        }
        for (NodeId p : exec.members()) {
          ClockCore pCore = (ClockCore) exec.core(p);
          for (NodeId q : exec.members()) {
            ClockCore qCore = (ClockCore) exec.core(q);
            if (p.equals(q) || pCore == null || qCore == null) {
              continue;
            }
            long want = countAtHeal.getOrDefault(qCore.process(), 0L);
            long got = pCore.vectorClock().get(qCore.process());
            if (got < want) {
              return Optional.of(pCore.process() + " knows " + got + " events of "
                  + qCore.process() + " at the end, but " + want
                  + " had happened before the heal");
            }
          }
        }
        return Optional.empty();
      }
    };
  }

  static List<ClockEvent> clockEvents(Step<ClockMessage> step) {
    List<ClockEvent> events = new ArrayList<>(1);
    for (Object o : step.delivered()) {
      if (o instanceof ClockEvent e) {
        events.add(e);
      }
    }
    return events;
  }

  /**
   * Keeps the ground-truth happens-before graph of the run's clock events. Refused messages carry
   * no information, so their receive is not an event.
   */
  private abstract static class GraphChecker implements Checker<ClockMessage> {
    private final String name;
    final HappensBeforeGraph graph = new HappensBeforeGraph();
    final List<ClockEvent> events = new ArrayList<>();
    final List<Long> eventIndexes = new ArrayList<>();

    GraphChecker(String name) {
      this.name = name;
    }

    /** Checks the event just added as number {@code b} against the earlier ones. */
    abstract Optional<String> checkNewEvent(int b);

    @Override
    public String name() {
      return name;
    }

    @Override
    public Optional<String> afterStep(Step<ClockMessage> step, Execution<ClockMessage> exec) {
      for (ClockEvent e : clockEvents(step)) {
        if (e.kind() == ClockEvent.Kind.REFUSED) {
          continue;
        }
        int cause = step.event() instanceof Event.Message<ClockMessage> ? step.sendStep() : -1;
        graph.add(e.process(), step.stepIndex(), cause);
        events.add(e);
        eventIndexes.add(step.eventIndex());
        Optional<String> problem = checkNewEvent(events.size() - 1);
        if (problem.isPresent()) {
          return problem;
        }
      }
      return Optional.empty();
    }

    Optional<String> describe(Optional<String> problem, int a, int b) {
      return problem.map(p -> p + "; a = event " + eventIndexes.get(a) + " (" + events.get(a)
          + "), b = event " + eventIndexes.get(b) + " (" + events.get(b) + ")");
    }
  }

  /** Checks a relation that must match happens-before exactly, on every pair of events. */
  private abstract static class PairChecker extends GraphChecker {
    PairChecker(String name) {
      super(name);
    }

    abstract Optional<String> check(ClockEvent a, ClockEvent b, boolean aBeforeB);

    @Override
    Optional<String> checkNewEvent(int b) {
      for (int a = 0; a < b; a++) {
        Optional<String> problem = check(events.get(a), events.get(b), graph.happensBefore(a, b));
        if (problem.isPresent()) {
          return describe(problem, a, b);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * Checks a transitive property of a → b ("timestamps increase") on the graph's edges, which
   * is equivalent to checking it on every pair related by happens-before, at a fraction of the
   * cost.
   */
  private abstract static class EdgeChecker extends GraphChecker {
    EdgeChecker(String name) {
      super(name);
    }

    abstract Optional<String> check(ClockEvent a, ClockEvent b);

    @Override
    Optional<String> checkNewEvent(int b) {
      for (int a : graph.directPredecessors(b)) {
        Optional<String> problem = check(events.get(a), events.get(b));
        if (problem.isPresent()) {
          return describe(problem, a, b);
        }
      }
      return Optional.empty();
    }
  }
}
