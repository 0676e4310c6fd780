package dev.meridian.examples;

import dev.meridian.sim.deadlock.DeadlockFigures;
import dev.meridian.sim.deadlock.DeadlockScenario;
import java.io.PrintStream;

/**
 * Deadlock detection without phantoms: one seeded run of the simulator's {@code deadlock}
 * scenario — five members locking each other's locks at a high rate, under message loss,
 * reordering, cut links and partitions — watched by two detectors at once. The snapshot detector
 * reads the wait-for graph off a Chandy–Lamport snapshot (lock tables plus the grants, releases
 * and requests in flight across the cut) and aborts a victim per deadlock; the naive detector
 * chases "who holds it? / what are you waiting for?" questions, each answered from the state of
 * the moment. The simulator's ground truth, the processes' own record of what they hold and wait
 * for, judges every report of both.
 */
public final class DeadlockDemo {
  /** The seed of the run shown by {@link #run(PrintStream)}. */
  public static final long DEFAULT_SEED = 1;
  /** How long the faults go on: two seconds of simulated time, some thousand transactions. */
  static final long FAULTY_NANOS = 2_000_000_000L;

  private DeadlockDemo() {}

  /** Runs the demo with {@link #DEFAULT_SEED}; see {@link #run(long, PrintStream)}. */
  public static boolean run(PrintStream out) {
    return run(DEFAULT_SEED, out);
  }

  /**
   * Runs one seeded execution and prints what each detector concluded.
   *
   * @return true when the snapshot detector found every real deadlock and reported no phantom,
   *     the run broke no property, and the naive detector reported at least one phantom
   */
  public static boolean run(long seed, PrintStream out) {
    DeadlockScenario.Run run = new DeadlockScenario().runDetailed(seed, FAULTY_NANOS, false);
    DeadlockFigures f = run.figures();
    out.println("Deadlock detection, one simulated run (seed " + seed + "): 5 members with 4 locks"
        + " each; every process takes 2 or 3 locks of the others in random order, holds them,"
        + " releases them, again and again; for " + FAULTY_NANOS / 1_000_000 + " ms 5 % of"
        + " frames are lost and links are cut, then everything heals.");
    out.println("  transactions: " + run.finished() + " finished, " + run.aborted()
        + " aborted as deadlock victims");
    out.println("  ground truth: " + f.realDeadlocks() + " real deadlocks");
    out.println("  snapshot detector: " + f.snapshotReports() + " reports, found "
        + f.snapshotFound() + " of " + f.realDeadlocks() + " deadlocks, " + f.snapshotPhantoms()
        + " phantoms");
    out.println("  naive detector:    " + f.naiveReports() + " reports, "
        + (f.naiveReports() - f.naivePhantoms()) + " of a real deadlock, " + f.naivePhantoms()
        + " phantoms");
    if (run.firstFound() != null) {
      out.println("  a real one: " + run.firstFound());
    }
    if (run.firstNaivePhantom() != null) {
      out.println("  a phantom:  " + run.firstNaivePhantom());
    }
    if (run.firstSnapshotPhantom() != null) {
      out.println("  SNAPSHOT PHANTOM: " + run.firstSnapshotPhantom());
    }
    run.result().violation().ifPresent(v -> out.println("  VIOLATION: " + v));
    boolean ours = run.result().ok() && f.snapshotPhantoms() == 0
        && f.snapshotFound() == f.realDeadlocks() && f.realDeadlocks() > 0;
    boolean naiveErred = f.naivePhantoms() > 0;
    out.println("verdict: " + (ours ? "the snapshot detector found every deadlock and reported no"
        + " phantom" : "the snapshot detector FAILED") + "; " + (naiveErred ? "the naive detector"
        + " reported " + f.naivePhantoms() + " phantom deadlock(s)" : "the naive detector reported"
        + " no phantom in this run"));
    return ours && naiveErred;
  }
}
