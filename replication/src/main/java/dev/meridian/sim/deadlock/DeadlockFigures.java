package dev.meridian.sim.deadlock;

/**
 * What the two detectors concluded in one run (or summed over runs), judged by the ground truth.
 *
 * @param realDeadlocks deadlocks that formed (cycles of the true wait-for graph)
 * @param snapshotFound of those, how many the snapshot detector reported
 * @param snapshotReports reports of the snapshot detector (a deadlock seen by two snapshots counts
 *     twice)
 * @param snapshotPhantoms reports of the snapshot detector of a cycle that was not in its cut
 * @param naiveReports reports of the naive detector
 * @param naivePhantoms reports of the naive detector of a cycle that existed at no instant of its
 *     probe
 */
public record DeadlockFigures(long realDeadlocks, long snapshotFound, long snapshotReports,
    long snapshotPhantoms, long naiveReports, long naivePhantoms) {

  /** All zero. */
  public static final DeadlockFigures ZERO = new DeadlockFigures(0, 0, 0, 0, 0, 0);

  /** The sum of these figures and {@code o}. */
  public DeadlockFigures plus(DeadlockFigures o) {
    return new DeadlockFigures(realDeadlocks + o.realDeadlocks, snapshotFound + o.snapshotFound,
        snapshotReports + o.snapshotReports, snapshotPhantoms + o.snapshotPhantoms,
        naiveReports + o.naiveReports, naivePhantoms + o.naivePhantoms);
  }

  /** The figures as printed by {@code meridian sim deadlock}, before the summary line. */
  public String line() {
    return "real_deadlocks=" + realDeadlocks + " snapshot_detector_found=" + snapshotFound
        + " snapshot_detector_reports=" + snapshotReports + " snapshot_detector_phantoms="
        + snapshotPhantoms + " naive_detector_reports=" + naiveReports
        + " naive_detector_phantoms=" + naivePhantoms;
  }
}
