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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link ShareRefresh}: every server refreshes from the same agreed dealers, the new shares
 * verify and reconstruct the same secret, and shares from before and after do not combine.
 * Each case is seeded; a failure names its seed.
 */
class ShareRefreshTest {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();
  private static final BigInteger Q = VSS.order();


  /** A copy of a share, so the test keeps it after the server's copy is destroyed. */
  private static Share copy(Share share) {
    return Share.of(share.x(), share.yBytes(), share.epoch());
  }

  private static BigInteger value(Share share) {
    return new BigInteger(1, share.yBytes());
  }

  /** What one refresh round produced: each holder's next epoch, and each dealer's commitments. */
  private record Round(List<NextEpoch> next, Map<Integer, Commitments> dealt) {}

  /**
   * Runs one refresh: every holder deals, each holder verifies what it got and applies the
   * contributions of {@code valid}. The holders' {@link NextEpoch}s are in the order of {@code
   * shares}.
   */
  private static Round refreshAll(ShareRefresh refresh, List<Share> shares, Set<Integer> valid,
      SecureRandom random) {
    Map<Integer, ShareRefresh.ZeroDealing> dealings = new HashMap<>();
    Map<Integer, Commitments> dealt = new HashMap<>();
    for (Share share : shares) {
      ShareRefresh.ZeroDealing d = refresh.deal(share.x(), random);
      dealings.put(share.x(), d);
      dealt.put(share.x(), d.commitments());
    }
    List<NextEpoch> next = new ArrayList<>();
    for (Share share : shares) {
      List<ShareRefresh.Contribution> received = new ArrayList<>();
      for (ShareRefresh.ZeroDealing d : dealings.values()) {
        ShareRefresh.Contribution c = d.to(share.x());
        assertEquals(Verdict.ACCEPTED, refresh.verify(c, share.x()), "dealer " + d.dealer());
        received.add(c);
      }
      next.add(refresh.apply(share, valid, received));
    }
    dealings.values().forEach(ShareRefresh.ZeroDealing::destroy);
    return new Round(next, dealt);
  }


