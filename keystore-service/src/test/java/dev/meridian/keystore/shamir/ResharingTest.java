package dev.meridian.keystore.shamir;

import static dev.meridian.keystore.shamir.Combinations.forEachSubset;
import static dev.meridian.keystore.shamir.Combinations.oneTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import dev.meridian.keystore.testing.Secrets;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Resharing}: the secret moves to a new set of holders with a new threshold, the new
 * shares verify against commitments everyone computes alike, a re-dealer that does not re-share
 * its own share is caught, and old and new shares do not combine. Seeded; failures name it.
 */
class ResharingTest {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();



  /** Every old holder deals; returns the sub-dealings by dealer. */
  private static Map<Integer, Resharing.SubDealing> dealAll(Resharing resharing,
      List<Share> oldShares, SecureRandom random) {
    Map<Integer, Resharing.SubDealing> dealings = new HashMap<>();
    for (Share share : oldShares) {
      dealings.put(share.x(), resharing.deal(share, random));
    }
    return dealings;
  }

  /** Each new holder verifies every sub-share it got and combines those of {@code chosen}. */
  private static List<NextEpoch> combineAll(Resharing resharing, List<Integer> newXs,
      Map<Integer, Resharing.SubDealing> dealings, Set<Integer> chosen) {
    List<NextEpoch> next = new ArrayList<>();
    for (int x : newXs) {
      List<Resharing.SubShare> received = new ArrayList<>();
      for (Resharing.SubDealing d : dealings.values()) {
        received.add(d.to(x));
      }
      next.add(resharing.combine(x, chosen, received));
    }
    return next;
  }

