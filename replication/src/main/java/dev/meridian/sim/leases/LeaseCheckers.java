package dev.meridian.sim.leases;

import dev.meridian.NodeId;
import dev.meridian.core.clocksync.ClockSyncCore;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Step;
import dev.meridian.sim.VirtualClock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The properties of leases, judged in the simulator's true time. */
public final class LeaseCheckers {
  private LeaseCheckers() {}

  /**
   * Exclusivity in true time: the tokens under which holders act on a resource never go back, so
   * no holder acts under a grant once a later grant's holder has acted — there is no true instant
   * at which two holders both consider the resource theirs. Judged only while every synchronized
   * reading has held true time (the assumption the guarantee rests on; the {@code clocksync}
   * scenario checks it).
   */
  public static Checker<LeaseSimMessage> exclusivity() {
    return new Checker<>() {
      private final Map<String, Long> highestActing = new HashMap<>();
      private final Map<String, String> who = new HashMap<>();
      private boolean clockAssumptionBroken;

      @Override
      public String name() {
        return "lease-exclusivity";
      }

      @Override
      public Optional<String> afterStep(Step<LeaseSimMessage> step,
          Execution<LeaseSimMessage> ex) {
        long truth = VirtualClock.EPOCH_NANOS + step.trueTimeNanos();
        for (Object d : step.delivered()) {
          if (d instanceof ClockSyncCore.Reading r && !r.interval().contains(truth)) {
            clockAssumptionBroken = true;
          }
          if (d instanceof LeaseSimCore.Acting a && !clockAssumptionBroken) {
            long highest = highestActing.getOrDefault(a.resource(), 0L);
            if (a.token() < highest) {
              return Optional.of(step.node() + " acts on " + a.resource() + " under token "
                  + a.token() + " at true time " + truth + " (its clock said " + a.clock()
                  + "), after " + who.get(a.resource()) + " acted under token " + highest);
            }
            if (a.token() > highest) {
              highestActing.put(a.resource(), a.token());
              who.put(a.resource(), step.node() + " (from " + truth + ")");
            }
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Fencing tokens strictly increase grant after grant, and the protected resource never takes a
   * write under a token lower than one it already took.
   */
  public static Checker<LeaseSimMessage> fencing() {
    return new Checker<>() {
      private final Map<String, Long> lastGranted = new HashMap<>();
      private final Map<String, Long> highestWritten = new HashMap<>();

      @Override
      public String name() {
        return "fencing";
      }

      @Override
      public Optional<String> afterStep(Step<LeaseSimMessage> step,
          Execution<LeaseSimMessage> ex) {
        for (Object d : step.delivered()) {
          if (d instanceof LeaseSimCore.Granted g) {
            long last = lastGranted.getOrDefault(g.resource(), 0L);
            if (g.token() <= last) {
              return Optional.of("grant of " + g.resource() + " to " + g.holder() + " under token "
                  + g.token() + " after token " + last);
            }
            lastGranted.put(g.resource(), g.token());
          } else if (d instanceof LeaseSimCore.WriteAccepted w) {
            long highest = highestWritten.getOrDefault(w.resource(), 0L);
            if (w.token() < highest) {
              return Optional.of(step.node() + " took a write to " + w.resource()
                  + " under stale token " + w.token() + " after one under " + highest);
            }
            highestWritten.put(w.resource(), w.token());
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Holders actually get the lease — at least two grants per run, else the run proves nothing —
   * unless more than f references' wall clocks stepped: holders then cannot synchronize, and
   * refusing to grant is right.
   */
  public static Checker<LeaseSimMessage> grantsHappen(NodeId table,
      java.util.List<NodeId> references, int f) {
    return new Checker<>() {
      private long grants;

      @Override
      public String name() {
        return "grants-happen";
      }

      @Override
      public Optional<String> afterStep(Step<LeaseSimMessage> step,
          Execution<LeaseSimMessage> ex) {
        for (Object d : step.delivered()) {
          if (d instanceof LeaseSimCore.Granted) {
            grants++;
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<LeaseSimMessage> ex) {
        long stepped = references.stream()
            .filter(r -> ex.clock(r).steppedBy(ex.trueTimeNanos())).count();
        return grants >= 2 || stepped > f ? Optional.empty()
            : Optional.of("only " + grants + " grant(s) by " + table + " in the whole run");
      }
    };
  }
}
