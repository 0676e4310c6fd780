package dev.meridian.sim.leases;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** Leases under clock offsets, drift, steps, partitions, crashes and paused writers. */
class LeasesScenarioTest {

  @Test
  void exclusivityAndFencingHoldOnSixtySeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] counts = new long[3]; // grants, acts, fenced writes
    ScenarioRunner.Summary summary = ScenarioRunner.run(new LeasesScenario(), 1, 60, true, r -> {
      r.violation().ifPresent(violations::add);
      counts[0] += r.trace().stream().filter(l -> l.contains("Granted[")).count();
      counts[1] += r.trace().stream().filter(l -> l.contains("Acting[")).count();
      counts[2] += r.trace().stream().filter(l -> l.contains("WriteFenced[")).count();
    });
    assertEquals(List.of(), violations, "replay with ./meridian sim leases --seed S --trace");
    assertEquals("scenario=leases seeds=60 violations=0", summary.line());
    assertTrue(counts[0] > 60 * 5, "too few grants: " + counts[0]);
    assertTrue(counts[1] > 60 * 100, "too few acts: " + counts[1]);
    assertTrue(counts[2] > 0, "no paused write was ever fenced: the fencing path went untested");
  }

  /** Each checker alone, so that none passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "TRUST_LOCAL_CLOCK, lease-exclusivity",
    "NO_FENCING, fencing",
  })
  void brokenLeasesAreCaught(LeaseSimCore.Variant variant, String checker) {
    LeasesScenario broken = new LeasesScenario(variant, Set.of(checker));
    for (long seed = 1; seed <= 40; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals(checker, r.violation().get().checker(), r.violation().get().toString());
        assertEquals(r.violation(), broken.run(seed, false).violation(), "replay differs");
        return;
      }
    }
    fail(variant + " went unnoticed by " + checker + " over 40 seeds");
  }

  @Test
  void argumentsAreValidated() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new LeasesScenario(null))
        .getMessage().contains("variant"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new LeasesScenario(
        LeaseSimCore.Variant.CORRECT, Set.of("nosuch"))).getMessage().contains("nosuch"));
  }
}
