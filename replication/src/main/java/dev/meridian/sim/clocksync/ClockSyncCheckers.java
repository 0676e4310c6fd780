package dev.meridian.sim.clocksync;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.clocksync.ClockSyncCore.ClockFault;
import dev.meridian.core.clocksync.ClockSyncCore.Reading;
import dev.meridian.core.clocksync.SyncMessage;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Step;
import dev.meridian.sim.VirtualClock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The properties of {@link dev.meridian.core.clocksync.ClockSyncCore}, judged against the
 * simulator's true time (a node's wall clock reads {@code VirtualClock.EPOCH_NANOS + t} when
 * perfect). A node is <em>rogue</em> when its clock runs beyond the drift bound ρ the protocol
 * assumes; what a rogue node itself believes is not judged, only that the others tolerate it.
 */
public final class ClockSyncCheckers {
  private ClockSyncCheckers() {}

  /** A wall-clock step at least this large must be reported at the step where it is first seen. */
  static final long MUST_REPORT_STEP_NANOS = 10_000_000L;

  /** A rogue clock this far from true time at the end must have been reported by someone. */
  static final long MUST_REPORT_ROGUE_NANOS = 50_000_000L;

  private static long truth(Step<SyncMessage> step) {
    return VirtualClock.EPOCH_NANOS + step.trueTimeNanos();
  }

  private static boolean rogue(Execution<SyncMessage> ex, NodeId node, double maxDrift) {
    return Math.abs(ex.clock(node).drift()) > maxDrift;
  }

  /**
   * Remembers which nodes started their current incarnation with a wall clock already more than
   * {@code errorNanos} off: a restarted reference cannot know its clock was stepped meanwhile.
   */
  private static final class StartedOutOfBound {
    final long errorNanos;
    final Map<NodeId, Integer> incarnation = new HashMap<>();
    final Set<NodeId> nodes = new HashSet<>();

    StartedOutOfBound(long errorNanos) {
      this.errorNanos = errorNanos;
    }

    void record(Step<SyncMessage> step, Execution<SyncMessage> ex) {
      NodeId node = step.node();
      Integer known = incarnation.put(node, step.incarnation());
      if (known == null || known != step.incarnation()) {
        long off = ex.clock(node).wallAt(step.trueTimeNanos()) - truth(step);
        if (Math.abs(off) > errorNanos) {
          nodes.add(node);
        } else {
          nodes.remove(node);
        }
      }
    }
  }

  /** Remembers which nodes ever served an interval that missed true time. */
  private static final class ServedWrong {
    final Set<NodeId> nodes = new HashSet<>();

    /** Returns the wrong answers of this step, recording their sender. */
    List<SyncMessage.Answer> record(Step<SyncMessage> step) {
      List<SyncMessage.Answer> wrong = step.effects().stream()
          .filter(e -> e instanceof Effect.Send<SyncMessage> s
              && s.payload() instanceof SyncMessage.Answer a
              && a.vouch() == SyncMessage.Vouch.VOUCHED
              && !(a.earliest() <= truth(step) && truth(step) <= a.latest()))
          .map(e -> (SyncMessage.Answer) ((Effect.Send<SyncMessage>) e).payload())
          .toList();
      if (!wrong.isEmpty()) {
        nodes.add(step.node());
      }
      return wrong;
    }

    Set<NodeId> among(List<NodeId> sources, NodeId self) {
      Set<NodeId> bad = new TreeSet<>((a, b) -> a.value().compareTo(b.value()));
      for (NodeId s : sources) {
        if (!s.equals(self) && nodes.contains(s)) {
          bad.add(s);
        }
      }
      return bad;
    }
  }

