package dev.meridian.keystore.shamir;

import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECLookupTable;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointPreCompInfo;
import org.bouncycastle.math.ec.FixedPointUtil;

/**
 * The group: secp256k1 from BouncyCastle's custom (fast) curve implementations, with the
 * base-point comb table computed once.
 */
final class Secp256k1 {
  static final ECCurve CURVE;
  static final ECPoint G;
  /** Bytes of a compressed SEC1 point. */
  static final int POINT_BYTES = 33;

  private static final ECLookupTable COMB_TABLE;
  private static final ECPoint COMB_OFFSET;
  private static final int COMB_TEETH; // bits per table index ("width")
  private static final int COMB_SPACING; // distance between teeth ("d")

  static {
    X9ECParameters params = CustomNamedCurves.getByName("secp256k1");
    CURVE = params.getCurve();
    G = params.getG().normalize();
    BigInteger order = params.getN();
    if (!order.equals(ModQ.Q)) {
      throw new IllegalStateException("BouncyCastle's secp256k1 order differs from ModQ.Q");
    }
    FixedPointPreCompInfo comb = FixedPointUtil.precompute(G);
    COMB_TABLE = comb.getLookupTable();
    COMB_OFFSET = comb.getOffset();
    COMB_TEETH = comb.getWidth();
    int size = FixedPointUtil.getCombSize(CURVE);
    COMB_SPACING = (size + COMB_TEETH - 1) / COMB_TEETH;
  }

  private Secp256k1() {}

  /**
   * k·G for a secret scalar k &lt; q given as limbs, with the fixed-base comb over BouncyCastle's
   * precomputed table for G. The table is BouncyCastle's (entry i = G + the sum of
   * 2^(b·spacing)·G over the set bits b of i, and an offset that cancels the extra G per
   * column); the scalar never becomes a BigInteger, and each column is read with the table's
   * constant-time lookup, which touches every entry. The loop shape is the same for every k.
   */
  static ECPoint multiplyBase(int[] k) {
    int fullComb = COMB_SPACING * COMB_TEETH;
    ECPoint r = CURVE.getInfinity();
    for (int column = 0; column < COMB_SPACING; column++) {
      int index = 0;
      for (int bit = fullComb - 1 - column; bit >= 0; bit -= COMB_SPACING) {
        // Positions past 255 (the comb is padded to a multiple of its width) are zero; which
        // positions those are is public.
        int value = bit < 256 ? (k[bit >>> 5] >>> (bit & 31)) & 1 : 0;
        index = (index << 1) | value;
      }
      r = r.twicePlus(COMB_TABLE.lookup(index));
    }
    return r.add(COMB_OFFSET);
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
