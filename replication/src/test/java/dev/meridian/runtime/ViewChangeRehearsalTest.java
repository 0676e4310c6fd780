package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.membership.DetectorSettings;
import dev.meridian.core.membership.MembershipCore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The start-up rehearsal must really run the view-change paths it is there to warm up: a
 * rehearsal that stopped reaching the new view (after a protocol change) would silently warm
 * nothing, and failover would pay the cold code again.
 */
class ViewChangeRehearsalTest {

  @ParameterizedTest(name = "heartbeat {0} ms, suspect after {1} ms, {2}")
  @CsvSource({"100, 500, TIMEOUT", "100, 1000, TIMEOUT", "100, 1000, PHI_ACCRUAL",
      "20, 100, TIMEOUT"})
  void everyRehearsalEndsWithBothSurvivorsInAViewOfTwo(long heartbeatMs, long suspectMs,
      DetectorSettings.Kind kind) {
    long heartbeat = heartbeatMs * 1_000_000L;
    long suspect = suspectMs * 1_000_000L;
    // As GroupReplica builds them from a GroupMemberConfig.
    MembershipCore.Settings settings = new MembershipCore.Settings(
        new DetectorSettings(kind, heartbeat, suspect, 8.0, 100), suspect, 0,
        new LinkSettings(4096, 256, Math.max(1_000_000L, Math.min(50_000_000L, heartbeat / 2))));

    assertEquals(2 * 3, ViewChangeRehearsal.run(settings, 3));
  }
}