  @Test
  void refreshedSharesVerifyAgainstTheSameNewCommitmentsAndReconstructTheSecret() {
    for (long seed = 0; seed < 6; seed++) {
      String at = "seed=" + seed;
      SecureRandom random = SeededRandom.of(seed);
      Dealing dealing = VSS.deal(3, oneTo(5), random);
      List<Share> before = dealing.shares().stream().map(ShareRefreshTest::copy).toList();
      ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(5));
      Set<Integer> valid = Set.of(1, 2, 4, 5);
      Round round = refreshAll(refresh, dealing.shares(), valid, random);

      Commitments next = round.next().get(0).commitments();
      Map<Integer, Commitments> validDealt = new HashMap<>(round.dealt());
      validDealt.remove(3);
      assertEquals(next, refresh.nextCommitments(validDealt),
          at + ": anyone computes the new commitments from the public dealings");
      assertNotEquals(dealing.commitments(), next, at);
      assertEquals(dealing.commitments().point(0), next.point(0), at + ": C_0 = s·G unchanged");
      List<Share> newShares = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        NextEpoch n = round.next().get(i);
        String atX = at + " x=" + (i + 1);
        assertEquals(next, n.commitments(), atX + ": every server computes the same commitments");
        assertEquals(1, n.epoch(), atX);
        assertEquals(i + 1, n.share().x(), atX);
        assertTrue(VSS.verify(n.share(), next), atX);
        assertFalse(VSS.verify(before.get(i), next), atX + ": old share verifies against new");
        assertFalse(VSS.verify(n.share(), dealing.commitments()), atX + ": new against old");
        assertNotEquals(value(before.get(i)), value(n.share()), atX);
        assertTrue(dealing.shares().get(i).isDestroyed(), atX + ": old share destroyed");
        newShares.add(n.share());
      }
      forEachSubset(newShares, 3, subset ->
          assertEquals(dealing.secret(), VSS.reconstruct(subset, 3), at + " " + subset));
    }
  }

  @Test
  void refreshesChainOnANineServerGridWithSomeDealersLeftOut() {
    SecureRandom random = SeededRandom.of(11);
    Dealing dealing = VSS.deal(2, oneTo(9), random); // 3×3 grid, f = 1, t = 2
    List<Share> shares = dealing.shares();
    Commitments commitments = dealing.commitments();
    List<Set<Integer>> validPerEpoch = List.of(Set.of(1, 5, 9), Set.of(2, 3), oneToSet(9));
    for (int e = 0; e < validPerEpoch.size(); e++) {
      ShareRefresh refresh = ShareRefresh.of(commitments, e, oneTo(9));
      Round round = refreshAll(refresh, shares, validPerEpoch.get(e), random);
      shares = round.next().stream().map(NextEpoch::share).toList();
      commitments = round.next().get(0).commitments();
      for (Share share : shares) {
        assertEquals(e + 1, share.epoch());
        assertTrue(VSS.verify(share, commitments), "epoch " + (e + 1) + " x=" + share.x());
      }
      List<Share> all = shares;
      forEachSubset(all, 2, subset -> assertEquals(dealing.secret(), VSS.reconstruct(subset, 2)));
    }
  }

  private static Set<Integer> oneToSet(int n) {
    return new LinkedHashSet<>(oneTo(n));
  }

  @Test
  void theApiRefusesToCombineSharesFromBeforeAndAfterARefresh() {
    SecureRandom random = SeededRandom.of(12);
    Dealing dealing = VSS.deal(3, oneTo(5), random);
    Share oldFirst = copy(dealing.shares().get(0));
    ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(5));
    Round round = refreshAll(refresh, dealing.shares(), oneToSet(5), random);
    List<Share> mixed = List.of(oldFirst, round.next().get(1).share(), round.next().get(2).share());
    var e = assertThrows(IllegalArgumentException.class, () -> VSS.reconstruct(mixed, 3));
    assertEquals("cannot reconstruct the secret from shares of different epochs: share x=1"
        + " (position 0) is of epoch 0, share x=2 (position 1) of epoch 1; a refresh between the"
        + " epochs put them on different polynomials", e.getMessage());
  }

  /**
   * Bypassing the epoch check: t shares mixing epochs reconstruct a wrong value. With Δ = Σ_i δ_i
   * the sum of the agreed zero polynomials, new share j is old share j + Δ(x_j), so a subset T
   * with new shares at N ⊆ T reconstructs s + Σ_(j∈N) λ_j·Δ(x_j) (λ_j the Lagrange coefficients
   * of T at 0). For 0 < |N| < t, Δ(x_j) for j ∈ N are uniform and independent (Δ(0) = 0 leaves t
   * - 1 free coefficients, and |N| ≤ t - 1) and every λ_j ≠ 0, so the error is uniform in Z_q:
   * it is 0, giving the secret, with probability 1/q. The test checks the exact error, and that
   * it is never 0.
   */
  @Test
  void sharesMixingEpochsReconstructAWrongValueEvenWhenTheEpochCheckIsBypassed() {
    for (long seed = 0; seed < 4; seed++) {
      String at = "seed=" + seed;
      SecureRandom random = SeededRandom.of(100 + seed);
      Dealing dealing = VSS.deal(3, oneTo(6), random);
      BigInteger secret = new BigInteger(1, dealing.secret().toBytes());
      List<Share> before = dealing.shares().stream().map(ShareRefreshTest::copy).toList();
      ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(6));
      Round round = refreshAll(refresh, dealing.shares(), Set.of(2, 3, 6), random);
      List<Share> after = round.next().stream().map(NextEpoch::share).toList();
      // Raw scalars: relabel every share as epoch 0, as an attacker pooling bytes could.
      List<Share> oldRaw = before.stream().map(s -> Share.of(s.x(), s.yBytes(), 0)).toList();
      List<Share> newRaw = after.stream().map(s -> Share.of(s.x(), s.yBytes(), 0)).toList();
      int[] mixedSubsets = {0};
      forEachSubset(oneTo(6), 3, xs -> {
        for (int mask = 0; mask < 8; mask++) { // bit i set: the i-th x's share is from after
          List<Share> pooled = new ArrayList<>();
          BigInteger error = BigInteger.ZERO;
          BigInteger[] lambdas = FeldmanVss.lagrangeCoefficients(
              xs.stream().mapToInt(Integer::intValue).toArray(), 0);
          for (int i = 0; i < 3; i++) {
            int x = xs.get(i);
            boolean isNew = (mask >> i & 1) == 1;
            pooled.add(isNew ? newRaw.get(x - 1) : oldRaw.get(x - 1));
            if (isNew) {
              BigInteger delta = value(after.get(x - 1)).subtract(value(before.get(x - 1)));
              error = error.add(lambdas[i].multiply(delta));
            }
          }
          BigInteger got = new BigInteger(1, VSS.reconstruct(pooled, 3).toBytes());
          String where = at + " xs=" + xs + " new-mask=" + mask;
          assertEquals(secret.add(error).mod(Q), got, where + ": the error is Σ λ_j·Δ(x_j)");
          if (mask == 0 || mask == 7) {
            assertEquals(secret, got, where + ": one epoch only gives the secret");
          } else {
            assertNotEquals(secret, got, where + ": mixed epochs must not give the secret");
            mixedSubsets[0]++;
          }
        }
      });
      assertEquals(20 * 6, mixedSubsets[0], at);
    }
  }

  @Test
  void aDealerThatDoesNotShareZeroIsRejectedAndWouldHaveShiftedTheSecret() {
    SecureRandom random = SeededRandom.of(13);
    Dealing dealing = VSS.deal(3, oneTo(5), random);
    ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(5));
    // Dealer 2 deals a sharing of c ≠ 0 instead of 0; everything else about it is consistent.
    SecretScalar c = SecretScalar.random(random);
    Dealing shifted = VSS.deal(c, 3, oneTo(5), 0, random);
    var bad = new ShareRefresh.ZeroDealing(2, shifted.commitments(), shifted.shares());
    for (int x = 1; x <= 5; x++) {
      assertTrue(VSS.verify(bad.to(x).share(), bad.commitments()), "it is a valid Feldman dealing");
      assertRejected(Verdict.Reason.NONZERO_SECRET, "dealer 2's C_0 is not the point at infinity",
          refresh.verify(bad.to(x), x));
    }
    assertRejected(Verdict.Reason.NONZERO_SECRET, "would change the secret",
        refresh.checkCommitments(2, bad.commitments()));

    // Adding it anyway (raw, outside the API) moves the secret to s + c.
    List<Share> added = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int[] y = dealing.shares().get(i).limbs().clone();
      ModQ.add(y, bad.shares().get(i).limbs(), y);
      added.add(Share.ofLimbs(i + 1, y));
    }
    BigInteger expected = new BigInteger(1, dealing.secret().toBytes())
        .add(new BigInteger(1, c.toBytes())).mod(Q);
    assertEquals(expected, new BigInteger(1, VSS.reconstruct(added, 3).toBytes()));

    // apply refuses it even when told it is valid, and leaves the old share alone.
    ShareRefresh.ZeroDealing good1 = refresh.deal(1, random);
    ShareRefresh.ZeroDealing good3 = refresh.deal(3, random);
    Share old = dealing.shares().get(3);
    var e = assertThrows(IllegalArgumentException.class, () -> refresh.apply(old,
        Set.of(1, 2, 3), List.of(good1.to(4), bad.to(4), good3.to(4))));
    assertEquals("the contribution of dealer 2 to x=4 was decided valid but is rejected here:"
        + " NONZERO_SECRET (dealer 2's C_0 is not the point at infinity: its polynomial does not"
        + " share 0, and adding it would change the secret)", e.getMessage());
    assertFalse(old.isDestroyed());
    assertFalse(good1.to(4).isDestroyed());
    assertThrows(IllegalArgumentException.class,
        () -> refresh.nextCommitments(Map.of(1, good1.commitments(), 2, bad.commitments(),
            3, good3.commitments())));

    // Leaving the cheater out, the refresh goes through.
    NextEpoch next = refresh.apply(old, Set.of(1, 3, 5),
        List.of(good1.to(4), bad.to(4), good3.to(4), refresh.deal(5, random).to(4)));
    assertEquals(1, next.epoch());
    assertTrue(old.isDestroyed());
    assertFalse(bad.to(4).isDestroyed(), "contributions not used are left alone");
  }

  @Test
  void badContributionsAreRejectedWithTheirReason() {
    SecureRandom random = SeededRandom.of(14);
    Dealing dealing = VSS.deal(3, oneTo(5), random);
    ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(5));
    ShareRefresh.ZeroDealing honest = refresh.deal(4, random);

    ShareRefresh.Contribution toThree = honest.to(3);
    Share plusOne = Share.of(3, ModQ.toBytes(ModQ.toLimbs(value(toThree.share())
        .add(BigInteger.ONE).mod(Q))), 0);
    assertRejected(Verdict.Reason.SHARE_DOES_NOT_VERIFY, "dealer 4's contribution to x=3 does"
        + " not verify against its commitments", refresh.verify(
            new ShareRefresh.Contribution(4, honest.commitments(), plusOne), 3));
    assertRejected(Verdict.Reason.WRONG_RECIPIENT, "dealer 4's contribution is for x=2, not for"
        + " x=3", refresh.verify(honest.to(2), 3));
    Share epochOne = Share.of(3, toThree.share().yBytes(), 1);
    assertRejected(Verdict.Reason.WRONG_EPOCH, "dealer 4's contribution to x=3 is of epoch 1;"
        + " the refresh is of epoch 0", refresh.verify(
            new ShareRefresh.Contribution(4, honest.commitments(), epochOne), 3));
    assertRejected(Verdict.Reason.UNKNOWN_DEALER, "dealer 7 is not a holder of the epoch-0"
        + " sharing [1, 2, 3, 4, 5]", refresh.verify(
            new ShareRefresh.Contribution(7, honest.commitments(), toThree.share()), 3));
    Dealing higher = VSS.deal(SecretScalar.zero(), 4, oneTo(5), 0, random);
    assertRejected(Verdict.Reason.WRONG_THRESHOLD, "dealer 4 dealt 4 commitments; the sharing"
        + " has threshold 3", refresh.verify(
            new ShareRefresh.Contribution(4, higher.commitments(), higher.shares().get(2)), 3));
    assertEquals(Verdict.ACCEPTED, refresh.verify(toThree, 3));
    // Another dealer's commitments with this dealer's share.
    ShareRefresh.ZeroDealing other = refresh.deal(5, random);
    assertRejected(Verdict.Reason.SHARE_DOES_NOT_VERIFY, "dealer 4's contribution to x=3",
        refresh.verify(new ShareRefresh.Contribution(4, other.commitments(), toThree.share()), 3));
  }

  private static void assertRejected(Verdict.Reason reason, String detailPart, Verdict verdict) {
    assertTrue(verdict instanceof Verdict.Rejected, "expected " + reason + ", got " + verdict);
    Verdict.Rejected r = (Verdict.Rejected) verdict;
    assertEquals(reason, r.reason(), r.detail());
    assertTrue(r.detail().contains(detailPart), "expected '" + detailPart + "' in: " + r.detail());
    assertFalse(r.accepted());
  }

  @Test
  void applyRefusesWhatCannotBeRefreshedAndChangesNothing() {
    SecureRandom random = SeededRandom.of(15);
    Dealing dealing = VSS.deal(3, oneTo(5), random);
    ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(5));
    List<ShareRefresh.Contribution> toTwo = new ArrayList<>();
    for (int x = 1; x <= 5; x++) {
      toTwo.add(refresh.deal(x, random).to(2));
    }
    Share old = dealing.shares().get(1);
    assertMessage("a refresh needs at least t = 3 valid dealers (so that, with t = f + 1, one is"
        + " honest), got 2", () -> refresh.apply(old, Set.of(1, 2), toTwo));
    assertMessage("no contribution received from dealer 5, which was decided valid",
        () -> refresh.apply(old, Set.of(1, 2, 5), toTwo.subList(0, 4)));
    List<ShareRefresh.Contribution> twice = new ArrayList<>(toTwo);
    twice.add(toTwo.get(0));
    assertMessage("two contributions from dealer 1", () -> refresh.apply(old, Set.of(1, 2, 3),
        twice));
    Share laterEpoch = Share.of(2, old.yBytes(), 1);
    assertMessage("old share x=2 is of epoch 1; this refresh moves epoch 0 to 1",
        () -> refresh.apply(laterEpoch, Set.of(1, 2, 3), toTwo));
    Share wrong = Share.of(2, dealing.shares().get(2).yBytes(), 0);
    assertMessage("old share x=2 does not verify against the epoch-0 commitments",
        () -> refresh.apply(wrong, Set.of(1, 2, 3), toTwo));
    assertMessage("old share's x 6 is not a holder of the epoch-0 sharing [1, 2, 3, 4, 5]",
        () -> refresh.apply(Share.of(6, old.yBytes(), 0), Set.of(1, 2, 3), toTwo));
    assertMessage("dealer 6 is not a holder", () -> refresh.deal(6, random));
    assertMessage("epoch must be in [0, 9223372036854775806], got -1",
        () -> ShareRefresh.of(dealing.commitments(), -1, oneTo(5)));
    assertMessage("threshold 3 exceeds the number of x-coordinates (2)",
        () -> ShareRefresh.of(dealing.commitments(), 0, oneTo(2)));
    assertFalse(old.isDestroyed());
    toTwo.forEach(c -> assertFalse(c.isDestroyed()));
    NextEpoch next = refresh.apply(old, Set.of(1, 2, 3), toTwo);
    assertTrue(VSS.verify(next.share(), next.commitments()));
    assertTrue(old.isDestroyed());
    assertTrue(toTwo.get(0).isDestroyed() && toTwo.get(2).isDestroyed());
    assertFalse(toTwo.get(3).isDestroyed(), "dealer 4 was not in the valid set");
  }

  @Test
  void noSecretInToStringsVerdictsOrMessages() {
    SecureRandom random = SeededRandom.of(16);
    Dealing dealing = VSS.deal(2, oneTo(3), random);
    byte[] secret = dealing.secret().toBytes();
    ShareRefresh refresh = ShareRefresh.of(dealing.commitments(), 0, oneTo(3));
    ShareRefresh.ZeroDealing zero = refresh.deal(1, random);
    ShareRefresh.Contribution c = zero.to(2);
    byte[] y = c.share().yBytes();
    byte[] oldY = dealing.shares().get(1).yBytes();
    Verdict wrong = refresh.verify(c, 3);
    NextEpoch next = refresh.apply(dealing.shares().get(1), Set.of(1, 2),
        List.of(c, refresh.deal(2, random).to(2)));
    byte[] newY = next.share().yBytes();
    for (String text : List.of(zero.toString(), c.toString(), wrong.toString(), next.toString())) {
      Secrets.assertNotShown(text, secret, text);
      Secrets.assertNotShown(text, y, text);
      Secrets.assertNotShown(text, oldY, text);
      Secrets.assertNotShown(text, newY, text);
    }
    assertTrue(next.toString().contains("Share[x=2, epoch=1, y=<redacted>]"), next.toString());
  }

  private static void assertMessage(String expectedPart, Executable call) {
    var e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expectedPart),
        "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
