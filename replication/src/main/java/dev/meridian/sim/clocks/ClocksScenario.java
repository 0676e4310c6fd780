package dev.meridian.sim.clocks;

import dev.meridian.NodeId;
import dev.meridian.sim.CheckerCatalog;
import dev.meridian.sim.ClockModel;
import dev.meridian.sim.DelayDistribution;
import dev.meridian.sim.FaultModel;
import dev.meridian.sim.NetworkModel;
import dev.meridian.sim.Scenario;
import dev.meridian.sim.Simulation;
import dev.meridian.sim.SimulationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code clocks} scenario: {@link ClockCore} processes exchanging messages over a lossy,
 * duplicating, reordering network with link cuts, partitions, crashes and restarts, on clocks
 * with offsets up to ±20 ms and drift up to ±100 ppm; in some runs one wall clock steps forward by
 * up to 500 ms (a misbehaving clock). Checked: vector clocks match happens-before exactly, Lamport
 * and hybrid clocks respect it, hybrid clocks stay within their offset bound, and after the heal
 * every process learns of every other's events.
 */
public final class ClocksScenario implements Scenario {
  /** Maximum offset of the hybrid clocks: above any two healthy clocks' difference (≤ 40 ms). */
  public static final long HLC_MAX_OFFSET_NANOS = 100_000_000L;

  /** The checkers of this scenario by name, in the order they run. */
  public static final CheckerCatalog<ClockMessage> CHECKERS = checkers();

  private final int processes;
  private final ClockVariant variant;
  private final Set<String> enabledCheckers;

  /** The standard scenario: five processes, correct clocks, every checker. */
  public ClocksScenario() {
    this(5, ClockVariant.CORRECT);
  }

  /** {@code processes} processes following {@code variant}, every checker. */
  public ClocksScenario(int processes, ClockVariant variant) {
    this(processes, variant, CHECKERS.names());
  }

  /**
   * @param processes how many processes, 2..64
   * @param variant which clock rules the processes follow
   * @param checkers names of the checkers to run (names in {@link #CHECKERS}): running one alone
   *     shows that it, and not another, catches a broken variant
   * @throws IllegalArgumentException if {@code processes} is out of range, {@code variant} is
   *     null, or a checker name is unknown
   */
  public ClocksScenario(int processes, ClockVariant variant, Set<String> checkers) {
    if (processes < 2 || processes > 64) {
      throw new IllegalArgumentException("clocks scenario needs 2..64 processes, got " + processes);
    }
    if (variant == null) {
      throw new IllegalArgumentException("clock variant must not be null");
    }
    this.processes = processes;
    this.variant = variant;
    this.enabledCheckers = CHECKERS.select(checkers);
  }

  private static CheckerCatalog<ClockMessage> checkers() {
    return new CheckerCatalog<ClockMessage>()
        .add("vector-clock-order", ClockCheckers::vectorClockOrder)
        .add("lamport-order", ClockCheckers::lamportOrder)
        .add("hlc-order", ClockCheckers::hybridOrder)
        .add("hlc-offset-bound", () -> ClockCheckers.hybridOffsetBound(HLC_MAX_OFFSET_NANOS))
        .add("gossip-convergence", ClockCheckers::gossipConvergence);
  }

  @Override
  public String name() {
    return "clocks";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    List<NodeId> members = new ArrayList<>();
    for (int i = 1; i <= processes; i++) {
      members.add(NodeId.of("n" + i));
    }
    Simulation.Builder<ClockMessage> builder = Simulation.<ClockMessage>builder()
        .seed(seed)
        .members(members)
        .cores(ctx -> new ClockCore(ctx.incarnationId(), ctx.self(), ctx.members(), ctx.random(),
            variant, HLC_MAX_OFFSET_NANOS, 20_000_000L))
        .network(new NetworkModel(DelayDistribution.exponential(200_000, 1_000_000),
            0.10, 0.05, 0.10, 5_000_000))
        .clocks(ClockModel.drifting(20_000_000, 1e-4).withSteps(500_000_000, true))
        .faults(FaultModel.every(150_000_000L).withLinkCuts(10).withPartitions(6)
            .withCrashes(8, 2).withClockSteps(1).lasting(20_000_000L, 200_000_000L))
        .phases(1_000_000_000L, 500_000_000L)
        .maxEvents(1_000_000)
        .keepTrace(keepTrace);
    CHECKERS.addTo(builder, enabledCheckers);
    return builder.build().run();
  }
}
