package dev.meridian.sim.membership;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.membership.DetectorSettings;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.core.membership.MembershipCore;
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
 * The {@code membership} scenario: five members multicast messages within their views over a
 * network that loses 5 %, duplicates 2 % and reorders 10 % of frames, while nodes crash and
 * restart (at most two down at once), links are cut and the group is partitioned; clocks drift.
 * Heartbeats every 10 ms, suspicion after at most 60 ms of silence (odd seeds by plain timeout,
 * even seeds by phi accrual, which may suspect sooner); a third of the messages ask for total
 * order. Messages are applied to a replicated digest ({@link DigestState}) that restarted members
 * receive by state transfer. Checked: one view per id, virtual synchrony, total order within
 * each view, equal replicated state at every view boundary, that every submit reported done
 * survives (even its sender's crash), and — once everything heals — a
 * single view holding exactly the live nodes.
 */
public final class MembershipScenario implements Scenario {
  private static final long SAFETY_NANOS = 1_500_000_000L;

  /** The checkers of this scenario by name, in the order they run. */
  public static final CheckerCatalog<LinkFrame<MemberWire>> CHECKERS =
      new CheckerCatalog<LinkFrame<MemberWire>>()
          .add("one-view-per-id", MembershipCheckers::oneViewPerId)
          .add("virtual-synchrony", MembershipCheckers::virtualSynchrony)
          .add("total-order", MembershipCheckers::totalOrder)
          .add("replicated-state", MembershipCheckers::replicatedState)
          .add("acknowledged-survive", MembershipCheckers::acknowledgedSurvive)
          .add("liveness", MembershipCheckers::liveness);

  private final MembershipCore.Variant variant;
  private final Set<String> enabledCheckers;

  public MembershipScenario() {
    this(MembershipCore.Variant.CORRECT);
  }

  public MembershipScenario(MembershipCore.Variant variant) {
    this(variant, CHECKERS.names());
  }

  /** @throws IllegalArgumentException if a checker name is unknown */
  public MembershipScenario(MembershipCore.Variant variant, Set<String> checkers) {
    if (variant == null) {
      throw new IllegalArgumentException("variant must not be null");
    }
    this.variant = variant;
    this.enabledCheckers = CHECKERS.select(checkers);
  }

  @Override
  public String name() {
    return "membership";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    List<NodeId> members = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      members.add(NodeId.of("m" + i));
    }
    // Odd seeds suspect after a plain timeout, even seeds by phi accrual (same hard bound).
    DetectorSettings.Kind kind = seed % 2 == 0 ? DetectorSettings.Kind.PHI_ACCRUAL
        : DetectorSettings.Kind.TIMEOUT;
    MembershipCore.Settings settings = new MembershipCore.Settings(
        new DetectorSettings(kind, 10_000_000L, 60_000_000L, 8, 100),
        100_000_000L, 5_000_000L, new LinkSettings(256, 64, 20_000_000L));
    Simulation.Builder<LinkFrame<MemberWire>> builder = Simulation.<LinkFrame<MemberWire>>builder()
        .seed(seed)
        .members(members)
        .cores(ctx -> new MembershipCore(ctx.self(), ctx.incarnation(), ctx.incarnation() == 1,
            ctx.members(), settings, variant, ctx.random(), new DigestState()))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 1_000_000),
            0.05, 0.02, 0.10, 5_000_000))
        .clocks(ClockModel.drifting(10_000_000, 1e-4))
        .faults(FaultModel.every(150_000_000L).withCrashes(6, 2).withLinkCuts(3)
            .withPartitions(3).lasting(20_000_000L, 300_000_000L))
        .transportHints(5_000_000L) // as GrpcTransport's probe of a broken stream
        .phases(SAFETY_NANOS, 2_000_000_000L)
        .maxEvents(3_000_000)
        .keepTrace(keepTrace);
    CHECKERS.addTo(builder, enabledCheckers);
    return builder.build().run();
  }
}
