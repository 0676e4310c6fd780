package dev.meridian.keystore.shamir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import java.math.BigInteger;
import java.util.List;
import java.util.SplittableRandom;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/** Our fixed-base multiplication, against BouncyCastle's plain multiplication. */
class Secp256k1Test {
  private static final BigInteger Q = ModQ.Q;

  @Test
  void multiplyBaseEqualsReferenceMultiplication() {
    for (BigInteger k : List.of(BigInteger.ONE, BigInteger.TWO, Q.subtract(BigInteger.ONE),
        Q.subtract(BigInteger.TWO), BigInteger.ONE.shiftLeft(255),
        BigInteger.ONE.shiftLeft(256).subtract(Q))) {
      assertEquals(ECAlgorithms.referenceMultiply(Secp256k1.G, k).normalize(),
          Secp256k1.multiplyBase(ModQ.toLimbs(k)).normalize(), "k=" + k.toString(16));
    }
    // Digit patterns where the running sum meets the next table entry (with the offset, 15
    // then 0 gives 16·G + 16·G: a doubling) or its negation: the cases a complete formula must
    // get right and an incomplete one would need a branch for.
    for (int i = 1; i < 64; i++) {
      BigInteger ones = BigInteger.ONE.shiftLeft(4 * i).subtract(BigInteger.ONE); // i digits of 15
      for (BigInteger k : List.of(ones, BigInteger.valueOf(15).shiftLeft(4 * (i - 1)),
          ones.shiftLeft(4).mod(Q), Q.subtract(ones))) {
        assertEquals(ECAlgorithms.referenceMultiply(Secp256k1.G, k).normalize(),
            Secp256k1.multiplyBase(ModQ.toLimbs(k)).normalize(), "k=" + k.toString(16));
      }
    }
    for (long seed = 0; seed < 300; seed++) {
      BigInteger k = ModQ.toBigInteger(ModQ.random(SeededRandom.of(seed)));
      assertEquals(Secp256k1.G.multiply(k).normalize(),
          Secp256k1.multiplyBase(ModQ.toLimbs(k)).normalize(), "seed=" + seed);
    }
  }

  @Test
  void multiplyBaseOfZeroIsInfinity() {
    assertTrue(Secp256k1.multiplyBase(new int[ModQ.LIMBS]).isInfinity());
  }

  @Test
  void multiplySmallEqualsMultiplication() {
    SplittableRandom random = new SplittableRandom(5);
    ECPoint p = Secp256k1.G.multiply(BigInteger.valueOf(123456789));
    for (int i = 0; i < 200; i++) {
      int x = i < 40 ? i + 1 : random.nextInt(1, Integer.MAX_VALUE);
      assertEquals(p.multiply(BigInteger.valueOf(x)).normalize(),
          Secp256k1.multiplySmall(p, x).normalize(), "x=" + x);
    }
    assertEquals(p.multiply(BigInteger.valueOf(Integer.MAX_VALUE)).normalize(),
        Secp256k1.multiplySmall(p, Integer.MAX_VALUE).normalize());
    assertTrue(Secp256k1.multiplySmall(Secp256k1.CURVE.getInfinity(), 9).isInfinity());
  }
}
