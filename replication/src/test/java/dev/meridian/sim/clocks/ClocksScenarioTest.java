package dev.meridian.sim.clocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The clock properties of issue 2, over 1,000 seeded executions of five processes with loss,
 * duplication, reordering, partitions, crashes and clock faults; and each checker shown to fail
 * on a clock that breaks one rule.
 */
class ClocksScenarioTest {

  @Test
  void correctClocksHoldEveryPropertyOnAThousandSeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] totals = new long[4]; // steps, crashes, dropped, runs with a refusal
    ScenarioRunner.Summary summary = ScenarioRunner.run(new ClocksScenario(), 1, 1000, false, r -> {
      r.violation().ifPresent(violations::add);
      totals[0] += r.steps();
      totals[1] += r.crashes();
      totals[2] += r.messagesDropped();
    });
    assertEquals(List.of(), violations, "replay a failing seed with ./meridian sim clocks --seed S");
    assertEquals("scenario=clocks seeds=1000 violations=0", summary.line());
    // The runs must actually have exercised the faults, or passing says little.
    assertTrue(totals[0] > 500_000, "steps " + totals[0]);
    assertTrue(totals[1] > 1000, "crashes " + totals[1]);
    assertTrue(totals[2] > 10_000, "dropped " + totals[2]);
  }

  @Test
  void someRunsHaveAClockFaultThatMakesReceiversRefuseMessages() {
    int runsWithRefusals = 0;
    for (long seed = 1; seed <= 60; seed++) {
      SimulationResult r = new ClocksScenario().run(seed, true);
      if (r.trace().stream().anyMatch(line -> line.contains("REFUSED"))) {
        runsWithRefusals++;
        assertTrue(r.trace().stream().anyMatch(line -> line.contains("clock step")),
            "seed " + seed + " refused messages without any clock step");
      }
    }
    assertTrue(runsWithRefusals > 0, "no run stepped a clock far enough to refuse a message");
  }

  @ParameterizedTest(name = "{0} is caught by {1}")
  @CsvSource({
    "NO_MERGE_ON_RECEIVE, vector-clock-order",
    "NO_INCREMENT_ON_SEND, vector-clock-order",
    "LAMPORT_NO_MAX, lamport-order",
    "HLC_IGNORES_REMOTE, hlc-order",
    "HLC_NO_OFFSET_CHECK, hlc-offset-bound",
  })
  void brokenClockIsCaughtWithEveryCheckerOn(ClockVariant variant, String checker) {
    assertCaught(new ClocksScenario(5, variant), variant, checker);
  }

  /** Each checker alone, so that none of them passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "NO_MERGE_ON_RECEIVE, vector-clock-order",
    "LAMPORT_NO_MAX, lamport-order",
    "HLC_IGNORES_REMOTE, hlc-order",
    "HLC_NO_OFFSET_CHECK, hlc-offset-bound",
    "NO_MERGE_ON_RECEIVE, gossip-convergence",
  })
  void eachCheckerAloneCatchesItsBrokenVariant(ClockVariant variant, String checker) {
    assertCaught(new ClocksScenario(5, variant, Set.of(checker)), variant, checker);
  }

  private static void assertCaught(ClocksScenario broken, ClockVariant variant, String checker) {
    for (long seed = 1; seed <= 300; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        Violation v = r.violation().get();
        assertEquals(checker, v.checker(), v.toString());
        assertEquals(seed, v.seed());
        assertTrue(v.toString().startsWith("seed=" + seed + " event="), v.toString());
        // Replaying the seed fails at the very same event.
        assertEquals(v, broken.run(seed, false).violation().orElseThrow());
        return;
      }
    }
    fail(variant + " went unnoticed by " + checker + " over 300 seeds");
  }

  @Test
  void unknownCheckerNameIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ClocksScenario(5, ClockVariant.CORRECT, Set.of("nope")));
    assertTrue(e.getMessage().contains("unknown checker 'nope'"), e.getMessage());
  }

  @Test
  void sameSeedGivesTheIdenticalTrace() {
    SimulationResult a = new ClocksScenario().run(77, true);
    SimulationResult b = new ClocksScenario().run(77, true);
    assertEquals(a.trace(), b.trace());
    assertEquals(a.fingerprint(), b.fingerprint());
    assertTrue(a.trace().size() > 100, "trace too short to mean anything: " + a.trace().size());
    SimulationResult c = new ClocksScenario().run(78, true);
    assertNotEquals(a.fingerprint(), c.fingerprint());
    // Without the trace kept, the fingerprint is still the same.
    assertEquals(a.fingerprint(), new ClocksScenario().run(77, false).fingerprint());
  }
}
