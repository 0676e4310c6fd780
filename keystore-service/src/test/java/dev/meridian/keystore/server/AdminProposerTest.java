package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Who proposes an admin request in which slot: windows of f + 3 slots, f + 1 proposers each. */
class AdminProposerTest {
  private static Set<Integer> proposers(long signed, long slot, int f, int n) {
    Set<Integer> out = new TreeSet<>();
    for (int s = 0; s < n; s++) {
      if (AdminAgreement.proposes(signed, slot, f, n, s)) {
        out.add(s);
      }
    }
    return out;
  }

  @Test
  void noOneProposesBeforeTheFirstWindow() {
    assertEquals(Set.of(), proposers(100, 100, 1, 9));
    assertEquals(Set.of(), proposers(100, 101, 1, 9));
    assertEquals(Set.of(1, 2), proposers(100, 102, 1, 9)); // 100 mod 9 = 1, and the next
  }

  @Test
  void fPlusOneProposersPerWindowAndTheNextWindowMovesOnByOneServer() {
    int f = 1;
    int n = 9;
    long signed = 1_000; // 1000 mod 9 = 1
    for (long slot = signed + 2; slot < signed + 2 + (f + 3); slot++) {
      assertEquals(Set.of(1, 2), proposers(signed, slot, f, n), "slot " + slot);
    }
    assertEquals(Set.of(2, 3), proposers(signed, signed + 2 + f + 3, f, n));
    assertEquals(Set.of(8, 0), proposers(8, 10, f, n)); // wraps around
  }

  @Test
  void everyWindowHasFPlusOneDistinctProposersSoOneIsCorrectAndSharesFWithTheNext() {
    for (int n : new int[] {2, 4, 9, 16}) {
      for (int f = 0; f < n; f++) {
        for (long signed = 0; signed < 40; signed++) {
          for (int w = 0; w < 3; w++) {
            long slot = signed + 2 + (long) w * (f + 3);
            Set<Integer> now = proposers(signed, slot, f, n);
            assertEquals(f + 1, now.size(), "n=" + n + " f=" + f + " signed=" + signed);
            Set<Integer> next = new TreeSet<>(proposers(signed, slot + f + 3, f, n));
            next.retainAll(now);
            assertEquals(f + 1 == n ? n : f, next.size(), "n=" + n + " f=" + f);
          }
        }
      }
    }
  }

  @Test
  void requestsSignedInOneSlotShareTheirProposers() {
    assertEquals(proposers(77, 80, 2, 16), proposers(77, 81, 2, 16));
    assertTrue(AdminAgreement.proposes(77, 80, 2, 16, 77 % 16));
    assertFalse(AdminAgreement.proposes(77, 80, 2, 16, (77 + 3) % 16));
  }
}
