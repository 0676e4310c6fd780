package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who proposes an admin request in which slot: windows of f + 3 slots, rotating leaders. */
class AdminProposerTest {
  @Test
  void noOneProposesBeforeTheFirstWindow() {
    assertEquals(-1, AdminAgreement.proposerOf(100, 100, 1, 9));
    assertEquals(-1, AdminAgreement.proposerOf(100, 101, 1, 9));
    assertEquals(100 % 9, AdminAgreement.proposerOf(100, 102, 1, 9));
  }

  @Test
  void oneLeaderPerWindowAndTheNextServerAfterIt() {
    int f = 1;
    int n = 9;
    long signed = 1_000;
    for (long slot = signed + 2; slot < signed + 2 + (f + 3); slot++) {
      assertEquals(signed % n, AdminAgreement.proposerOf(signed, slot, f, n), "slot " + slot);
    }
    assertEquals((signed + 1) % n, AdminAgreement.proposerOf(signed, signed + 2 + f + 3, f, n));
  }

  @Test
  void fPlusOneConsecutiveWindowsHaveDistinctLeadersSoOneIsCorrect() {
    for (int n : new int[] {4, 9, 16}) {
      for (int f = 1; 3 * f < n; f++) {
        for (long signed = 0; signed < 40; signed++) {
          Set<Long> leaders = new HashSet<>();
          for (int w = 0; w <= f; w++) {
            leaders.add(AdminAgreement.proposerOf(signed, signed + 2 + (long) w * (f + 3), f, n));
          }
          assertEquals(f + 1, leaders.size(), "n=" + n + " f=" + f + " signed=" + signed);
        }
      }
    }
  }

  @Test
  void requestsSignedInOneSlotShareTheirLeader() {
    assertEquals(AdminAgreement.proposerOf(77, 80, 2, 16),
        AdminAgreement.proposerOf(77, 81, 2, 16));
  }
}
