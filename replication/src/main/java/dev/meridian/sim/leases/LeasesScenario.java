package dev.meridian.sim.leases;

import dev.meridian.NodeId;
import dev.meridian.core.clocksync.ClockSyncSettings;
import dev.meridian.sim.CheckerCatalog;
import dev.meridian.sim.ClockModel;
import dev.meridian.sim.DelayDistribution;
import dev.meridian.sim.FaultModel;
import dev.meridian.sim.NetworkModel;
import dev.meridian.sim.Scenario;
import dev.meridian.sim.Simulation;
import dev.meridian.sim.SimulationResult;
import java.util.List;
import java.util.Set;

/**
 * The {@code leases} scenario: three holders (h1..h3; clocks offset up to ±20 ms, drifting up to
 * 100 ppm) compete for one resource with 30 ms leases, synchronizing from three references
 * (r1..r3, f = 1). r1 also keeps the lease table and the protected resource and never crashes;
 * everyone else may crash and restart. Links are cut one way, the group partitions, wall clocks
 * step by up to ±500 ms, and one write in twenty is held back 5–65 ms after its check (a holder
 * pausing between check and act).
 */
public final class LeasesScenario implements Scenario {
  static final NodeId TABLE = NodeId.of("r1");
  static final List<NodeId> REFERENCES = List.of(TABLE, NodeId.of("r2"), NodeId.of("r3"));
  static final List<NodeId> MEMBERS = List.of(TABLE, NodeId.of("r2"), NodeId.of("r3"),
      NodeId.of("h1"), NodeId.of("h2"), NodeId.of("h3"));
  static final double MAX_DRIFT = 1e-4;

  /** The checkers of this scenario by name, in the order they run. */
  public static final CheckerCatalog<LeaseSimMessage> CHECKERS =
      new CheckerCatalog<LeaseSimMessage>()
          .add("lease-exclusivity", LeaseCheckers::exclusivity)
          .add("fencing", LeaseCheckers::fencing)
          .add("grants-happen", () -> LeaseCheckers.grantsHappen(TABLE, REFERENCES, 1));

  private final LeaseSimCore.Variant variant;
  private final Set<String> enabledCheckers;

  /** The correct protocol with every checker. */
  public LeasesScenario() {
    this(LeaseSimCore.Variant.CORRECT);
  }

  /** {@code variant} with every checker. */
  public LeasesScenario(LeaseSimCore.Variant variant) {
    this(variant, CHECKERS.names());
  }

  /**
   * @throws IllegalArgumentException if {@code variant} is null or a checker name is unknown
   */
  public LeasesScenario(LeaseSimCore.Variant variant, Set<String> checkers) {
    if (variant == null) {
      throw new IllegalArgumentException("leases variant must not be null");
    }
    this.variant = variant;
    this.enabledCheckers = CHECKERS.select(checkers);
  }

  @Override
  public String name() {
    return "leases";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    Simulation.Builder<LeaseSimMessage> builder = Simulation.<LeaseSimMessage>builder()
        .seed(seed)
        .members(MEMBERS)
        .cores(ctx -> new LeaseSimCore(ctx.self(), TABLE, !REFERENCES.contains(ctx.self()),
            new ClockSyncSettings(REFERENCES, 1, MAX_DRIFT, 100_000, 20_000_000L,
                1_000_000_000L, REFERENCES.contains(ctx.self()) ? 1_000_000 : -1, 100_000),
            30_000_000L, ctx.random(), variant))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 300_000),
            0.05, 0.02, 0.05, 2_000_000))
        .clocks(ClockModel.drifting(20_000_000, MAX_DRIFT).withSteps(500_000_000, false))
        .faults(FaultModel.every(100_000_000L).withLinkCuts(4).withPartitions(2)
            .withCrashes(2, 2).withClockSteps(1).lasting(20_000_000L, 200_000_000L))
        .phases(1_500_000_000L, 500_000_000L)
        .durable(TABLE)
        .maxEvents(2_000_000)
        .keepTrace(keepTrace);
    for (NodeId r : REFERENCES) {
      builder.clock(r, ClockModel.drifting(100_000, 1e-7));
    }
    CHECKERS.addTo(builder, enabledCheckers);
    return builder.build().run();
  }
}
