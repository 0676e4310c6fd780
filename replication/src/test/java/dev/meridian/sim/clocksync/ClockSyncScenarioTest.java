package dev.meridian.sim.clocksync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.core.clocksync.ClockSyncCore.Variant;
import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Clock synchronization under loss, partitions, crashes, clock steps and a rogue reference. */
class ClockSyncScenarioTest {

  @Test
  void readingsHoldTrueTimeAndFaultsAreReportedOnEightySeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] readings = new long[1];
    long[] faults = new long[1];
    ScenarioRunner.Summary summary = ScenarioRunner.run(new ClockSyncScenario(), 1, 80, true,
        r -> {
          r.violation().ifPresent(violations::add);
          readings[0] += r.trace().stream().filter(l -> l.contains("Reading[interval=")).count();
          faults[0] += r.trace().stream().filter(l -> l.contains("ClockFault[")).count();
        });
    assertEquals(List.of(), violations, "replay with ./meridian sim clocksync --seed S --trace");
    assertEquals("scenario=clocksync seeds=80 violations=0", summary.line());
    assertTrue(readings[0] > 80 * 100, "too few readings to mean anything: " + readings[0]);
    assertTrue(faults[0] > 80, "too few clock faults to mean anything: " + faults[0]);
  }

  @Test
  void halfTheSeedsHaveARogueReference() {
    int rogue = 0;
    for (long seed = 1; seed <= 200; seed++) {
      if (ClockSyncScenario.rogueOf(seed) != null) {
        rogue++;
      }
    }
    assertTrue(rogue > 70 && rogue < 130, "rogue references in " + rogue + " of 200 seeds");
  }

  /** Each checker alone, so that none passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "TRUST_LOCAL_CLOCK, interval-holds-true-time",
    "AVERAGE_SOURCES, interval-holds-true-time",
    "IGNORE_SOURCE_ERROR, interval-holds-true-time",
    "NO_STEP_DETECTION, served-intervals-hold",
    "NO_STEP_DETECTION, clock-faults-reported",
  })
  void brokenClockSyncIsCaught(Variant variant, String checker) {
    ClockSyncScenario broken = new ClockSyncScenario(variant, Set.of(checker));
    for (long seed = 1; seed <= 60; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals(checker, r.violation().get().checker(), r.violation().get().toString());
        assertEquals(r.violation(), broken.run(seed, false).violation(), "replay differs");
        return;
      }
    }
    fail(variant + " went unnoticed by " + checker + " over 60 seeds");
  }

  @Test
  void sameSeedGivesTheIdenticalTrace() {
    SimulationResult a = new ClockSyncScenario().run(5, true);
    SimulationResult b = new ClockSyncScenario().run(5, true);
    assertEquals(a.trace(), b.trace());
    assertTrue(a.trace().size() > 500, "trace too short: " + a.trace().size());
  }

  @Test
  void argumentsAreValidated() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClockSyncScenario(null))
        .getMessage().contains("variant"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClockSyncScenario(
        Variant.CORRECT, Set.of("nosuch"))).getMessage().contains("nosuch"));
  }
}
