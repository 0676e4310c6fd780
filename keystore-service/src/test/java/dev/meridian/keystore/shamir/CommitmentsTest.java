package dev.meridian.keystore.shamir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The canonical encoding of {@link Commitments}, and everything {@code decode} refuses. */
class CommitmentsTest {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();
  /** The field prime of secp256k1. */
  private static final BigInteger P = new BigInteger(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F", 16);

  private static Commitments commitments(long seed, int t) {
    return VSS.deal(t, IntStream.rangeClosed(1, t + 2).boxed().toList(), SeededRandom.of(seed))
        .commitments();
  }

  @Test
  void encodeDecodeRoundTrips() {
    for (long seed = 0; seed < 50; seed++) {
      int t = 1 + (int) (seed % 9);
      Commitments c = commitments(seed, t);
      byte[] encoded = c.encode();
      assertEquals(1 + 65 * t, encoded.length, "seed=" + seed);
      assertEquals(t, encoded[0], "seed=" + seed);
      Commitments decoded = Commitments.decode(encoded);
      assertEquals(c, decoded, "seed=" + seed);
      assertEquals(c.hashCode(), decoded.hashCode(), "seed=" + seed);
      assertArrayEquals(encoded, decoded.encode(), "seed=" + seed);
      assertEquals(t, decoded.threshold(), "seed=" + seed);
      for (int j = 0; j < t; j++) {
        int prefix = encoded[1 + 65 * j];
        assertEquals(4, prefix, "seed=" + seed + " j=" + j + " prefix " + prefix);
      }
    }
    assertNotEquals(commitments(1, 3), commitments(2, 3));
  }

  @Test
  void encodeReturnsACopy() {
    Commitments c = commitments(1, 2);
    c.encode()[5] ^= 1;
    assertEquals(c, Commitments.decode(c.encode()));
  }

  @Test
  void badLengthsAreRefused() {
    byte[] good = commitments(3, 3).encode();
    assertMessage("commitments encoding is empty", new byte[0]);
    assertMessage("threshold 0", new byte[] {0});
    assertMessage("is 195 bytes; threshold 3 needs 1 + 65*3 = 196", Arrays.copyOf(good, 195));
    assertMessage("is 197 bytes; threshold 3 needs 1 + 65*3 = 196", Arrays.copyOf(good, 197));
    byte[] claimsFour = good.clone();
    claimsFour[0] = 4;
    assertMessage("threshold 4 needs 1 + 65*4 = 261", claimsFour);
  }

  @Test
  void pointsOffTheCurveAreRefusedByIndex() {
    byte[] encoded = commitments(4, 3).encode();
    // Commitment 2 with its y changed: (x, y + 1) does not satisfy y^2 = x^3 + 7.
    byte[] offCurve = encoded.clone();
    int y = 1 + 65 * 2 + 1 + 32;
    BigInteger y2 = new BigInteger(1, Arrays.copyOfRange(offCurve, y, y + 32)).add(BigInteger.ONE)
        .mod(P);
    System.arraycopy(ModQ.toBytes(ModQ.toLimbs(y2)), 0, offCurve, y, 32);
    assertMessage("commitment 2 is not a point on secp256k1", offCurve);

    byte[] notAFieldElement = encoded.clone(); // x = 2^256 - 1 >= p
    Arrays.fill(notAFieldElement, 1 + 65 + 1, 1 + 65 + 33, (byte) 0xFF);
    assertMessage("commitment 1 is not a point on secp256k1", notAFieldElement);

    byte[] compressedPrefix = encoded.clone();
    compressedPrefix[1] = 0x02;
    assertMessage("commitment 0 has prefix 0x02", compressedPrefix);

    byte[] badInfinity = encoded.clone();
    badInfinity[1 + 65] = 0x00;
    assertMessage("commitment 1 starts with 0x00 but is not 65 zero bytes", badInfinity);
  }

  @Test
  void infinityIsSixtyFiveZeroBytesAndDecodes() {
    Dealing refresh = VSS.deal(SecretScalar.zero(), 2, List.of(1, 2, 3), SeededRandom.of(8));
    byte[] encoded = refresh.commitments().encode();
    assertArrayEquals(new byte[65], Arrays.copyOfRange(encoded, 1, 66));
    Commitments decoded = Commitments.decode(encoded);
    assertEquals(refresh.commitments(), decoded);
    assertTrue(VSS.verify(refresh.shares().get(2), decoded));
    byte[] allInfinity = new byte[1 + 65 * 2];
    allInfinity[0] = 2;
    Commitments zeroPolynomial = Commitments.decode(allInfinity);
    assertTrue(VSS.verify(Share.of(5, new byte[32]), zeroPolynomial));
  }

  @Test
  void toStringShowsThresholdAndAPrefix() {
    Commitments c = commitments(9, 4);
    String hex = java.util.HexFormat.of().formatHex(c.encode(), 1, 6);
    assertEquals("Commitments[t=4, C_0=" + hex + "...]", c.toString());
  }

  private static void assertMessage(String expectedPart, byte[] encoded) {
    var e = assertThrows(IllegalArgumentException.class, () -> Commitments.decode(encoded));
    assertTrue(e.getMessage().contains(expectedPart),
        "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
