package dev.meridian.keystore.shamir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.meridian.keystore.testing.SeededRandom;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The constant-time limb arithmetic, checked against a deliberately simple BigInteger one. */
class ModQTest {
  private static final BigInteger Q = ModQ.Q;
  private static final int SEEDS = 200;

  /** Edge values first, then random ones of every bit length. */
  private static List<BigInteger> operands(long seed) {
    List<BigInteger> values = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE,
        BigInteger.TWO, Q.subtract(BigInteger.ONE), Q.subtract(BigInteger.TWO),
        Q.shiftRight(1), BigInteger.ONE.shiftLeft(255), BigInteger.ONE.shiftLeft(32),
        BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE),
        BigInteger.ONE.shiftLeft(256).subtract(Q))); // 2^256 - q
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 30; i++) {
      int bits = 1 + random.nextInt(256);
      byte[] b = new byte[33];
      random.nextBytes(b);
      values.add(new BigInteger(1, b).mod(BigInteger.ONE.shiftLeft(bits)).mod(Q));
    }
    return values;
  }

  @Test
  void mulMontByAMontgomeryConstantIsMultiplicationModQ() {
    for (long seed = 0; seed < SEEDS / 10; seed++) {
      List<BigInteger> values = operands(seed);
      for (BigInteger a : values) {
        for (BigInteger b : values) {
          int[] z = new int[ModQ.LIMBS];
          ModQ.mulMont(ModQ.toLimbs(a), ModQ.montConstant(b), z);
          assertEquals(a.multiply(b).mod(Q), ModQ.toBigInteger(z),
              "seed=" + seed + " a=" + a.toString(16) + " b=" + b.toString(16));
        }
      }
    }
  }

  @Test
  void mulMontIsMontgomeryProduct() {
    BigInteger rInverse = BigInteger.ONE.shiftLeft(256).modInverse(Q);
    for (long seed = 0; seed < SEEDS / 10; seed++) {
      List<BigInteger> values = operands(seed);
      for (BigInteger a : values) {
        for (BigInteger b : values) {
          int[] x = ModQ.toLimbs(a);
          ModQ.mulMont(x, ModQ.toLimbs(b), x); // z aliasing a
          assertEquals(a.multiply(b).multiply(rInverse).mod(Q), ModQ.toBigInteger(x),
              "seed=" + seed + " a=" + a.toString(16) + " b=" + b.toString(16));
        }
      }
    }
  }

  @Test
  void addIsAdditionModQ() {
    for (long seed = 0; seed < SEEDS / 10; seed++) {
      List<BigInteger> values = operands(seed);
      for (BigInteger a : values) {
        for (BigInteger b : values) {
          int[] y = ModQ.toLimbs(b);
          ModQ.add(ModQ.toLimbs(a), y, y); // z aliasing b
          assertEquals(a.add(b).mod(Q), ModQ.toBigInteger(y),
              "seed=" + seed + " a=" + a.toString(16) + " b=" + b.toString(16));
        }
      }
    }
  }

  @Test
  void lessThanQAndByteConversions() {
    assertEquals(1, ModQ.lessThanQ(ModQ.toLimbs(Q.subtract(BigInteger.ONE))));
    assertEquals(0, ModQ.lessThanQ(ModQ.toLimbs(Q)));
    assertEquals(0, ModQ.lessThanQ(ModQ.toLimbs(Q.add(BigInteger.ONE))));
    assertEquals(0, ModQ.lessThanQ(ModQ.toLimbs(BigInteger.ONE.shiftLeft(256)
        .subtract(BigInteger.ONE))));
    for (long seed = 0; seed < SEEDS; seed++) {
      byte[] bytes = new byte[32];
      new SplittableRandom(seed).nextBytes(bytes);
      int[] limbs = new int[ModQ.LIMBS];
      ModQ.fromBytes(bytes, limbs);
      BigInteger value = new BigInteger(1, bytes);
      assertEquals(value, ModQ.toBigInteger(limbs), "seed=" + seed);
      assertArrayEquals(bytes, ModQ.toBytes(limbs), "seed=" + seed);
      assertEquals(value.compareTo(Q) < 0 ? 1 : 0, ModQ.lessThanQ(limbs), "seed=" + seed);
    }
  }

  @Test
  void randomRejectsValuesNotBelowQInsteadOfReducingThem() {
    byte[] q = ModQ.toBytes(ModQ.toLimbs(Q));
    byte[] max = new byte[32];
    java.util.Arrays.fill(max, (byte) 0xFF);
    byte[] seven = new byte[32];
    seven[31] = 7;
    SecureRandom tape = SeededRandom.tape(q, max, seven);
    assertEquals(BigInteger.valueOf(7), ModQ.toBigInteger(ModQ.random(tape)));
    for (long seed = 0; seed < SEEDS; seed++) {
      BigInteger r = ModQ.toBigInteger(ModQ.random(SeededRandom.of(seed)));
      assertEquals(-1, r.compareTo(Q), "seed=" + seed);
    }
  }
}