  /**
   * Every reading of a non-rogue node contains true time, unless more than f of its sources
   * served intervals that missed it. Not judged: a reference whose clock was already out of its
   * bound when its incarnation started (see {@link #servedIntervalsHold}).
   */
  public static Checker<SyncMessage> intervalHoldsTrueTime(List<NodeId> sources, int f,
      double maxDrift, long referenceErrorNanos) {
    ServedWrong served = new ServedWrong();
    StartedOutOfBound startedOutOfBound = new StartedOutOfBound(referenceErrorNanos);
    Set<NodeId> references = Set.copyOf(sources);
    return new Checker<>() {
      @Override
      public String name() {
        return "interval-holds-true-time";
      }

      @Override
      public Optional<String> afterStep(Step<SyncMessage> step, Execution<SyncMessage> ex) {
        served.record(step);
        startedOutOfBound.record(step, ex);
        if (rogue(ex, step.node(), maxDrift) || (references.contains(step.node())
            && startedOutOfBound.nodes.contains(step.node()))) {
          return Optional.empty(); // its own assumptions fail; the others must tolerate it
        }
        long truth = truth(step);
        for (Object d : step.delivered()) {
          if (d instanceof Reading r && !r.interval().contains(truth)) {
            Set<NodeId> bad = served.among(sources, step.node());
            if (bad.size() <= f) {
              long miss = truth < r.interval().earliest()
                  ? r.interval().earliest() - truth : truth - r.interval().latest();
              return Optional.of(step.node() + "'s reading " + r.interval() + " (width "
                  + r.interval().widthNanos() + " ns, " + r.agreeing() + " of " + r.sources()
                  + " sources agreeing) misses true time " + truth + " by " + miss
                  + " ns; sources that served wrong intervals so far: " + bad + " (f = " + f
                  + ")");
            }
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * No node vouches for an interval that misses true time, unless more than f of its own sources
   * served wrong ones first: a clock out of its bound is never served silently. Not judged: rogue
   * nodes, and a node whose wall clock was already off by more than {@code referenceErrorNanos}
   * when its incarnation started (it cannot know; the others tolerate it as a falseticker).
   */
  public static Checker<SyncMessage> servedIntervalsHold(List<NodeId> sources, int f,
      double maxDrift, long referenceErrorNanos) {
    Set<NodeId> references = Set.copyOf(sources);
    ServedWrong served = new ServedWrong();
    return new Checker<>() {
      private final StartedOutOfBound startedOutOfBound = new StartedOutOfBound(
          referenceErrorNanos);

      @Override
      public String name() {
        return "served-intervals-hold";
      }

      @Override
      public Optional<String> afterStep(Step<SyncMessage> step, Execution<SyncMessage> ex) {
        NodeId node = step.node();
        startedOutOfBound.record(step, ex);
        Set<NodeId> badBefore = served.among(sources, node);
        List<SyncMessage.Answer> wrong = served.record(step);
        if (wrong.isEmpty() || rogue(ex, node, maxDrift) || badBefore.size() > f
            || (references.contains(node) && startedOutOfBound.nodes.contains(node))) {
          return Optional.empty();
        }
        SyncMessage.Answer a = wrong.get(0);
        VirtualClock clock = ex.clock(step.node());
        return Optional.of(step.node() + " served [" + a.earliest() + ", " + a.latest()
            + "] which misses true time " + truth(step) + "; its wall clock is off by "
            + (clock.wallAt(step.trueTimeNanos()) - truth(step)) + " ns (stepped: "
            + clock.steppedBy(step.trueTimeNanos()) + ")");
      }
    };
  }

  /**
   * A wall clock that stepped by at least {@link #MUST_REPORT_STEP_NANOS} since its node's
   * previous step (same incarnation) is reported by that node at once; and at the end, a rogue
   * clock more than {@link #MUST_REPORT_ROGUE_NANOS} off has been reported, by itself or by every
   * live non-rogue node.
   */
  public static Checker<SyncMessage> clockFaultsReported(double maxDrift) {
    return new Checker<>() {
      private final Map<NodeId, Step<SyncMessage>> previous = new HashMap<>();
      private final Map<NodeId, Set<NodeId>> reported = new HashMap<>(); // by -> clocks

      @Override
      public String name() {
        return "clock-faults-reported";
      }

      @Override
      public Optional<String> afterStep(Step<SyncMessage> step, Execution<SyncMessage> ex) {
        NodeId node = step.node();
        Step<SyncMessage> before = previous.put(node, step);
        if (before != null && before.incarnation() != step.incarnation()) {
          before = null;
          reported.remove(node); // a new incarnation must find faults anew
        }
        Set<NodeId> seen = reported.computeIfAbsent(node, n -> new HashSet<>());
        boolean reportedSelf = false;
        for (Object d : step.delivered()) {
          if (d instanceof ClockFault fault) {
            seen.add(fault.clock());
            reportedSelf |= fault.clock().equals(node);
          }
        }
        if (before != null) {
          long stepped = ex.clock(node).stepsBetween(before.trueTimeNanos(),
              step.trueTimeNanos());
          if (Math.abs(stepped) >= MUST_REPORT_STEP_NANOS && !reportedSelf) {
            return Optional.of(node + "'s wall clock stepped by " + stepped
                + " ns since its previous event, and it did not report it");
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<SyncMessage> ex) {
        long end = ex.trueTimeNanos();
        for (NodeId r : ex.members()) {
          if (!rogue(ex, r, maxDrift)) {
            continue;
          }
          long off = ex.clock(r).wallAt(end) - (VirtualClock.EPOCH_NANOS + end);
          if (Math.abs(off) < MUST_REPORT_ROGUE_NANOS) {
            continue;
          }
          if (ex.isUp(r) && reported.getOrDefault(r, Set.of()).contains(r)) {
            continue; // it noticed itself
          }
          for (NodeId n : ex.members()) {
            if (!n.equals(r) && ex.isUp(n) && !rogue(ex, n, maxDrift)
                && !reported.getOrDefault(n, Set.of()).contains(r)) {
              return Optional.of("rogue clock " + r + " is " + off + " ns off at the end, but"
                  + " neither it nor " + n + " reported it");
            }
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Once faults heal, every live non-rogue node is synchronized again — its last reading or
   * refusal in the final {@code windowNanos} of the run is a reading — provided at most f
   * references are out of service: rogue, down, off by more than {@code referenceErrorNanos}, or
   * stepped during their current incarnation (they never vouch again). With more, refusing is
   * the right answer.
   */
  public static Checker<SyncMessage> synchronizedAfterHeal(List<NodeId> references, int f,
      double maxDrift, long referenceErrorNanos, long windowNanos) {
    return new Checker<>() {
      private final Map<NodeId, Object> last = new HashMap<>();
      private final Map<NodeId, Long> lastAt = new HashMap<>();
      private final Map<NodeId, Integer> incarnation = new HashMap<>();
      private final Map<NodeId, Long> incarnationStart = new HashMap<>();

      @Override
      public String name() {
        return "synchronized-after-heal";
      }

      @Override
      public Optional<String> afterStep(Step<SyncMessage> step, Execution<SyncMessage> ex) {
        Integer known = incarnation.put(step.node(), step.incarnation());
        if (known == null || known != step.incarnation()) {
          incarnationStart.put(step.node(), step.trueTimeNanos());
        }
        for (Object d : step.delivered()) {
          if (d instanceof Reading
              || d instanceof dev.meridian.core.clocksync.ClockSyncCore.Unsynchronized) {
            last.put(step.node(), d);
            lastAt.put(step.node(), step.trueTimeNanos());
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<SyncMessage> ex) {
        long end = ex.trueTimeNanos();
        int outOfService = 0;
        for (NodeId r : references) {
          VirtualClock clock = ex.clock(r);
          long off = clock.wallAt(end) - (VirtualClock.EPOCH_NANOS + end);
          if (!ex.isUp(r) || rogue(ex, r, maxDrift) || Math.abs(off) > referenceErrorNanos
              || clock.stepsBetween(incarnationStart.getOrDefault(r, 0L), end) != 0) {
            outOfService++;
          }
        }
        if (outOfService > f) {
          return Optional.empty();
        }
        long from = end - windowNanos;
        for (NodeId n : ex.members()) {
          if (!ex.isUp(n) || rogue(ex, n, maxDrift)) {
            continue;
          }
          Object d = last.get(n);
          if (!(d instanceof Reading) || lastAt.get(n) < from) {
            return Optional.of(n + " is not synchronized at the end: its last word"
                + (lastAt.containsKey(n) ? " (at " + lastAt.get(n) + " ns)" : "") + " was " + d);
          }
        }
        return Optional.empty();
      }
    };
  }
}
