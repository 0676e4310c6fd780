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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Properties of {@link FeldmanVss}, each over many seeded cases; a failure names its seed, and
 * {@code SeededRandom.of(seed)} replays it.
 */
class FeldmanVssTest {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();
  private static final BigInteger Q = VSS.order();


  /** Calls {@code action} with every k-subset of {@code items}, in lexicographic order. */

  private static int binomial(int n, int k) {
    long b = 1;
    for (int i = 0; i < k; i++) {
      b = b * (n - i) / (i + 1);
    }
    return (int) b;
  }

  @Test
  void everyThresholdSubsetReconstructsTheSecret() {
    int[][] groups = {{9, 5}, {5, 3}, {4, 4}, {3, 1}, {7, 2}};
    for (int[] group : groups) {
      int n = group[0];
      int t = group[1];
      for (long seed = 0; seed < 12; seed++) {
        String at = "n=" + n + " t=" + t + " seed=" + seed;
        Dealing dealing = VSS.deal(t, oneTo(n), SeededRandom.of(seed));
        int[] count = {0};
        forEachSubset(dealing.shares(), t, subset -> {
          List<Share> shuffled = new ArrayList<>(subset);
          Collections.shuffle(shuffled, new Random(count[0]));
          assertEquals(dealing.secret(), VSS.reconstruct(shuffled, t), at + " subset=" + subset);
          count[0]++;
        });
        assertEquals(binomial(n, t), count[0], at);
      }
    }
  }

  @Test
  void randomGroupsAndXsDealVerifyReconstructAndInterpolate() {
    for (long seed = 0; seed < 150; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      int n = random.nextInt(1, 13);
      int t = random.nextInt(1, n + 1);
      // Distinct x's, sometimes large ones: x only has to be >= 1.
      List<Integer> xs = new ArrayList<>();
      while (xs.size() < n) {
        int x = random.nextBoolean() ? random.nextInt(1, 20) : random.nextInt(1, Integer.MAX_VALUE);
        if (!xs.contains(x)) {
          xs.add(x);
        }
      }
      String at = "seed=" + seed + " n=" + n + " t=" + t + " xs=" + xs;
      Dealing dealing = VSS.deal(t, xs, SeededRandom.of(seed));
      assertEquals(t, dealing.commitments().threshold(), at);
      assertEquals(xs, dealing.shares().stream().map(Share::x).toList(), at);
      for (Share share : dealing.shares()) {
        assertTrue(VSS.verify(share, dealing.commitments()), at + " x=" + share.x());
      }
      List<Share> shuffled = new ArrayList<>(dealing.shares());
      Collections.shuffle(shuffled, new Random(seed));
      assertEquals(dealing.secret(), VSS.reconstruct(shuffled, t), at);
      // Any missing share comes back exactly from t others.
      for (Share missing : dealing.shares()) {
        List<Share> others = new ArrayList<>(shuffled);
        others.remove(missing);
        if (others.size() >= t) {
          Share again = VSS.interpolate(others, t, missing.x());
          assertEquals(missing, again, at + " x=" + missing.x());
          assertTrue(VSS.verify(again, dealing.commitments()), at + " x=" + missing.x());
        }
      }
      // A share at a new x lies on the same polynomial: it verifies, and replaces any other.
      int fresh = 1;
      while (xs.contains(fresh)) {
        fresh++;
      }
      Share extra = VSS.interpolate(shuffled, t, fresh);
      assertTrue(VSS.verify(extra, dealing.commitments()), at + " fresh x=" + fresh);
      List<Share> withExtra = new ArrayList<>(shuffled.subList(0, t - 1));
      withExtra.add(extra);
      assertEquals(dealing.secret(), VSS.reconstruct(withExtra, t), at + " with fresh x");
    }
  }

  @Test
  void interpolateAtAShareOwnXGivesThatShare() {
    Dealing dealing = VSS.deal(3, oneTo(5), SeededRandom.of(3));
    assertEquals(dealing.shares().get(1), VSS.interpolate(dealing.shares(), 3, 2));
  }

  @Test
  void reconstructUsesTheFirstThresholdSharesOnly() {
    for (long seed = 0; seed < 20; seed++) {
      Dealing dealing = VSS.deal(3, oneTo(6), SeededRandom.of(seed));
      List<Share> shares = new ArrayList<>(dealing.shares().subList(0, 3));
      shares.add(Share.of(4, new byte[32])); // wrong, but past the threshold
      assertEquals(dealing.secret(), VSS.reconstruct(shares, 3), "seed=" + seed);
    }
  }

