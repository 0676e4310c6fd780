package dev.meridian.core.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FailureDetectorTest {
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");
  private static final long MS = 1_000_000L;

  @Test
  void aTimeoutDetectorSuspectsAfterTheTimeoutAndNotBeforeAndAHeartbeatClearsIt() {
    FailureDetector d = new FailureDetector(DetectorSettings.defaults()); // 100 ms, 1 s
    d.watch(B, 0);
    d.watch(C, 0);
    for (long t = 100 * MS; t <= 2_000 * MS; t += 100 * MS) {
      d.heartbeat(B, t); // b keeps beating, c falls silent at 0
    }
    assertFalse(d.suspected(C, 1_000 * MS), "exactly the timeout is not yet a suspicion");
    assertTrue(d.suspected(C, 1_000 * MS + 1));
    assertEquals(Set.of(C), d.suspects(2_000 * MS));
    d.heartbeat(C, 2_050 * MS);
    assertEquals(Set.of(), d.suspects(2_050 * MS));
  }

  @Test
  void theNextHardDeadlineIsTheFirstInstantAQuietPeerWouldBeSuspected() {
    FailureDetector d = new FailureDetector(DetectorSettings.defaults()); // 100 ms, 1 s
    d.watch(B, 0);
    d.watch(C, 0);
    d.heartbeat(B, 300 * MS);
    d.heartbeat(C, 250 * MS);
    long next = d.nextHardDeadline(400 * MS);
    assertEquals(1_250 * MS + 1, next, "c, heard last, crosses the bound first");
    assertFalse(d.suspected(C, next - 1));
    assertTrue(d.suspected(C, next));
    // Once c is suspected, the next deadline is b's.
    assertEquals(1_300 * MS + 1, d.nextHardDeadline(1_260 * MS));
    assertEquals(Long.MAX_VALUE, d.nextHardDeadline(2_000 * MS), "everyone suspected already");
  }

  @Test
  void anUnreachableHintSuspectsAPeerHeardFromAtOnceUntilItsNextHeartbeat() {
    FailureDetector d = new FailureDetector(DetectorSettings.defaults()); // 100 ms, 1 s
    d.watch(B, 0);
    d.watch(C, 0);
    d.unreachable(C); // never heard from: at start-up a port is closed until the peer runs
    assertFalse(d.suspected(C, 10 * MS));
    d.heartbeat(B, 100 * MS);
    d.unreachable(B);
    assertTrue(d.suspected(B, 101 * MS), "heard from, then its port refused: suspected now");
    d.heartbeat(B, 150 * MS);
    assertFalse(d.suspected(B, 151 * MS), "a heartbeat clears the hint: it was restarting");
  }

  @Test
  void phiRisesWithSilenceAndSuspectsEarlierThanTheHardBoundOnARegularHistory() {
    FailureDetector d = new FailureDetector(DetectorSettings.phiAccrual());
    d.watch(B, 0);
    SplittableRandom random = new SplittableRandom(3);
    long t = 0;
    for (int i = 0; i < 200; i++) {
      t += 100 * MS + random.nextLong(-5 * MS, 5 * MS); // regular heartbeats, small jitter
      d.heartbeat(B, t);
    }
    double atNormalGap = d.phi(B, t + 100 * MS);
    double later = d.phi(B, t + 200 * MS);
    assertTrue(atNormalGap < 1, "phi at the usual gap: " + atNormalGap);
    assertTrue(later > atNormalGap, "phi grows with silence");
    assertFalse(d.suspected(B, t + 120 * MS));
    // With a 10 ms sigma floor, phi passes 8 well before the 1 s hard bound.
    long firstSuspected = -1;
    for (long s = t; s <= t + 1_000 * MS; s += MS) {
      if (d.suspected(B, s)) {
        firstSuspected = s - t;
        break;
      }
    }
    assertTrue(firstSuspected > 120 * MS && firstSuspected < 400 * MS,
        "suspected after " + firstSuspected / MS + " ms of silence");
  }

  @Test
  void phiSuspectsNobodyBeforeItHasAHistoryOnlyTheHardBoundDoes() {
    FailureDetector d = new FailureDetector(DetectorSettings.phiAccrual()); // 100 ms, 1 s
    d.watch(B, 0);
    for (int i = 1; i < FailureDetector.MIN_HISTORY; i++) {
      d.heartbeat(B, i * 100 * MS);
    }
    long last = (FailureDetector.MIN_HISTORY - 1) * 100 * MS;
    assertFalse(d.suspected(B, last + 900 * MS), "too little history for phi");
    assertTrue(d.suspected(B, last + 1_000 * MS + 1), "the hard bound still holds");
    d.heartbeat(B, last + 100 * MS); // now MIN_HISTORY intervals
    assertTrue(d.suspected(B, last + 100 * MS + 400 * MS), "phi, well before the bound");
  }

  @Test
  void phiWaitsLongerForAMemberWhoseHeartbeatsAreIrregular() {
    FailureDetector regular = new FailureDetector(DetectorSettings.phiAccrual());
    FailureDetector jittery = new FailureDetector(DetectorSettings.phiAccrual());
    regular.watch(B, 0);
    jittery.watch(B, 0);
    SplittableRandom random = new SplittableRandom(5);
    long tr = 0;
    long tj = 0;
    for (int i = 0; i < 100; i++) {
      tr += 100 * MS;
      tj += random.nextLong(0, 200 * MS); // same mean, a spread wider than the sigma floor
      regular.heartbeat(B, tr);
      jittery.heartbeat(B, tj);
    }
    assertTrue(jittery.phi(B, tj + 250 * MS) < regular.phi(B, tr + 250 * MS));
  }

  @Test
  void unwatchedPeersAreNeverSuspectedAndBadInputIsNamed() {
    FailureDetector d = new FailureDetector(DetectorSettings.defaults());
    d.heartbeat(B, 5); // not watched: ignored
    assertFalse(d.suspected(B, Long.MAX_VALUE / 2));
    d.watch(B, 10);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> d.heartbeat(B, 9))
        .getMessage().contains("time went back for b"));
    d.forget(B);
    assertEquals(Set.of(), d.watched());
    assertThrows(IllegalArgumentException.class, () -> d.heartbeat(null, 1));
    assertThrows(IllegalArgumentException.class, () -> new FailureDetector(null));
  }

  @Test
  void settingsNameWhatIsOutOfRange() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectorSettings(
        DetectorSettings.Kind.TIMEOUT, 100 * MS, 100 * MS, 8, 100)).getMessage()
        .startsWith("suspectAfterNanos must be in (heartbeat interval"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectorSettings(
        DetectorSettings.Kind.TIMEOUT, -1, 1_000 * MS, 8, 100)).getMessage()
        .startsWith("heartbeatIntervalNanos"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectorSettings(
        DetectorSettings.Kind.PHI_ACCRUAL, 100 * MS, 1_000 * MS, Double.NaN, 100)).getMessage()
        .startsWith("phiThreshold"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectorSettings(
        null, 100 * MS, 1_000 * MS, 8, 100)).getMessage().startsWith("kind"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectorSettings(
        DetectorSettings.Kind.PHI_ACCRUAL, 100 * MS, 1_000 * MS, 8, 1)).getMessage()
        .startsWith("windowSize"));
  }
}
