package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.A;
import static dev.meridian.sim.SimTestSupport.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad settings are refused at once, with a message that names what is wrong. */
class SimulationValidationTest {

  private static <T extends Throwable> void assertRefused(Class<T> type, Executable call,
      String... mentions) {
    T e = assertThrows(type, call);
    for (String m : mentions) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(m),
          "message '" + e.getMessage() + "' does not mention " + m);
    }
  }

  private static void assertIllegal(Executable call, String... mentions) {
    assertRefused(IllegalArgumentException.class, call, mentions);
  }

  private static Simulation.Builder<String> builder() {
    return Simulation.builder();
  }

  @Test
  void membersMustBeANonEmptyListOfDistinctIds() {
    assertIllegal(() -> builder().members(List.of()), "at least one member");
    assertIllegal(() -> builder().members(null), "at least one member");
    assertIllegal(() -> builder().members(Arrays.asList(A, null)), "null");
    assertIllegal(() -> builder().members(List.of(A, B, A)), "member a appears twice");
  }

  @Test
  void membersAreCopiedWhenGiven() {
    List<NodeId> members = new ArrayList<>(List.of(A, B));
    Simulation.Builder<String> b = builder().members(members).cores(ctx -> event -> List.of());
    members.add(NodeId.of("late"));
    List<NodeId> seen = new ArrayList<>();
    b.checker(() -> SimTestSupport.checker("members", (step, ex) -> {
      if (seen.isEmpty()) {
        seen.addAll(ex.members());
      }
      return java.util.Optional.empty();
    })).build().run();
    assertEquals(List.of(A, B), seen);
  }

  @Test
  void buildNeedsMembersAndCores() {
    assertRefused(IllegalStateException.class,
        () -> builder().cores(ctx -> event -> List.of()).build(), "members");
    assertRefused(IllegalStateException.class, () -> builder().members(List.of(A)).build(),
        "cores");
    assertIllegal(() -> builder().cores(null), "cores");
  }

  @Test
  void nullModelsAndCallbacksAreRefused() {
    assertIllegal(() -> builder().network(null), "network");
    assertIllegal(() -> builder().livenessNetwork(null), "livenessNetwork");
    assertIllegal(() -> builder().clocks(null), "clocks");
    assertIllegal(() -> builder().faults(null), "faults");
    assertIllegal(() -> builder().checker(null), "checker");
    assertIllegal(() -> builder().observer(null), "observer");
  }

  @Test
  void phasesMustNotBeNegativeAndMaxEventsMustBePositive() {
    assertIllegal(() -> builder().phases(-1, 0), "safety=-1");
    assertIllegal(() -> builder().phases(0, -7), "liveness=-7");
    assertIllegal(() -> builder().maxEvents(0), "maxEvents", "0");
    assertIllegal(() -> builder().maxEvents(-3), "maxEvents", "-3");
    // Zero-length phases are allowed: the nodes still start.
    SimulationResult r = builder().members(List.of(A)).cores(ctx -> event -> List.of())
        .phases(0, 0).build().run();
    assertTrue(r.ok());
    assertEquals(1, r.steps());
  }

  @Test
  void requestsMustNameAMemberAndATime() {
    assertRefused(IllegalStateException.class,
        () -> builder().members(List.of(A)).cores(ctx -> event -> List.of())
            .request(5, NodeId.of("ghost"), "hello").build(),
        "unknown node ghost");
    assertIllegal(() -> builder().request(-1, A, "x"), "-1");
    assertIllegal(() -> builder().request(1, null, "x"), "request node");
    assertIllegal(() -> builder().request(1, A, null), "request");
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.1, 1.1, Double.NaN, Double.POSITIVE_INFINITY})
  void networkProbabilitiesMustBeBetweenZeroAndOne(double p) {
    DelayDistribution d = DelayDistribution.uniform(0, 1);
    assertIllegal(() -> new NetworkModel(d, p, 0, 0, 0), "lossProbability", String.valueOf(p));
    assertIllegal(() -> new NetworkModel(d, 0, p, 0, 0), "duplicateProbability",
        String.valueOf(p));
    assertIllegal(() -> new NetworkModel(d, 0, 0, p, 0), "reorderProbability", String.valueOf(p));
    assertIllegal(() -> NetworkModel.reliable().withLoss(p), "lossProbability");
    assertIllegal(() -> NetworkModel.reliable().withDuplication(p), "duplicateProbability");
    assertIllegal(() -> NetworkModel.reliable().withReordering(p, 1), "reorderProbability");
  }

  @Test
  void networkNeedsADelayAndANonNegativeReorderDelay() {
    assertIllegal(() -> new NetworkModel(null, 0, 0, 0, 0), "delay");
    assertIllegal(() -> NetworkModel.reliable().withReordering(0.5, -1), "reorderDelayNanos",
        "-1");
    // The bounds themselves are fine.
    NetworkModel edge = new NetworkModel(DelayDistribution.uniform(0, 0), 0.0, 1.0, 1.0, 0);
    assertEquals(1.0, edge.duplicateProbability());
  }

  @Test
  void healedNetworkKeepsDelaysAndReorderingButDropsLossAndDuplication() {
    DelayDistribution d = DelayDistribution.uniform(1, 2);
    NetworkModel healed = new NetworkModel(d, 0.3, 0.2, 0.1, 99).healed();
    assertEquals(new NetworkModel(d, 0, 0, 0.1, 99), healed);
  }

  @Test
  void delayDistributionsRefuseNegativeArguments() {
    assertIllegal(() -> DelayDistribution.uniform(-1, 5), "min=-1");
    assertIllegal(() -> DelayDistribution.uniform(6, 5), "min=6", "max=5");
    assertIllegal(() -> DelayDistribution.exponential(-2, 5), "min=-2");
    assertIllegal(() -> DelayDistribution.exponential(2, -5), "meanExtra=-5");
  }

  @Test
  void clockModelRefusesOutOfRangeValues() {
    assertIllegal(() -> new ClockModel(-1, 0, 0, true), "maxOffsetNanos", "-1");
    assertIllegal(() -> ClockModel.drifting(0, -1e-6), "maxDrift", "-1.0E-6");
    assertIllegal(() -> ClockModel.drifting(0, 0.1), "maxDrift", "0.1");
    assertIllegal(() -> ClockModel.drifting(0, Double.NaN), "maxDrift", "NaN");
    assertIllegal(() -> ClockModel.perfect().withSteps(-5, true), "maxStepNanos", "-5");
    assertEquals(0.099, ClockModel.drifting(0, 0.099).maxDrift());
  }

  @Test
  void faultModelRefusesBadWeightsAndDurations() {
    assertIllegal(() -> new FaultModel(0, 1, 1, 1, 1, 1, 0, 1), "meanGapNanos", "0");
    assertIllegal(() -> new FaultModel(10, -1, 1, 1, 1, 1, 0, 1), "weights", "cut=-1");
    assertIllegal(() -> new FaultModel(10, 1, -2, 1, 1, 1, 0, 1), "weights", "partition=-2");
    assertIllegal(() -> new FaultModel(10, 1, 1, -3, 1, 1, 0, 1), "weights", "crash=-3");
    assertIllegal(() -> new FaultModel(10, 1, 1, 1, -4, 1, 0, 1), "weights", "clock=-4");
    assertIllegal(() -> new FaultModel(10, 1, 1, 1, 1, -1, 0, 1), "maxDown", "-1");
    assertIllegal(() -> new FaultModel(10, 1, 1, 1, 1, 1, -1, 1), "duration", "min=-1");
    assertIllegal(() -> new FaultModel(10, 1, 1, 1, 1, 1, 5, 4), "duration", "min=5", "max=4");
    assertEquals(0, FaultModel.none().totalWeight());
    assertEquals(10, new FaultModel(10, 1, 2, 3, 4, 1, 0, 1).totalWeight());
  }

  @Test
  void effectsRefuseMissingParts() {
    assertIllegal(() -> new Effect.Send<String>(null, "x"), "destination", "to=null");
    assertIllegal(() -> new Effect.Send<String>(A, null), "payload");
    assertIllegal(() -> new Effect.Deliver<String>(null), "value");
    assertIllegal(() -> new Effect.SetTimer<String>("t", -1), "delay", "-1");
  }

  @Test
  void aCoreSendingToAStrangerOrReturningNullFailsLoudly() {
    IllegalStateException stranger = assertThrows(IllegalStateException.class,
        () -> builder().members(List.of(A))
            .cores(ctx -> event -> List.of(new Effect.Send<>(B, "hi")))
            .build().run());
    assertTrue(stranger.getMessage().contains("unknown node b"), stranger.getMessage());

    IllegalStateException nothing = assertThrows(IllegalStateException.class,
        () -> builder().members(List.of(A)).cores(ctx -> event -> null).build().run());
    assertTrue(nothing.getMessage().contains("returned null"), nothing.getMessage());
  }

  @Test
  void executionRefusesAnUnknownNode() {
    List<String> messages = new ArrayList<>();
    builder().members(List.of(A)).cores(ctx -> event -> List.of())
        .checker(() -> SimTestSupport.checker("probe", (step, ex) -> {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> ex.isUp(B));
          messages.add(e.getMessage());
          return java.util.Optional.empty();
        }))
        .build().run();
    assertEquals(1, messages.size());
    assertTrue(messages.get(0).contains("unknown node b"), messages.get(0));
  }
}
