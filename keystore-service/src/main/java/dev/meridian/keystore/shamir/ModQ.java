package dev.meridian.keystore.shamir;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Arithmetic modulo q, the order of secp256k1, on secret values: fixed-width 256-bit numbers as
 * eight 32-bit limbs, least significant first, in constant time.
 *
 * <h2>The constant-time approach</h2>
 * Every secret value — a polynomial coefficient, a share's y, the secret — lives in an {@code
 * int[8]}. The operations below run the same instructions on the same memory addresses whatever
 * the limbs hold: loops have fixed trip counts, carries travel as numbers, and the final
 * "subtract q if the result is too big" of an addition or a Montgomery multiplication computes
 * both candidates and picks one with an all-ones or all-zeros mask instead of a branch. Only
 * public values (x-coordinates, and Lagrange coefficients, which depend on x-coordinates alone)
 * go through {@link BigInteger}, whose running time depends on its operands.
 *
 * <p>Multiplication is Montgomery's (CIOS, coarsely integrated operand scanning):
 * {@code mulMont(a, b) = a·b·2^-256 mod q}. Secrets are kept in ordinary form; every product
 * here is a secret times a public constant c, which is prepared as {@code c·2^256 mod q} by
 * {@link #montConstant}, so {@code mulMont(secret, montConstant(c)) = secret·c mod q}.
 *
 * <h2>Its limits on the JVM</h2>
 * The JIT compiles this bytecode as it sees fit; HotSpot does not turn mask selection back into
 * branches today, and 64-bit multiplication is constant time on the CPUs Meridian runs on, but
 * nothing in the language promises either. The garbage collector copies arrays when it moves
 * them, so zeroing an array ({@link Arrays#fill}) erases the copy we still hold, not the ones the
 * collector left behind; the same holds for the byte arrays handed to and from callers. Elliptic
 * curve points are BouncyCastle's: its fixed-base comb does constant-time table lookups, but its
 * field arithmetic has data-dependent final reductions — the same level BouncyCastle's own ECDSA
 * signing accepts. This removes the gross leaks (BigInteger's length-dependent loops and early
 * exits on secrets), not every conceivable side channel.
 */
final class ModQ {
  /** The order of the secp256k1 base point. */
  static final BigInteger Q = new BigInteger(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);
  static final int LIMBS = 8;
  static final int BYTES = 32;

  private static final long M = 0xFFFFFFFFL;
  private static final int[] Q_LIMBS = toLimbs(Q);
  /** -q^-1 mod 2^32, the Montgomery reduction factor. */
  private static final int Q_NEG_INV =
      Q.negate().modInverse(BigInteger.ONE.shiftLeft(32)).intValue();
  private static final BigInteger R_MOD_Q = BigInteger.ONE.shiftLeft(256).mod(Q);

  private ModQ() {}

  /** z = a·b·2^-256 mod q, for a, b &lt; q. z may be a or b. Constant time. */
  static void mulMont(int[] a, int[] b, int[] z) {
    int[] t = new int[LIMBS];
    int[] d = new int[LIMBS];
    int top = 0; // t[8]
    for (int i = 0; i < LIMBS; i++) {
      long bi = b[i] & M;
      long carry = 0;
      for (int j = 0; j < LIMBS; j++) {
        // At most (2^32-1) + (2^32-1)^2 + (2^32-1) = 2^64-1: fits unsigned in a long.
        long s = (t[j] & M) + (a[j] & M) * bi + carry;
        t[j] = (int) s;
        carry = s >>> 32;
      }
      long s = (top & M) + carry;
      top = (int) s;
      int over = (int) (s >>> 32); // t[9], 0 or 1
      long m = (t[0] * Q_NEG_INV) & M; // makes t + m·q divisible by 2^32
      s = (t[0] & M) + m * (Q_LIMBS[0] & M);
      carry = s >>> 32;
      for (int j = 1; j < LIMBS; j++) {
        s = (t[j] & M) + m * (Q_LIMBS[j] & M) + carry;
        t[j - 1] = (int) s;
        carry = s >>> 32;
      }
      s = (top & M) + carry;
      t[LIMBS - 1] = (int) s;
      top = over + (int) (s >>> 32);
    }
    // top:t < 2q. Subtract q if top == 1 or t >= q (no borrow), selecting by mask.
    int borrow = sub(t, Q_LIMBS, d);
    select(top | (borrow ^ 1), d, t, z);
    Arrays.fill(t, 0);
    Arrays.fill(d, 0);
  }

  /** z = a + b mod q, for a, b &lt; q. z may be a or b. Constant time. */
  static void add(int[] a, int[] b, int[] z) {
    int[] s = new int[LIMBS];
    int[] d = new int[LIMBS];
    long carry = 0;
    for (int j = 0; j < LIMBS; j++) {
      carry += (a[j] & M) + (b[j] & M);
      s[j] = (int) carry;
      carry >>>= 32;
    }
    int borrow = sub(s, Q_LIMBS, d);
    select((int) carry | (borrow ^ 1), d, s, z);
    Arrays.fill(s, 0);
    Arrays.fill(d, 0);
  }

  /** 1 if a &lt; q, else 0, in constant time. */
  static int lessThanQ(int[] a) {
    int[] d = new int[LIMBS];
    int borrow = sub(a, Q_LIMBS, d);
    Arrays.fill(d, 0);
    return borrow;
  }

  /** Whether a and b hold the same limbs; time independent of where they differ. */
  static boolean equal(int[] a, int[] b) {
    int diff = 0;
    for (int j = 0; j < LIMBS; j++) {
      diff |= a[j] ^ b[j];
    }
    return diff == 0;
  }

  /** z = x - y mod 2^256; returns the borrow, 0 or 1. Constant time. */
  private static int sub(int[] x, int[] y, int[] z) {
    long acc = 0;
    for (int j = 0; j < LIMBS; j++) {
      acc += (x[j] & M) - (y[j] & M);
      z[j] = (int) acc;
      acc >>= 32; // 0 or -1
    }
    return (int) -acc;
  }

  /** z = bit == 1 ? ifOne : ifZero, by mask; bit must be 0 or 1. */
  private static void select(int bit, int[] ifOne, int[] ifZero, int[] z) {
    int mask = -bit;
    for (int j = 0; j < LIMBS; j++) {
      z[j] = (ifOne[j] & mask) | (ifZero[j] & ~mask);
    }
  }

  /**
   * A uniformly random scalar in [0, q): 32 bytes from {@code random}, drawn again while not less
   * than q (probability about 2^-128 each), never reduced mod q (that would bias it).
   */
  static int[] random(SecureRandom random) {
    byte[] bytes = new byte[BYTES];
    int[] z = new int[LIMBS];
    try {
      while (true) {
        random.nextBytes(bytes);
        fromBytes(bytes, z);
        if (lessThanQ(z) == 1) {
          return z;
        }
      }
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** Reads 32 big-endian bytes into limbs (no range check). */
  static void fromBytes(byte[] b, int[] z) {
    for (int j = 0; j < LIMBS; j++) {
      int o = BYTES - 4 - 4 * j;
      z[j] = (b[o] & 0xFF) << 24 | (b[o + 1] & 0xFF) << 16 | (b[o + 2] & 0xFF) << 8
          | (b[o + 3] & 0xFF);
    }
  }

  /** 32 big-endian bytes of the limbs. */
  static byte[] toBytes(int[] a) {
    byte[] b = new byte[BYTES];
    for (int j = 0; j < LIMBS; j++) {
      int o = BYTES - 4 - 4 * j;
      b[o] = (byte) (a[j] >>> 24);
      b[o + 1] = (byte) (a[j] >>> 16);
      b[o + 2] = (byte) (a[j] >>> 8);
      b[o + 3] = (byte) a[j];
    }
    return b;
  }

  /** Limbs of a public value in [0, 2^256). Variable time: never for secrets. */
  static int[] toLimbs(BigInteger publicValue) {
    if (publicValue.signum() < 0 || publicValue.bitLength() > 256) {
      throw new IllegalArgumentException("not a 256-bit unsigned value");
    }
    int[] z = new int[LIMBS];
    for (int j = 0; j < LIMBS; j++) {
      z[j] = publicValue.shiftRight(32 * j).intValue();
    }
    return z;
  }

  /** The value of limbs as a BigInteger. Variable time: for public values and tests only. */
  static BigInteger toBigInteger(int[] a) {
    return new BigInteger(1, toBytes(a));
  }

  /** c·2^256 mod q for a public c, the form {@link #mulMont} multiplies by c in. */
  static int[] montConstant(BigInteger publicC) {
    return toLimbs(publicC.mod(Q).multiply(R_MOD_Q).mod(Q));
  }
}
