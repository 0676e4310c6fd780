package dev.meridian.keystore.shamir;

import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.custom.sec.SecP256K1Field;
import org.bouncycastle.math.raw.Nat256;

/**
 * The group: secp256k1 from BouncyCastle's custom (fast) curve implementations, and a
 * constant-time fixed-base multiplication k·G for secret k.
 *
 * <p>k·G uses a fixed window of 4 bits with one precomputed table per window position, so it
 * needs no doublings: k = Σ d_i·16^i (64 digits), and k·G = Σ T[i][d_i] − O with T[i][d] =
 * (d + 1)·16^i·G (never the identity) and O = Σ 16^i·G. Each T[i][d_i] is read by scanning all
 * 16 entries of row i with a mask, and added with the complete mixed-addition formula of Renes,
 * Costello and Batina (2016, algorithm 8, for a = 0): it is correct for every pair of inputs —
 * equal points and the identity included — so no input takes a different path. That makes 65
 * additions (11 multiplications and 12 additions each) and no branch on k, where the comb over
 * BouncyCastle's table that this replaced needed 43 doublings, 43 additions with special cases,
 * and 43 scans of 64 entries.
 *
 * <p>Limits: the field arithmetic is BouncyCastle's {@code SecP256K1Field}, whose reductions
 * branch on carries (rarely, and on intermediate values rather than on k directly), as every
 * BouncyCastle curve operation does; the JIT gives no constant-time guarantee either. The table
 * is 64 KiB (64 rows of 16 affine points), built once, when the class is initialized.
 */
final class Secp256k1 {
  static final ECCurve CURVE;
  static final ECPoint G;

  /** Digits of 4 bits in a 256-bit scalar. */
  private static final int WINDOWS = 64;
  /** Ints per affine point in a table row: x then y, 8 limbs each (little-endian). */
  private static final int POINT_INTS = 16;
  /** ROWS[i]: the 16 points (d + 1)·16^i·G, d = 0 … 15, affine, one after the other. */
  private static final int[][] ROWS = new int[WINDOWS][16 * POINT_INTS];
  /** −O = −Σ 16^i·G, affine: cancels the extra 16^i·G that every row's entries carry. */
  private static final int[] MINUS_OFFSET_X;
  private static final int[] MINUS_OFFSET_Y;

  static {
    X9ECParameters params = CustomNamedCurves.getByName("secp256k1");
    CURVE = params.getCurve();
    G = params.getG().normalize();
    if (!params.getN().equals(ModQ.Q)) {
      throw new IllegalStateException("BouncyCastle's secp256k1 order differs from ModQ.Q");
    }
    ECPoint[] entries = new ECPoint[WINDOWS * 16];
    ECPoint base = G; // 16^i·G
    ECPoint offset = CURVE.getInfinity();
    for (int i = 0; i < WINDOWS; i++) {
      ECPoint multiple = base;
      for (int d = 0; d < 16; d++) {
        entries[i * 16 + d] = multiple; // (d + 1)·base
        multiple = multiple.add(base);
      }
      offset = offset.add(base);
      base = multiple; // 17·base − base = 16·base
      base = base.subtract(entries[i * 16]);
    }
    CURVE.normalizeAll(entries);
    for (int i = 0; i < WINDOWS; i++) {
      for (int d = 0; d < 16; d++) {
        ECPoint e = entries[i * 16 + d];
        System.arraycopy(SecP256K1Field.fromBigInteger(e.getAffineXCoord().toBigInteger()), 0,
            ROWS[i], d * POINT_INTS, 8);
        System.arraycopy(SecP256K1Field.fromBigInteger(e.getAffineYCoord().toBigInteger()), 0,
            ROWS[i], d * POINT_INTS + 8, 8);
      }
    }
    ECPoint minusOffset = offset.negate().normalize();
    MINUS_OFFSET_X = SecP256K1Field.fromBigInteger(minusOffset.getAffineXCoord().toBigInteger());
    MINUS_OFFSET_Y = SecP256K1Field.fromBigInteger(minusOffset.getAffineYCoord().toBigInteger());
  }

  private Secp256k1() {}

  /**
   * k·G for a secret scalar k &lt; q given as 8 little-endian 32-bit limbs (see the class
   * comment). The scalar never becomes a BigInteger; the same operations run, on the same
   * memory, for every k. The result is public (a commitment, or the left side of a share
   * check).
   */
  static ECPoint multiplyBase(int[] k) {
    // The identity in projective coordinates (0 : 1 : 0).
    int[] x = new int[8];
    int[] y = new int[8];
    int[] z = new int[8];
    y[0] = 1;
    Scratch s = new Scratch();
    int[] px = new int[8];
    int[] py = new int[8];
    for (int i = 0; i < WINDOWS; i++) {
      int digit = (k[i >>> 3] >>> ((i & 7) << 2)) & 15;
      select(ROWS[i], digit, px, py);
      addMixed(x, y, z, px, py, s);
    }
    addMixed(x, y, z, MINUS_OFFSET_X, MINUS_OFFSET_Y, s);
    Arrays.fill(px, 0); // a table entry names a digit of k
    Arrays.fill(py, 0);
    if (SecP256K1Field.isZero(z) != 0) {
      return CURVE.getInfinity(); // k = 0: public, since the result is
    }
    int[] zInverse = new int[8];
    SecP256K1Field.inv(z, zInverse);
    SecP256K1Field.multiply(x, zInverse, x);
    SecP256K1Field.multiply(y, zInverse, y);
    return CURVE.createPoint(Nat256.toBigInteger(x), Nat256.toBigInteger(y));
  }

