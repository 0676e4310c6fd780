package dev.meridian.sim.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.snapshot.SnapshotCore;
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
 * The {@code snapshot} scenario: five bank members (n1..n5) move money between each other about
 * every 1.5 ms each, through {@link SnapshotCore}, and each starts a snapshot every 100 ms or so
 * (so snapshots often overlap). A view service (vs, which never crashes) plays the membership
 * layer. The network loses 5 %, duplicates 2 % and reorders 5 % of frames; links are cut one way,
 * the group partitions, and members crash (one at a time) and restart with an empty account.
 *
 * <p>Checked, for every snapshot that completes: the cut is consistent, channel states are exactly
 * the transfers in flight, and balances are those of the members' histories at their cuts and,
 * before any crash, add up to the bank's total; every failure names a member that really left;
 * every snapshot ends within 300 ms of its start or the heal, and once the heal has settled every
 * snapshot completes.
 */
public final class SnapshotScenario implements Scenario {
  static final NodeId VIEW_SERVICE = NodeId.of("vs");
  static final List<NodeId> BANK = List.of(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3"),
      NodeId.of("n4"), NodeId.of("n5"));
  static final long BOUND_NANOS = 300_000_000L;
  static final long SETTLE_NANOS = 200_000_000L;

  /** The checkers of this scenario by name, in the order they run. */
  public static final CheckerCatalog<SnapshotSimMessage> CHECKERS =
      new CheckerCatalog<SnapshotSimMessage>()
          .add("consistent-cut", SnapshotCheckers::consistentCut)
          .add("channel-state", SnapshotCheckers::channelState)
          .add("reachable-state", () -> SnapshotCheckers.reachableState(BANK.size()))
          .add("failure-names-leaver", SnapshotCheckers::failuresNameLeaver)
          .add("snapshot-liveness", () -> SnapshotCheckers.liveness(BOUND_NANOS, SETTLE_NANOS));

  private final SnapshotCore.Variant variant;
  private final Set<String> enabledCheckers;

  /** The correct protocol with every checker. */
  public SnapshotScenario() {
    this(SnapshotCore.Variant.CORRECT);
  }

  /** {@code variant} with every checker. */
  public SnapshotScenario(SnapshotCore.Variant variant) {
    this(variant, CHECKERS.names());
  }

  /**
   * @throws IllegalArgumentException if {@code variant} is null or a checker name is unknown
   */
  public SnapshotScenario(SnapshotCore.Variant variant, Set<String> checkers) {
    if (variant == null) {
      throw new IllegalArgumentException("snapshot variant must not be null");
    }
    this.variant = variant;
    this.enabledCheckers = CHECKERS.select(checkers);
  }

  @Override
  public String name() {
    return "snapshot";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    List<NodeId> nodes = new ArrayList<>(BANK);
    nodes.add(VIEW_SERVICE);
    Simulation.Builder<SnapshotSimMessage> builder = Simulation.<SnapshotSimMessage>builder()
        .seed(seed)
        .members(nodes)
        .cores(ctx -> new BankSimCore(ctx.self(), ctx.incarnation(), VIEW_SERVICE, BANK,
            ctx.random(), 1_500_000L, 100_000_000L, variant))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 300_000),
            0.05, 0.02, 0.05, 2_000_000))
        .clocks(ClockModel.drifting(20_000_000, 1e-4))
        .faults(FaultModel.every(150_000_000L).withLinkCuts(4).withPartitions(2)
            .withCrashes(1, 1).lasting(20_000_000L, 150_000_000L))
        .phases(1_500_000_000L, 800_000_000L)
        .durable(VIEW_SERVICE)
        .maxEvents(2_000_000)
        .keepTrace(keepTrace);
    CHECKERS.addTo(builder, enabledCheckers);
    return builder.build().run();
  }
}