  @Test
  void threeByThreeGridWithTwoOfNineMovesToFourByFourWithThreeOfSixteen() {
    for (long seed = 0; seed < 3; seed++) {
      String at = "seed=" + seed;
      SecureRandom random = SeededRandom.of(seed);
      Dealing dealing = VSS.deal(2, oneTo(9), random); // 3×3, f = 1, t = 2
      Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(9), 3, oneTo(16));
      Map<Integer, Resharing.SubDealing> dealings = dealAll(resharing, dealing.shares(), random);
      for (Resharing.SubDealing d : dealings.values()) {
        for (int x = 1; x <= 16; x++) {
          assertEquals(Verdict.ACCEPTED, resharing.verify(d.to(x), x), at + " dealer "
              + d.dealer() + " to " + x);
        }
      }
      Set<Integer> chosen = seed == 0 ? Set.of(2, 7) : Set.of(1, 5, 9); // t, or more than t
      List<NextEpoch> next = combineAll(resharing, oneTo(16), dealings, chosen);

      Commitments commitments = next.get(0).commitments();
      Map<Integer, Commitments> chosenDealt = new HashMap<>();
      chosen.forEach(i -> chosenDealt.put(i, dealings.get(i).commitments()));
      assertEquals(commitments, resharing.nextCommitments(chosenDealt), at + ": public");
      assertEquals(3, commitments.threshold(), at);
      assertEquals(dealing.commitments().point(0), commitments.point(0), at + ": C_0 = s·G");
      List<Share> newShares = new ArrayList<>();
      for (NextEpoch n : next) {
        assertEquals(commitments, n.commitments(), at + " x=" + n.share().x());
        assertEquals(1, n.epoch(), at);
        assertTrue(VSS.verify(n.share(), commitments), at + " x=" + n.share().x());
        newShares.add(n.share());
      }
      int[] count = {0};
      forEachSubset(newShares, 3, subset -> {
        assertEquals(dealing.secret(), VSS.reconstruct(subset, 3), at + " " + subset);
        count[0]++;
      });
      assertEquals(560, count[0]);
      forEachSubset(newShares.subList(0, 6), 2, pair -> assertNotEquals(dealing.secret(),
          VSS.reconstruct(pair, 2), at + ": two new shares must not suffice any more " + pair));
      assertFalse(dealing.shares().get(0).isDestroyed(), "old shares stay until installed");
    }
  }

  @Test
  void aServerIsRemovedAndTheThresholdLowered() {
    SecureRandom random = SeededRandom.of(21);
    Dealing dealing = VSS.deal(3, oneTo(5), random);
    List<Integer> remaining = List.of(1, 2, 4, 5); // server 3 leaves
    Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(5), 2, remaining);
    Map<Integer, Resharing.SubDealing> dealings = dealAll(resharing, dealing.shares(), random);
    List<NextEpoch> next = combineAll(resharing, remaining, dealings, Set.of(2, 3, 4));
    List<Share> newShares = next.stream().map(NextEpoch::share).toList();
    forEachSubset(newShares, 2, pair ->
        assertEquals(dealing.secret(), VSS.reconstruct(pair, 2), pair.toString()));
    // Server 3's old share is useless with the new ones, even relabelled.
    Share leftOver = Share.of(3, dealing.shares().get(2).yBytes(), 1);
    assertNotEquals(dealing.secret(), VSS.reconstruct(List.of(leftOver, newShares.get(0)), 2));
    assertFalse(VSS.verify(leftOver, next.get(0).commitments()));
  }

  @Test
  void oldAndNewSharesDoNotCombine() {
    SecureRandom random = SeededRandom.of(22);
    Dealing dealing = VSS.deal(2, oneTo(9), random);
    Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(9), 3, oneTo(16));
    Map<Integer, Resharing.SubDealing> dealings = dealAll(resharing, dealing.shares(), random);
    List<Share> newShares = combineAll(resharing, oneTo(16), dealings, Set.of(3, 8)).stream()
        .map(NextEpoch::share).toList();
    List<Share> old = dealing.shares();

    var e = assertThrows(IllegalArgumentException.class, () -> VSS.reconstruct(
        List.of(old.get(0), newShares.get(1), newShares.get(2)), 3));
    assertTrue(e.getMessage().contains("share x=1 (position 0) is of epoch 0, share x=2"
        + " (position 1) of epoch 1"), e.getMessage());

    // Bypassing the check: every mix of old (x = 1..9) and new (x = 10..16) shares at distinct
    // x's reconstructs a wrong value, with t or with t'.
    List<Share> oldRaw = old.stream().map(s -> Share.of(s.x(), s.yBytes(), 1)).toList();
    int[] mixes = {0};
    for (int threshold : new int[] {2, 3}) {
      for (int oldCount = 1; oldCount < threshold; oldCount++) {
        int fromOld = oldCount;
        forEachSubset(oldRaw, fromOld, olds -> forEachSubset(newShares.subList(9, 16),
            threshold - fromOld, news -> {
              List<Share> pooled = new ArrayList<>(olds);
              pooled.addAll(news);
              assertNotEquals(dealing.secret(), VSS.reconstruct(pooled, threshold),
                  "t=" + threshold + " " + pooled);
              mixes[0]++;
            }));
      }
    }
    assertEquals(9 * 7 + 9 * 21 + 36 * 7, mixes[0]);
  }

  @Test
  void aReDealerThatDoesNotReShareItsOwnShareIsDetectedAndExcluded() {
    SecureRandom random = SeededRandom.of(23);
    Dealing dealing = VSS.deal(2, oneTo(4), random);
    Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(4), 3, oneTo(5));
    Map<Integer, Resharing.SubDealing> dealings = dealAll(resharing, dealing.shares(), random);

    // Dealer 3 re-shares another value: a valid Feldman dealing, but of the wrong constant.
    Dealing substitute = VSS.deal(SecretScalar.random(random), 3, oneTo(5), 0, random);
    Resharing.SubDealing cheat = new Resharing.SubDealing(3, substitute.commitments(),
        substitute.shares());
    dealings.put(3, cheat);
    assertRejected(Verdict.Reason.NOT_THE_DEALERS_SHARE, "dealer 3's C_0 is not the old"
        + " commitments at x=3", resharing.checkCommitments(3, cheat.commitments()));
    for (int x = 1; x <= 5; x++) {
      assertTrue(VSS.verify(cheat.to(x).share(), cheat.commitments()));
      assertRejected(Verdict.Reason.NOT_THE_DEALERS_SHARE, "not re-sharing its own share",
          resharing.verify(cheat.to(x), x));
    }
    // Dealer 1's C_0 presented as dealer 2's: caught too.
    assertRejected(Verdict.Reason.NOT_THE_DEALERS_SHARE, "dealer 2's C_0",
        resharing.checkCommitments(2, dealings.get(1).commitments()));
    // Dealer 4 hands new holder 2 a sub-share off its polynomial (dealer 1's value for x=2).
    Resharing.SubShare offPolynomial = new Resharing.SubShare(4,
        dealings.get(4).commitments(), dealings.get(1).to(2).share());
    assertRejected(Verdict.Reason.SHARE_DOES_NOT_VERIFY, "dealer 4's sub-share to x=2 does not"
        + " verify", resharing.verify(offPolynomial, 2));
    // Dealer 2 keeps its share but deals it with the old threshold.
    Share mine = Share.of(2, dealing.shares().get(1).yBytes(), 0);
    Dealing wrongDegree = VSS.deal(SecretScalar.ofLimbs(mine.limbs().clone()), 2, oneTo(5), 0,
        random);
    assertRejected(Verdict.Reason.WRONG_THRESHOLD, "dealer 2 dealt 2 commitments; the new"
        + " threshold is 3", resharing.checkCommitments(2, wrongDegree.commitments()));

    List<Resharing.SubShare> toFive = new ArrayList<>();
    dealings.values().forEach(d -> toFive.add(d.to(5)));
    var e = assertThrows(IllegalArgumentException.class,
        () -> resharing.combine(5, Set.of(1, 3), toFive));
    assertTrue(e.getMessage().startsWith("the sub-share of dealer 3 to x=5 was chosen but is"
        + " rejected here: NOT_THE_DEALERS_SHARE"), e.getMessage());
    assertFalse(toFive.get(0).isDestroyed(), "a refused combine destroys nothing");

    // Had the cheater been combined (raw, outside the API), the secret would be lost.
    int[] dealers = {1, 3};
    List<Share> raw = List.of(dealings.get(1).to(5).share(), cheat.to(5).share());
    Share bad = Share.ofLimbs(5, FeldmanVss.combine(raw, FeldmanVss.lagrange(dealers, 0)));

    List<NextEpoch> next = combineAll(resharing, oneTo(5), dealings, Set.of(1, 4));
    forEachSubset(next.stream().map(NextEpoch::share).toList(), 3, subset ->
        assertEquals(dealing.secret(), VSS.reconstruct(subset, 3), subset.toString()));
    List<Share> pooled = List.of(Share.of(1, next.get(0).share().yBytes(), 0),
        Share.of(2, next.get(1).share().yBytes(), 0), bad);
    assertNotEquals(dealing.secret(), VSS.reconstruct(pooled, 3));
  }

  @Test
  void badArgumentsAreRefusedAndChangeNothing() {
    SecureRandom random = SeededRandom.of(24);
    Dealing dealing = VSS.deal(2, oneTo(3), random);
    Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(3), 2, List.of(2, 3, 4));
    Map<Integer, Resharing.SubDealing> dealings = dealAll(resharing, dealing.shares(), random);
    List<Resharing.SubShare> toFour = new ArrayList<>();
    dealings.values().forEach(d -> toFour.add(d.to(4)));
    assertMessage("re-sharing needs at least t = 2 valid old dealers (the old threshold), got 1",
        () -> resharing.combine(4, Set.of(1), toFour));
    assertMessage("no sub-share received from dealer 3, which was chosen",
        () -> resharing.combine(4, Set.of(1, 3), toFour.subList(0, 1)));
    List<Resharing.SubShare> twice = new ArrayList<>(toFour);
    twice.add(toFour.get(0));
    assertMessage("two sub-shares from dealer", () -> resharing.combine(4, Set.of(1, 2), twice));
    assertMessage("x=1 is not a new holder [2, 3, 4]",
        () -> resharing.combine(1, Set.of(1, 2), toFour));
    assertMessage("old share x=1 is of epoch 3; the re-sharing is of epoch 0",
        () -> resharing.deal(Share.of(1, dealing.shares().get(0).yBytes(), 3), random));
    assertMessage("old share x=1 does not verify against the old commitments",
        () -> resharing.deal(Share.of(1, dealing.shares().get(1).yBytes(), 0), random));
    assertMessage("dealer 4 is not a holder of the epoch-0 sharing [1, 2, 3]",
        () -> resharing.deal(Share.of(4, dealing.shares().get(1).yBytes(), 0), random));
    assertMessage("threshold 4 exceeds the number of x-coordinates (3)",
        () -> Resharing.of(dealing.commitments(), 0, oneTo(3), 4, List.of(2, 3, 4)));
    assertMessage("duplicate x-coordinate 2", () -> Resharing.of(dealing.commitments(), 0,
        oneTo(3), 2, List.of(2, 3, 2)));
    assertRejected(Verdict.Reason.WRONG_RECIPIENT, "dealer 1's sub-share is for x=3, not for x=4",
        resharing.verify(dealings.get(1).to(3), 4));
    assertRejected(Verdict.Reason.UNKNOWN_DEALER, "dealer 9 is not a holder",
        resharing.verify(new Resharing.SubShare(9, dealings.get(1).commitments(),
            dealings.get(1).to(4).share()), 4));
    toFour.forEach(s -> assertFalse(s.isDestroyed()));
    NextEpoch next = resharing.combine(4, Set.of(1, 2), toFour);
    assertTrue(VSS.verify(next.share(), next.commitments()));
    assertTrue(dealings.get(1).to(4).isDestroyed() && dealings.get(2).to(4).isDestroyed());
    assertFalse(dealings.get(3).to(4).isDestroyed(), "dealer 3 was not chosen");
  }

  @Test
  void noSecretInToStringsVerdictsOrMessages() {
    SecureRandom random = SeededRandom.of(25);
    Dealing dealing = VSS.deal(2, oneTo(3), random);
    byte[] secret = dealing.secret().toBytes();
    Resharing resharing = Resharing.of(dealing.commitments(), 0, oneTo(3), 2, oneTo(4));
    Resharing.SubDealing sub = resharing.deal(dealing.shares().get(0), random);
    List<String> texts = new ArrayList<>(List.of(sub.toString(), sub.to(2).toString(),
        resharing.verify(sub.to(2), 3).toString()));
    var e = assertThrows(IllegalArgumentException.class,
        () -> resharing.deal(Share.of(2, dealing.shares().get(0).yBytes(), 0), random));
    texts.add(e.getMessage());
    for (String text : texts) {
      Secrets.assertNotShown(text, secret, text);
      for (Share s : dealing.shares()) {
        Secrets.assertNotShown(text, s.yBytes(), text);
      }
      for (Share s : sub.shares()) {
        Secrets.assertNotShown(text, s.yBytes(), text);
      }
    }
  }

  private static void assertRejected(Verdict.Reason reason, String detailPart, Verdict verdict) {
    assertTrue(verdict instanceof Verdict.Rejected, "expected " + reason + ", got " + verdict);
    Verdict.Rejected r = (Verdict.Rejected) verdict;
    assertEquals(reason, r.reason(), r.detail());
    assertTrue(r.detail().contains(detailPart), "expected '" + detailPart + "' in: " + r.detail());
  }

  private static void assertMessage(String expectedPart, Executable call) {
    var e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expectedPart),
        "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
