package dev.meridian.sim.deadlock;

import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Phase;
import dev.meridian.sim.Step;
import java.util.Optional;

/**
 * The properties of the {@code deadlock} scenario, each judged against the run's {@link
 * DeadlockTruth}. The truth is shared: the scenario's observer feeds it every step, and observers
 * run before checkers, so a checker reads it already up to date.
 */
public final class DeadlockCheckers {
  private DeadlockCheckers() {}

  /**
   * No phantom: every cycle the snapshot detector reports was in the state of its cut — each
   * waiter waiting for that lock, each holder holding it, where its member's cut fell — and so is
   * a deadlock that really formed. (The naive detector's phantoms are counted, not checked.)
   */
  static Checker<DeadlockSimMessage> noPhantom(DeadlockTruth truth) {
    return new Checker<>() {
      @Override
      public String name() {
        return "no-phantom-deadlock";
      }

      @Override
      public Optional<String> afterStep(Step<DeadlockSimMessage> step,
          Execution<DeadlockSimMessage> ex) {
        return truth.snapshotPhantoms.stream().findFirst();
      }
    };
  }

  /**
   * Every deadlock is found: none stands unreported by the snapshot detector past its deadline,
   * which is {@code boundNanos} after it formed, and at most {@code healedBoundNanos} after the
   * heal (when it formed before) or after it formed (when after). Cut links and partitions hold
   * snapshots up, hence the longer bound while they may happen. At the end of the run, every
   * deadlock whose deadline has passed was reported, and resolved by aborting its victim.
   */
  static Checker<DeadlockSimMessage> everyDeadlockFound(DeadlockTruth truth, long boundNanos,
      long healedBoundNanos) {
    return new Checker<>() {
      @Override
      public String name() {
        return "deadlock-found";
      }

      @Override
      public Optional<String> afterStep(Step<DeadlockSimMessage> step,
          Execution<DeadlockSimMessage> ex) {
        return overdue(truth.current(), ex);
      }

      private long deadline(DeadlockTruth.Deadlock d, Execution<DeadlockSimMessage> ex) {
        return Math.min(d.formedAt + boundNanos,
            Math.max(d.formedAt, ex.livenessStartNanos()) + healedBoundNanos);
      }

      private Optional<String> overdue(Iterable<DeadlockTruth.Deadlock> deadlocks,
          Execution<DeadlockSimMessage> ex) {
        for (DeadlockTruth.Deadlock d : deadlocks) {
          if (d.reportedAt < 0 && ex.trueTimeNanos() > deadline(d, ex)) {
            return Optional.of("deadlock " + d.cycle + ", formed at " + d.formedAt
                + " ns, is unreported at " + ex.trueTimeNanos() + " ns, past its deadline "
                + deadline(d, ex) + " ns" + (d.resolvedAt < 0 ? "" : " (it ended at "
                + d.resolvedAt + " ns without a report)"));
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<DeadlockSimMessage> ex) {
        if (ex.phase() != Phase.LIVENESS) {
          return Optional.empty();
        }
        Optional<String> unreported = overdue(truth.deadlocks, ex);
        if (unreported.isPresent()) {
          return unreported;
        }
        for (DeadlockTruth.Deadlock d : truth.current()) {
          if (ex.trueTimeNanos() > deadline(d, ex)) {
            return Optional.of("deadlock " + d.cycle + ", formed at " + d.formedAt
                + " ns and reported at " + d.reportedAt + " ns, still stands at the end: its"
                + " victim was never aborted");
          }
        }
        return Optional.empty();
      }
    };
  }

  /** Lock exclusion: no two transactions ever hold one lock at once (checks the workload). */
  static Checker<DeadlockSimMessage> lockExclusion(DeadlockTruth truth) {
    return new Checker<>() {
      @Override
      public String name() {
        return "lock-exclusion";
      }

      @Override
      public Optional<String> afterStep(Step<DeadlockSimMessage> step,
          Execution<DeadlockSimMessage> ex) {
        return Optional.ofNullable(truth.exclusionBroken);
      }
    };
  }
}
