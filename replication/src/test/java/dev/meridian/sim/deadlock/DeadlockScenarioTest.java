package dev.meridian.sim.deadlock;

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

/** Both detectors on one run of locks under loss, reordering, cut links and partitions. */
class DeadlockScenarioTest {

  @Test
  void snapshotDetectorFindsDeadlocksWithoutPhantomsWhereTheNaiveOneReportsPhantoms() {
    DeadlockScenario scenario = new DeadlockScenario();
    List<Violation> violations = new ArrayList<>();
    ScenarioRunner.Summary summary = ScenarioRunner.run(scenario, 1, 50, false,
        r -> r.violation().ifPresent(violations::add));
    assertEquals(List.of(), violations, "replay with ./meridian sim deadlock --seed S --trace");
    assertEquals("scenario=deadlock seeds=50 violations=0", summary.line());
    DeadlockFigures f = scenario.totals();
    assertTrue(f.realDeadlocks() >= 50, "too few deadlocks to judge a detector: " + f);
    assertEquals(0, f.snapshotPhantoms(), f::toString);
    assertEquals(f.realDeadlocks(), f.snapshotFound(), f::toString);
    assertTrue(f.naivePhantoms() > 0, "the naive detector never erred: " + f);
    assertTrue(f.naiveReports() > f.naivePhantoms(), "the naive detector never found a real one: "
        + f);
    assertEquals(f.line(), scenario.figuresLine());
  }

  @Test
  void aSeedReplaysToTheSameRunAndFigures() {
    DeadlockScenario.Run a = new DeadlockScenario().runDetailed(7, false);
    DeadlockScenario.Run b = new DeadlockScenario().runDetailed(7, false);
    assertEquals(a.result().fingerprint(), b.result().fingerprint());
    assertEquals(a.figures(), b.figures());
  }

  /** Each broken detector caught by the no-phantom checker alone. */
  @ParameterizedTest(name = "no-phantom-deadlock catches {0}")
  @CsvSource({"IGNORE_CHANNELS", "NO_MARKERS"})
  void brokenDetectorsReportPhantomsAndAreCaught(LockSimCore.DetectorVariant variant) {
    DeadlockScenario broken = new DeadlockScenario(variant, Set.of("no-phantom-deadlock"));
    for (long seed = 1; seed <= 20; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals("no-phantom-deadlock", r.violation().get().checker(),
            r.violation().get().toString());
        assertTrue(r.violation().get().toString().contains("at n"), r.violation().get()::toString);
        assertEquals(r.violation(), broken.run(seed, false).violation(), "replay differs");
        assertTrue(broken.totals().snapshotPhantoms() > 0, broken.totals()::toString);
        return;
      }
    }
    fail(variant + " went unnoticed over 20 seeds: " + broken.totals());
  }

  @Test
  void aDetectorThatNeverAbortsIsCaughtByDeadlockFound() {
    DeadlockScenario broken =
        new DeadlockScenario(LockSimCore.DetectorVariant.NO_ABORT, Set.of("deadlock-found"));
    for (long seed = 1; seed <= 10; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals("deadlock-found", r.violation().get().checker());
        assertTrue(r.violation().get().toString().contains("still stands at the end"),
            r.violation().get()::toString);
        return;
      }
    }
    fail("a detector that never aborts went unnoticed over 10 seeds: " + broken.totals());
  }

  @Test
  void argumentsAreValidated() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DeadlockScenario(null))
        .getMessage().contains("variant"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DeadlockScenario(
        LockSimCore.DetectorVariant.CORRECT, Set.of("nosuch"))).getMessage().contains("nosuch"));
    assertThrows(IllegalArgumentException.class,
        () -> new LockSimCore.Workload(0, 0, 1_000, 1_000, 1_000, 1_000));
  }
}
