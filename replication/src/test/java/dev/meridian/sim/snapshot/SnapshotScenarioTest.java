package dev.meridian.sim.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Snapshots under loss, reordering, cut links, partitions and crashes. */
class SnapshotScenarioTest {

  @Test
  void snapshotsAreConsistentOnTwentySeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] counts = new long[3]; // completed, failed, transfers in flight recorded
    ScenarioRunner.Summary summary = ScenarioRunner.run(new SnapshotScenario(), 1, 20, true,
        r -> {
          r.violation().ifPresent(violations::add);
          for (String line : r.trace()) {
            if (line.contains("SnapshotCompleted{")) {
              counts[0]++;
              int at = line.indexOf(" states, ");
              counts[2] += Long.parseLong(line.substring(at + 9, line.indexOf(' ', at + 9)));
            }
            if (line.contains("SnapshotFailed[")) {
              counts[1]++;
            }
          }
        });
    assertEquals(List.of(), violations, "replay with ./meridian sim snapshot --seed S --trace");
    assertEquals("scenario=snapshot seeds=20 violations=0", summary.line());
    assertTrue(counts[0] > 20 * 30, "too few snapshots completed: " + counts[0]);
    assertTrue(counts[1] > 0, "no snapshot ever failed: the failure path went untested");
    assertTrue(counts[2] > 20 * 10, "channel states were nearly always empty: " + counts[2]);
  }

  /** Each checker alone, so that none passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "NO_MARKERS, consistent-cut",
    "NO_MARKERS, channel-state",
    "NO_CHANNEL_RECORDING, channel-state",
    "NO_CHANNEL_RECORDING, reachable-state",
    "RECORD_AFTER_FORWARD, channel-state",
    "RECORD_AFTER_FORWARD, reachable-state",
    "IGNORE_DEPARTURES, snapshot-liveness",
  })
  void brokenSnapshotsAreCaught(SnapshotCore.Variant variant, String checker) {
    SnapshotScenario broken = new SnapshotScenario(variant, Set.of(checker));
    for (long seed = 1; seed <= 10; seed++) {
      SimulationResult r = broken.run(seed, false);
      if (r.violation().isPresent()) {
        assertEquals(checker, r.violation().get().checker(), r.violation().get().toString());
        assertEquals(r.violation(), broken.run(seed, false).violation(), "replay differs");
        return;
      }
    }
    fail(variant + " went unnoticed by " + checker + " over 10 seeds");
  }

  @Test
  void argumentsAreValidated() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new SnapshotScenario(null))
        .getMessage().contains("variant"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new SnapshotScenario(
        SnapshotCore.Variant.CORRECT, Set.of("nosuch"))).getMessage().contains("nosuch"));
  }
}