  @Test
  void dealingIsAFunctionOfSecretAndRandomness() {
    SecretScalar secret = SecretScalar.random(SeededRandom.of(77));
    Dealing a = VSS.deal(secret, 4, oneTo(7), SeededRandom.of(78));
    Dealing b = VSS.deal(secret, 4, oneTo(7), SeededRandom.of(78));
    assertEquals(a, b);
    assertEquals(secret, a.secret());
    secret.destroy();
    assertFalse(a.secret().isDestroyed(), "the dealing holds its own copy of the secret");
    assertNotEquals(a.commitments(), VSS.deal(4, oneTo(7), SeededRandom.of(79)).commitments());
  }

  @Test
  void everyFlippedBitOfYAndEveryWrongXFailVerification() {
    for (long seed = 0; seed < 3; seed++) {
      Dealing dealing = VSS.deal(5, oneTo(9), SeededRandom.of(seed));
      for (Share share : dealing.shares()) {
        byte[] y = share.yBytes();
        for (int bit = 0; bit < 256; bit++) {
          byte[] flipped = y.clone();
          flipped[31 - bit / 8] ^= (byte) (1 << (bit % 8));
          String at = "seed=" + seed + " x=" + share.x() + " bit=" + bit;
          Share bad;
          try {
            bad = Share.of(share.x(), flipped);
          } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("not less than"), at + ": " + e.getMessage());
            continue; // y >= q: refused before it could be verified
          }
          assertFalse(VSS.verify(bad, dealing.commitments()), at);
        }
        for (int x = 1; x <= 12; x++) {
          if (x != share.x()) {
            assertFalse(VSS.verify(Share.of(x, y), dealing.commitments()),
                "seed=" + seed + " share of x=" + share.x() + " claimed for x=" + x);
          }
        }
      }
    }
  }

  @Test
  void sharesVerifyAgainstTheirOwnDealingsCommitmentsOnly() {
    for (long seed = 0; seed < 30; seed++) {
      Dealing mine = VSS.deal(5, oneTo(9), SeededRandom.of(seed));
      Dealing other = VSS.deal(5, oneTo(9), SeededRandom.of(seed + 1000));
      Dealing sameSecret = VSS.deal(mine.secret(), 5, oneTo(9), SeededRandom.of(seed + 2000));
      Dealing lowerThreshold = VSS.deal(mine.secret(), 4, oneTo(9), SeededRandom.of(seed + 3000));
      for (Share share : mine.shares()) {
        String at = "seed=" + seed + " x=" + share.x();
        assertTrue(VSS.verify(share, mine.commitments()), at);
        assertFalse(VSS.verify(share, other.commitments()), at + " other dealing");
        assertFalse(VSS.verify(share, sameSecret.commitments()), at + " same secret, other f");
        assertFalse(VSS.verify(share, lowerThreshold.commitments()), at + " other threshold");
      }
    }
  }

  /**
   * t-1 shares reveal nothing: for any t-1 shares of a dealing of s and ANY other secret s',
   * there is a dealing of s' — we construct it, by giving the dealer the coefficients of the
   * polynomial through (0, s') and those t-1 points as its random bytes — whose shares at those
   * t-1 x-coordinates are the very same. Since that polynomial is unique, every secret is
   * explained by exactly one choice of coefficients: the t-1 shares are equally likely under
   * every secret.
   */
  @Test
  void thresholdMinusOneSharesAreConsistentWithEverySecret() {
    for (long seed = 0; seed < 40; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      int n = random.nextInt(2, 10);
      int t = random.nextInt(2, n + 1);
      List<Integer> xs = oneTo(n);
      Dealing dealing = VSS.deal(t, xs, SeededRandom.of(seed));
      List<Share> seen = dealing.shares().subList(0, t - 1); // what t-1 colluders hold
      List<BigInteger> candidates = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE,
          Q.subtract(BigInteger.ONE)));
      for (int i = 0; i < 5; i++) {
        candidates.add(ModQ.toBigInteger(ModQ.random(SeededRandom.of(seed * 100 + i))));
      }
      for (BigInteger candidate : candidates) {
        String at = "seed=" + seed + " n=" + n + " t=" + t + " candidate=" + candidate;
        BigInteger[] g = polynomialThrough(candidate, seen);
        byte[][] tape = new byte[t - 1][];
        for (int j = 1; j < t; j++) {
          tape[j - 1] = toBytes32(g[j]);
        }
        SecretScalar other = SecretScalar.fromBytes(toBytes32(candidate));
        Dealing alternative = VSS.deal(other, t, xs, SeededRandom.tape(tape));
        assertEquals(seen, alternative.shares().subList(0, t - 1), at);
        assertEquals(other, alternative.secret(), at);
        assertEquals(other, VSS.reconstruct(alternative.shares(), t), at);
        for (Share share : alternative.shares()) {
          assertTrue(VSS.verify(share, alternative.commitments()), at + " x=" + share.x());
        }
      }
    }
  }

  /**
   * Coefficients of the polynomial of degree &lt; points + 1 through (0, s) and the points, by
   * Lagrange's formula on BigInteger polynomials: a deliberately plain reference.
   */
  private static BigInteger[] polynomialThrough(BigInteger s, List<Share> points) {
    List<BigInteger> xs = new ArrayList<>(List.of(BigInteger.ZERO));
    List<BigInteger> ys = new ArrayList<>(List.of(s));
    for (Share p : points) {
      xs.add(BigInteger.valueOf(p.x()));
      ys.add(new BigInteger(1, p.yBytes()));
    }
    int k = xs.size();
    BigInteger[] result = new BigInteger[k];
    Arrays.fill(result, BigInteger.ZERO);
    for (int i = 0; i < k; i++) {
      BigInteger[] basis = {BigInteger.ONE}; // the polynomial prod_{j != i} (x - x_j)
      BigInteger denominator = BigInteger.ONE;
      for (int j = 0; j < k; j++) {
        if (j != i) {
          BigInteger[] next = new BigInteger[basis.length + 1];
          Arrays.fill(next, BigInteger.ZERO);
          for (int d = 0; d < basis.length; d++) {
            next[d + 1] = next[d + 1].add(basis[d]);
            next[d] = next[d].subtract(basis[d].multiply(xs.get(j)));
          }
          basis = next;
          denominator = denominator.multiply(xs.get(i).subtract(xs.get(j)));
        }
      }
      BigInteger scale = ys.get(i).multiply(denominator.modInverse(Q));
      for (int d = 0; d < k; d++) {
        result[d] = result[d].add(basis[d].multiply(scale)).mod(Q);
      }
    }
    return result;
  }

  private static byte[] toBytes32(BigInteger v) {
    return ModQ.toBytes(ModQ.toLimbs(v));
  }

  @Test
  void zeroSecretDealingCommitsToInfinityAndStillVerifies() {
    for (long seed = 0; seed < 10; seed++) {
      Dealing refresh = VSS.deal(SecretScalar.zero(), 3, oneTo(5), SeededRandom.of(seed));
      byte[] encoded = refresh.commitments().encode();
      assertTrue(Arrays.equals(new byte[65], Arrays.copyOfRange(encoded, 1, 66)), "seed=" + seed);
      Commitments decoded = Commitments.decode(encoded);
      assertEquals(refresh.commitments(), decoded, "seed=" + seed);
      for (Share share : refresh.shares()) {
        assertTrue(VSS.verify(share, decoded), "seed=" + seed + " x=" + share.x());
      }
      assertEquals(SecretScalar.zero(), VSS.reconstruct(refresh.shares(), 3), "seed=" + seed);
    }
  }

  @Test
  void badArgumentsAreRefusedWithAMessageNamingTheProblem() {
    SecureRandom random = SeededRandom.of(1);
    assertMessage("duplicate x-coordinate 3 at positions 1 and 3",
        () -> VSS.deal(2, List.of(1, 3, 4, 3), random));
    assertMessage("x-coordinate 0 at position 1",
        () -> VSS.deal(2, List.of(1, 0, 4), random));
    assertMessage("x-coordinate -2 at position 2 out of range",
        () -> VSS.deal(2, List.of(1, 3, -2), random));
    assertMessage("x-coordinate at position 1 is null",
        () -> VSS.deal(2, Arrays.asList(1, null, 4), random));
    assertMessage("threshold must be >= 1, got 0", () -> VSS.deal(0, oneTo(3), random));
    assertMessage("threshold 4 exceeds the number of x-coordinates (3)",
        () -> VSS.deal(4, oneTo(3), random));
    assertMessage("threshold 256 exceeds 255", () -> VSS.deal(256, oneTo(300), random));

    Dealing dealing = VSS.deal(3, oneTo(5), random);
    List<Share> s = dealing.shares();
    assertMessage("too few shares to reconstruct the secret: threshold 3 needs 3, got 2",
        () -> VSS.reconstruct(s.subList(0, 2), 3));
    assertMessage("duplicate x-coordinate 2 at positions 1 and 2",
        () -> VSS.reconstruct(List.of(s.get(0), s.get(1), s.get(1)), 3));
    assertMessage("duplicate x-coordinate 1 at positions 0 and 3",
        () -> VSS.reconstruct(List.of(s.get(0), s.get(1), s.get(2), s.get(0)), 3));
    assertMessage("threshold must be >= 1, got 0", () -> VSS.reconstruct(s, 0));
    assertMessage("too few shares to interpolate a share: threshold 3 needs 3, got 1",
        () -> VSS.interpolate(s.subList(0, 1), 3, 4));
    assertMessage("cannot interpolate a share at x=0", () -> VSS.interpolate(s, 3, 0));
    assertMessage("x-coordinate -1 out of range", () -> VSS.interpolate(s, 3, -1));
    assertMessage("share x-coordinate must be >= 1, got 0", () -> Share.of(0, new byte[32]));
    assertMessage("share y for x=2 must be 32 bytes, got 31", () -> Share.of(2, new byte[31]));
    assertMessage("secret scalar must be 32 bytes, got 33",
        () -> SecretScalar.fromBytes(new byte[33]));
  }

  @Test
  void valuesNotBelowQAreRefusedWithoutShowingThem() {
    byte[] q = toBytes32(Q);
    var share = assertThrows(IllegalArgumentException.class, () -> Share.of(3, q));
    assertEquals("share y for x=3 is not less than the secp256k1 group order q",
        share.getMessage());
    var secret = assertThrows(IllegalArgumentException.class, () -> SecretScalar.fromBytes(q));
    assertEquals("secret scalar is not less than the secp256k1 group order q",
        secret.getMessage());
    Share.of(3, toBytes32(Q.subtract(BigInteger.ONE)));
  }

  @Test
  void destroyedSecretsAreZeroedAndRefused() {
    Dealing dealing = VSS.deal(2, oneTo(3), SeededRandom.of(5));
    Share share = dealing.shares().get(0);
    Commitments commitments = dealing.commitments();
    dealing.destroy();
    assertTrue(dealing.isDestroyed());
    assertTrue(share.isDestroyed());
    assertEquals("Share[x=1, epoch=0, y=<destroyed>]", share.toString());
    assertEquals(share, Share.of(1, new byte[32]), "y was zeroed");
    assertThrows(IllegalStateException.class, share::yBytes);
    assertThrows(IllegalStateException.class, () -> VSS.verify(share, commitments));
    assertThrows(IllegalStateException.class, () -> VSS.reconstruct(dealing.shares(), 2));
    assertThrows(IllegalStateException.class, () -> dealing.secret().dataKey());
    assertEquals(SecretScalar.zero(), dealing.secret(), "secret was zeroed");
  }

  @Test
  void sharesOfDifferentEpochsAreNotCombined() {
    Dealing dealing = VSS.deal(3, oneTo(5), SeededRandom.of(7));
    List<Share> s = dealing.shares();
    Share relabelled = Share.of(4, s.get(3).yBytes(), 1);
    List<Share> mixed = List.of(s.get(0), s.get(1), relabelled);
    var e = assertThrows(IllegalArgumentException.class, () -> VSS.reconstruct(mixed, 3));
    assertEquals("cannot reconstruct the secret from shares of different epochs: share x=1"
        + " (position 0) is of epoch 0, share x=4 (position 2) of epoch 1; a refresh between the"
        + " epochs put them on different polynomials", e.getMessage());
    assertMessage("cannot interpolate a share from shares of different epochs: share x=1"
        + " (position 0) is of epoch 0, share x=4 (position 2) of epoch 1",
        () -> VSS.interpolate(mixed, 3, 5));
    assertMessage("share x=1 (position 0) is of epoch 0, share x=4 (position 3) of epoch 1",
        () -> VSS.reconstruct(List.of(s.get(0), s.get(1), s.get(2), relabelled), 3));
    Secrets.assertNotShown(e.getMessage(), s.get(0).yBytes(), "epoch message");
    Secrets.assertNotShown(e.getMessage(), relabelled.yBytes(), "epoch message");
  }

  @Test
  void sharesOfOneLaterEpochCombineAndInterpolateKeepsTheEpoch() {
    Dealing dealing = VSS.deal(3, oneTo(5), SeededRandom.of(8));
    List<Share> later = dealing.shares().stream()
        .map(share -> Share.of(share.x(), share.yBytes(), 4)).toList();
    assertEquals(dealing.secret(), VSS.reconstruct(later.subList(1, 4), 3));
    Share fifth = VSS.interpolate(later.subList(0, 3), 3, 5);
    assertEquals(4, fifth.epoch());
    assertEquals(later.get(4), fifth);
    assertNotEquals(dealing.shares().get(4), fifth, "same x and y, other epoch: not equal");
    assertEquals(0, dealing.shares().get(4).epoch(), "dealt shares are of epoch 0");
    assertEquals("Share[x=5, epoch=4, y=<redacted>]", fifth.toString());
    assertMessage("share epoch must be >= 0, got -1 (x=2)", () -> Share.of(2, new byte[32], -1));
  }

  @Test
  void dataKeyIsSha256OfLabelAndScalar() {
    SecretScalar s = SecretScalar.random(SeededRandom.of(6));
    byte[] expected = dev.meridian.keystore.crypto.Hashes.sha256(
        "meridian-data-key-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        s.toBytes());
    assertTrue(Arrays.equals(expected, s.dataKey()));
  }

  private static void assertMessage(String expectedPart, Executable call) {
    var e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expectedPart),
        "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
