package dev.meridian.sim.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.membership.DetectorSettings;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.core.membership.MembershipCore.Variant;
import dev.meridian.sim.ScenarioRunner;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** View changes under crashes, restarts, partitions and a lossy network. */
class MembershipScenarioTest {

  /**
   * Seed 1665 once stalled a restarted member for good: delayed installs admitted it (view 10),
   * removed it (11, an install it is never sent) and admitted it again (12), which it ignored as
   * two views ahead. It now leaves and takes 12 as the joiner it is there.
   */
  @Test
  void aMemberRemovedAndReadmittedInViewsItNeverSawCatchesUp() {
    SimulationResult r = new MembershipScenario().run(1665, false);
    assertEquals(java.util.Optional.empty(), r.violation(),
        "replay with ./meridian sim membership --seed 1665 --trace");
  }

  @Test
  void oneViewPerIdVirtualSynchronyTotalOrderAndLivenessHoldOnFortySeeds() {
    List<Violation> violations = new ArrayList<>();
    long[] installs = new long[1];
    ScenarioRunner.Summary summary = ScenarioRunner.run(new MembershipScenario(), 1, 40, true,
        r -> {
          r.violation().ifPresent(violations::add);
          installs[0] += r.trace().stream()
              .filter(line -> line.contains("Installed[view=View#")).count();
        });
    assertEquals(List.of(), violations, "replay with ./meridian sim membership --seed S --trace");
    assertEquals("scenario=membership seeds=40 violations=0", summary.line());
    // Five founders install view 1 in every run; everything beyond is a view change.
    assertTrue(installs[0] > 40 * 5 * 3, "too few view changes to mean anything: " + installs[0]);
  }

  /** Each checker alone, so that none passes only because another one is watching. */
  @ParameterizedTest(name = "{1} alone catches {0}")
  @CsvSource({
    "INSTALL_WITHOUT_FLUSH, virtual-synchrony",
    "NO_MAJORITY, one-view-per-id",
    "IGNORE_JOINS, liveness",
    "TOTAL_ON_RECEIPT, total-order",
    "SKIP_STATE_TRANSFER, replicated-state",
    "ACK_ON_APPLY, acknowledged-survive",
  })
  void brokenMembershipIsCaught(Variant variant, String checker) {
    MembershipScenario broken = new MembershipScenario(variant, Set.of(checker));
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
  void sameSeedGivesTheIdenticalTrace() {
    SimulationResult a = new MembershipScenario().run(3, true);
    SimulationResult b = new MembershipScenario().run(3, true);
    assertEquals(a.trace(), b.trace());
    assertTrue(a.trace().size() > 1000, "trace too short: " + a.trace().size());
  }

  @Test
  void argumentsAndSettingsAreValidated() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MembershipScenario(null))
        .getMessage().contains("variant"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MembershipCore.Settings(
        DetectorSettings.defaults(), 0, 0, LinkSettings.defaults())).getMessage()
        .contains("changeTimeoutNanos"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MembershipScenario(
        Variant.CORRECT, Set.of("nosuch"))).getMessage().contains("nosuch"));
  }
}
