package dev.meridian.sim.clocksync;

import dev.meridian.NodeId;
import dev.meridian.core.clocksync.ClockSyncCore;
import dev.meridian.core.clocksync.ClockSyncSettings;
import dev.meridian.core.clocksync.SyncMessage;
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
import java.util.SplittableRandom;

/**
 * The {@code clocksync} scenario: three references (r1..r3, wall clocks within 100 µs of true
 * time, vouching for 1 ms) and three members (c1..c3, offsets up to ±20 ms, drift up to ±100
 * ppm), every one synchronizing from the references with f = 1. The network loses, duplicates,
 * reorders and delays messages (at least 100 µs one way, the configured minimum delay);
 * links are cut one way, the group partitions, nodes crash and restart, and wall clocks step by
 * up to ±500 ms. In half the seeds one reference is rogue: its clock drifts by up to ±3 %, far
 * beyond the ρ = 100 ppm the protocol assumes, and nothing tells it so.
 *
 * <p>Checked: readings hold true time (unless more than f sources served wrong intervals),
 * served intervals hold true time, big steps and far-off rogues are reported, and every live
 * member is synchronized once faults heal.
 */
public final class ClockSyncScenario implements Scenario {
  static final double MAX_DRIFT = 1e-4;
  static final int FALSETICKERS = 1;
  static final long MIN_DELAY_NANOS = 100_000;
  static final long REFERENCE_ERROR_NANOS = 1_000_000;
  static final List<NodeId> REFERENCES = List.of(NodeId.of("r1"), NodeId.of("r2"),
      NodeId.of("r3"));
  static final List<NodeId> MEMBERS = List.of(NodeId.of("r1"), NodeId.of("r2"), NodeId.of("r3"),
      NodeId.of("c1"), NodeId.of("c2"), NodeId.of("c3"));

  /** The checkers of this scenario by name, in the order they run. */
  public static final CheckerCatalog<SyncMessage> CHECKERS = new CheckerCatalog<SyncMessage>()
      .add("interval-holds-true-time",
          () -> ClockSyncCheckers.intervalHoldsTrueTime(REFERENCES, FALSETICKERS, MAX_DRIFT,
              REFERENCE_ERROR_NANOS))
      .add("served-intervals-hold",
          () -> ClockSyncCheckers.servedIntervalsHold(REFERENCES, FALSETICKERS, MAX_DRIFT,
              REFERENCE_ERROR_NANOS))
      .add("clock-faults-reported", () -> ClockSyncCheckers.clockFaultsReported(MAX_DRIFT))
      .add("synchronized-after-heal",
          () -> ClockSyncCheckers.synchronizedAfterHeal(REFERENCES, FALSETICKERS, MAX_DRIFT,
              REFERENCE_ERROR_NANOS, 300_000_000L));

  private final ClockSyncCore.Variant variant;
  private final Set<String> enabledCheckers;

  /** The standard scenario: the correct protocol, every checker. */
  public ClockSyncScenario() {
    this(ClockSyncCore.Variant.CORRECT);
  }

  /** {@code variant} with every checker. */
  public ClockSyncScenario(ClockSyncCore.Variant variant) {
    this(variant, CHECKERS.names());
  }

  /**
   * @param variant which protocol rules the nodes follow
   * @param checkers names of the checkers to run (names in {@link #CHECKERS})
   * @throws IllegalArgumentException if {@code variant} is null or a checker name is unknown
   */
  public ClockSyncScenario(ClockSyncCore.Variant variant, Set<String> checkers) {
    if (variant == null) {
      throw new IllegalArgumentException("clocksync variant must not be null");
    }
    this.variant = variant;
    this.enabledCheckers = CHECKERS.select(checkers);
  }

  @Override
  public String name() {
    return "clocksync";
  }

  /** The rogue reference of {@code seed}'s run, or null when every reference is sound. */
  static NodeId rogueOf(long seed) {
    SplittableRandom pick = new SplittableRandom(seed ^ 0x5DEECE66DL);
    return pick.nextBoolean() ? REFERENCES.get(pick.nextInt(REFERENCES.size())) : null;
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    Simulation.Builder<SyncMessage> builder = Simulation.<SyncMessage>builder()
        .seed(seed)
        .members(MEMBERS)
        .cores(ctx -> new ClockSyncCore(ctx.self(), settingsFor(ctx.self()), variant))
        .network(new NetworkModel(DelayDistribution.exponential(MIN_DELAY_NANOS, 300_000),
            0.05, 0.02, 0.05, 2_000_000))
        .clocks(ClockModel.drifting(20_000_000, MAX_DRIFT).withSteps(500_000_000, false))
        .faults(FaultModel.every(100_000_000L).withLinkCuts(4).withPartitions(2)
            .withCrashes(3, 2).withClockSteps(2).lasting(20_000_000L, 200_000_000L))
        .phases(1_500_000_000L, 1_000_000_000L)
        .maxEvents(1_000_000)
        .keepTrace(keepTrace);
    NodeId rogue = rogueOf(seed);
    for (NodeId r : REFERENCES) {
      builder.clock(r, r.equals(rogue) ? ClockModel.drifting(100_000, 0.03)
          : ClockModel.drifting(100_000, 1e-7));
    }
    CHECKERS.addTo(builder, enabledCheckers);
    return builder.build().run();
  }

  static ClockSyncSettings settingsFor(NodeId node) {
    return new ClockSyncSettings(REFERENCES, FALSETICKERS, MAX_DRIFT, MIN_DELAY_NANOS,
        50_000_000L, 1_000_000_000L,
        REFERENCES.contains(node) ? REFERENCE_ERROR_NANOS : -1, 100_000L);
  }
}