  /** Copies entry {@code digit} of {@code row} into (px, py), reading every entry. */
  private static void select(int[] row, int digit, int[] px, int[] py) {
    Arrays.fill(px, 0);
    Arrays.fill(py, 0);
    for (int d = 0; d < 16; d++) {
      int mask = ((d ^ digit) - 1) >> 31; // all ones iff d == digit (both are 0 … 15)
      int at = d * POINT_INTS;
      for (int j = 0; j < 8; j++) {
        px[j] |= row[at + j] & mask;
        py[j] |= row[at + 8 + j] & mask;
      }
    }
  }

  /**
   * z = 21·a (3b, the constant of the complete formulas for y² = x³ + 7) as 16a + 4a + a: six
   * field additions cost less than one multiplication. z may be a.
   */
  private static void times21(int[] a, int[] z, Scratch s) {
    int[] four = s.four;
    int[] sixteen = s.sixteen;
    SecP256K1Field.twice(a, four);
    SecP256K1Field.twice(four, four);
    SecP256K1Field.twice(four, sixteen);
    SecP256K1Field.twice(sixteen, sixteen);
    SecP256K1Field.add(sixteen, four, sixteen);
    SecP256K1Field.add(sixteen, a, z);
  }

  /** Temporaries of one multiplication. */
  private static final class Scratch {
    final int[] t0 = new int[8];
    final int[] t1 = new int[8];
    final int[] t2 = new int[8];
    final int[] t3 = new int[8];
    final int[] t4 = new int[8];
    final int[] y3 = new int[8];
    final int[] four = new int[8];
    final int[] sixteen = new int[8];
    final int[] wide = new int[16];
  }

  /**
   * (x : y : z) += (px, py), in place: Renes–Costello–Batina algorithm 8 (complete mixed
   * addition for a = 0). Correct for any projective (x : y : z), the identity included, and any
   * affine point (px, py) on the curve.
   */
  private static void addMixed(int[] x, int[] y, int[] z, int[] px, int[] py, Scratch s) {
    int[] t0 = s.t0;
    int[] t1 = s.t1;
    int[] t2 = s.t2;
    int[] t3 = s.t3;
    int[] t4 = s.t4;
    int[] y3 = s.y3;
    int[] w = s.wide;
    SecP256K1Field.multiply(x, px, t0, w); // t0 = X1·X2
    SecP256K1Field.multiply(y, py, t1, w); // t1 = Y1·Y2
    SecP256K1Field.add(px, py, t3); // t3 = X2 + Y2
    SecP256K1Field.add(x, y, t4); // t4 = X1 + Y1
    SecP256K1Field.multiply(t3, t4, t3, w); // t3 = (X2 + Y2)(X1 + Y1)
    SecP256K1Field.add(t0, t1, t4);
    SecP256K1Field.subtract(t3, t4, t3); // t3 = X1·Y2 + X2·Y1
    SecP256K1Field.multiply(py, z, t4, w);
    SecP256K1Field.add(t4, y, t4); // t4 = Y2·Z1 + Y1
    SecP256K1Field.multiply(px, z, y3, w);
    SecP256K1Field.add(y3, x, y3); // Y3 = X2·Z1 + X1
    SecP256K1Field.add(t0, t0, x); // X3 = 2·t0
    SecP256K1Field.add(x, t0, t0); // t0 = 3·X1·X2
    times21(z, t2, s); // t2 = 3b·Z1
    SecP256K1Field.add(t1, t2, z); // Z3 = t1 + t2
    SecP256K1Field.subtract(t1, t2, t1); // t1 = t1 − t2
    times21(y3, y3, s); // Y3 = 3b·Y3
    SecP256K1Field.multiply(t4, y3, x, w); // X3 = t4·Y3
    SecP256K1Field.multiply(t3, t1, t2, w); // t2 = t3·t1
    SecP256K1Field.subtract(t2, x, x); // X3 = t2 − X3
    SecP256K1Field.multiply(y3, t0, y3, w); // Y3 = Y3·t0
    SecP256K1Field.multiply(t1, z, t1, w); // t1 = t1·Z3
    SecP256K1Field.add(t1, y3, y); // Y3 = t1 + Y3
    SecP256K1Field.multiply(t0, t3, t0, w); // t0 = t0·t3
    SecP256K1Field.multiply(z, t4, z, w); // Z3 = Z3·t4
    SecP256K1Field.add(z, t0, z); // Z3 = Z3 + t0
    Arrays.fill(w, 0);
  }

  /**
   * x·p for a public, positive x (an x-coordinate), by double-and-add from the top bit: a few
   * point operations for the small x's of a key-service group.
   */
  static ECPoint multiplySmall(ECPoint p, int x) {
    ECPoint r = p;
    for (int bit = 30 - Integer.numberOfLeadingZeros(x); bit >= 0; bit--) {
      r = ((x >>> bit) & 1) == 1 ? r.twicePlus(p) : r.twice();
    }
    return r;
  }
}
