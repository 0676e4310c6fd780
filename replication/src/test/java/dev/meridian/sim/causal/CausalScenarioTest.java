package dev.meridian.sim.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.core.causal.CausalMulticastCore.Variant;
import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Causal multicast over lossy, duplicating, reordering, partitioned networks. */
class CausalScenarioTest {

  @Test
  void causalOrderFifoNoLossAndConvergenceHoldOnOneHundredSeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] dropped = new long[1];
    ScenarioRunner.Summary summary = ScenarioRunner.run(new CausalScenario(), 1, 100, false, r -> {
      r.violation().ifPresent(violations::add);
      dropped[0] += r.messagesDropped();
    });
    assertEquals(List.of(), violations, "replay with ./meridian sim causal --seed S --trace");
    assertEquals("scenario=causal seeds=100 violations=0", summary.line());
    assertTrue(dropped[0] > 10_000, "the network dropped too little to mean anything: "
        + dropped[0]);
  }

  /** Each checker alone, so that none passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "DELIVER_ON_ARRIVAL, causal-delivery",
    "DELIVER_RAW_FRAMES, fifo-no-duplicates",
    "NO_RETRANSMIT, no-loss-convergence",
  })
  void brokenMulticastIsCaught(Variant variant, String checker) {
    CausalScenario broken = new CausalScenario(variant, Set.of(checker));
    for (long seed = 1; seed <= 20; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals(checker, r.violation().get().checker(), r.violation().get().toString());
        assertEquals(r.violation(), broken.run(seed, false).violation(), "replay differs");
        return;
      }
    }
    fail(variant + " went unnoticed by " + checker + " over 20 seeds");
  }

  @Test
  void sameSeedGivesTheIdenticalTrace() {
    SimulationResult a = new CausalScenario().run(5, true);
    SimulationResult b = new CausalScenario().run(5, true);
    assertEquals(a.trace(), b.trace());
    assertTrue(a.trace().size() > 1000, "trace too short: " + a.trace().size());
  }
}
