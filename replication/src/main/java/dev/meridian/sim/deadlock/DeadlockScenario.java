package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import dev.meridian.sim.CheckerCatalog;
import dev.meridian.sim.ClockModel;
import dev.meridian.sim.DelayDistribution;
import dev.meridian.sim.FaultModel;
import dev.meridian.sim.NetworkModel;
import dev.meridian.sim.ReportsFigures;
import dev.meridian.sim.Scenario;
import dev.meridian.sim.Simulation;
import dev.meridian.sim.SimulationResult;
import java.util.List;
import java.util.Set;

/**
 * The {@code deadlock} scenario: five members (n1..n5) each own four locks, and each runs a process
 * that takes two or three locks of the others, in random order, holds them about 0.3 ms,
 * releases them and starts again half a millisecond later: some 250 transactions and a few real
 * deadlocks in a run of 450 ms (waits for grants, lost frames and cut links take most of the
 * time). The processes begin no transaction after 380 ms, so that every run ends with its
 * deadlocks found and resolved. Two detectors watch the same run (see {@link
 * LockSimCore}), both woken when a process has waited about 8 ms for one lock: the snapshot
 * detector, whose verdicts abort victims, and a naive one that chases "who holds it? / what are
 * you waiting for?" questions and only reports. The network loses 5 %, duplicates 2 % and reorders
 * 5 % of frames; links are cut one way and the group partitions, for 5 to 60 ms (no crashes: see
 * {@link LockSimCore}).
 *
 * <p>Checked: the snapshot detector never reports a cycle that was not in its cut (so never a
 * phantom); every deadlock is reported within {@link #BOUND_NANOS} of forming, and within {@link
 * #HEALED_BOUND_NANOS} once the network has healed; no lock is held twice. Counted, over every run,
 * in {@link #figuresLine()}: real deadlocks, how many the snapshot detector found, and each
 * detector's reports and phantoms.
 */
public final class DeadlockScenario implements Scenario, ReportsFigures {
  static final List<NodeId> MEMBERS = List.of(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3"),
      NodeId.of("n4"), NodeId.of("n5"));
  /** Longest a deadlock may stand unreported: cuts and partitions hold snapshots up. */
  static final long BOUND_NANOS = 150_000_000L;
  /** Longest a deadlock may stand unreported once the network has healed. */
  static final long HEALED_BOUND_NANOS = 50_000_000L;
  /** How long the faults of a run last (its safety phase). */
  public static final long SAFETY_NANOS = 300_000_000L;
  /** How long a run goes on healed, after its safety phase. */
  static final long HEALED_NANOS = 150_000_000L;
  /** How long before the end of a run the processes stop beginning transactions. */
  static final long QUIET_NANOS = 70_000_000L;

  /** The workload of a run whose safety phase lasts {@code safetyNanos}. */
  static LockSimCore.Workload workload(long safetyNanos) {
    return new LockSimCore.Workload(4, 30, 500_000L, 300_000L, 8_000_000L,
        safetyNanos + HEALED_NANOS - QUIET_NANOS);
  }

  /** The checkers of this scenario, in the order they run, all reading {@code truth}. */
  static CheckerCatalog<DeadlockSimMessage> checkers(DeadlockTruth truth) {
    return new CheckerCatalog<DeadlockSimMessage>()
        .add("no-phantom-deadlock", () -> DeadlockCheckers.noPhantom(truth))
        .add("deadlock-found", () -> DeadlockCheckers.everyDeadlockFound(truth, BOUND_NANOS,
            HEALED_BOUND_NANOS))
        .add("lock-exclusion", () -> DeadlockCheckers.lockExclusion(truth));
  }

  /** The checkers' names, in the order they run. */
  public static final Set<String> CHECKER_NAMES = checkers(null).names();

  /**
   * One run with what its detectors concluded: figures, transactions that finished and that were
   * aborted as victims, the first real deadlock the snapshot detector found and the first phantom
   * of each detector, described (null: none).
   */
  public record Run(SimulationResult result, DeadlockFigures figures, long finished, long aborted,
      String firstFound, String firstNaivePhantom, String firstSnapshotPhantom) {}

  private final LockSimCore.DetectorVariant variant;
  private final Set<String> enabledCheckers;
  private DeadlockFigures totals = DeadlockFigures.ZERO;

  /** The correct detector with every checker. */
  public DeadlockScenario() {
    this(LockSimCore.DetectorVariant.CORRECT);
  }

  /** {@code variant} with every checker. */
  public DeadlockScenario(LockSimCore.DetectorVariant variant) {
    this(variant, CHECKER_NAMES);
  }

  /** @throws IllegalArgumentException if {@code variant} is null or a checker name is unknown */
  public DeadlockScenario(LockSimCore.DetectorVariant variant, Set<String> checkers) {
    if (variant == null) {
      throw new IllegalArgumentException("detector variant must not be null");
    }
    this.variant = variant;
    this.enabledCheckers = checkers(null).select(checkers);
  }

  @Override
  public String name() {
    return "deadlock";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    return runDetailed(seed, keepTrace).result();
  }

  /** Runs one seed and tells what each detector concluded; adds the figures to the totals. */
  public Run runDetailed(long seed, boolean keepTrace) {
    return runDetailed(seed, SAFETY_NANOS, keepTrace);
  }

  /**
   * Runs one seed with a safety phase of {@code safetyNanos} (the same workload and faults, for
   * longer or shorter) and tells what each detector concluded; adds the figures to the totals.
   *
   * @throws IllegalArgumentException if {@code safetyNanos} is negative or over a day
   */
  public Run runDetailed(long seed, long safetyNanos, boolean keepTrace) {
    if (safetyNanos < 0 || safetyNanos > 86_400_000_000_000L) {
      throw new IllegalArgumentException("safetyNanos must be in [0, 1 day], got " + safetyNanos);
    }
    LockSimCore.Workload workload = workload(safetyNanos);
    DeadlockTruth truth = new DeadlockTruth();
    String[] firstPhantoms = new String[2];
    Simulation.Builder<DeadlockSimMessage> builder = Simulation.<DeadlockSimMessage>builder()
        .seed(seed)
        .members(MEMBERS)
        .cores(ctx -> new LockSimCore(ctx.self(), MEMBERS, ctx.random(), workload, variant))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 300_000),
            0.05, 0.02, 0.05, 2_000_000))
        .clocks(ClockModel.drifting(20_000_000, 1e-4))
        .faults(FaultModel.every(150_000_000L).withLinkCuts(4).withPartitions(2)
            .lasting(5_000_000L, 60_000_000L))
        .phases(safetyNanos, HEALED_NANOS)
        .maxEvents(2_000_000)
        .keepTrace(keepTrace)
        .observer(step -> {
          truth.observe(step);
          if (firstPhantoms[0] == null && !truth.naivePhantoms.isEmpty()) {
            firstPhantoms[0] = truth.naivePhantoms.get(0);
          }
          if (firstPhantoms[1] == null && !truth.snapshotPhantoms.isEmpty()) {
            firstPhantoms[1] = truth.snapshotPhantoms.get(0);
          }
        });
    checkers(truth).addTo(builder, enabledCheckers);
    SimulationResult result = builder.build().run();
    DeadlockFigures figures = truth.figures();
    totals = totals.plus(figures);
    return new Run(result, figures, truth.finished, truth.aborted, truth.firstRealSnapshotReport,
        firstPhantoms[0], firstPhantoms[1]);
  }

  /** The figures summed over every run of this scenario object so far. */
  public DeadlockFigures totals() {
    return totals;
  }

  @Override
  public String figuresLine() {
    return totals.line();
  }
}
