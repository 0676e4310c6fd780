package dev.meridian.keystore.shamir;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Feldman commitments to a dealer's polynomial f(x) = a_0 + a_1·x + … + a_(t-1)·x^(t-1): the
 * points {@code C_j = a_j·G} on secp256k1, j = 0 … t-1. Public data: anyone may hold them, and
 * {@code C_0 = s·G} reveals nothing useful about a uniformly random secret s beyond what the
 * discrete-logarithm problem protects.
 *
 * <p>Encoding ({@link #encode()}, canonical: one value has one encoding): one byte t (1 … 255),
 * then t points, each 65 bytes — uncompressed SEC1 ({@code 0x04}, x, y), or 65 zero bytes for the
 * point at infinity, which is the commitment to a zero coefficient (the C_0 of a zero-secret
 * refresh dealing). Uncompressed because every server decodes the commitments of every write:
 * checking y² = x³ + 7 costs two field multiplications, recovering y from a compressed x a
 * square root (a 256-bit exponentiation), which was a tenth of a write's CPU. (secp256k1 has
 * cofactor 1: a point on the curve is in the group.)
 *
 * <p>Guarantee: every {@code Commitments} holds exactly t valid points of secp256k1 (or
 * infinity). Failure model: {@link #decode} refuses anything else with an {@link
 * IllegalArgumentException} naming the problem and the commitment's index j (as in C_j,
 * counting from 0). Immutable; equal when the encodings are equal.
 */
public final class Commitments {
  /** The largest threshold the one-byte encoding allows. */
  public static final int MAX_THRESHOLD = 255;
  /** Bytes per encoded point. */
  public static final int POINT_BYTES = 65;

  private final ECPoint[] points; // normalized (affine) or infinity
  private final byte[] encoded;

  private Commitments(ECPoint[] points, byte[] encoded) {
    this.points = points;
    this.encoded = encoded;
  }

  /** Commitments over points the caller computed; normalizes them (one field inversion). */
  static Commitments of(ECPoint[] points) {
    ECPoint[] normalized = points.clone();
    Secp256k1.CURVE.normalizeAll(normalized);
    byte[] encoded = new byte[1 + POINT_BYTES * normalized.length];
    encoded[0] = (byte) normalized.length;
    for (int j = 0; j < normalized.length; j++) {
      if (!normalized[j].isInfinity()) {
        byte[] point = normalized[j].getEncoded(false);
        System.arraycopy(point, 0, encoded, 1 + POINT_BYTES * j, point.length);
      }
    }
    return new Commitments(normalized, encoded);
  }

  /**
   * Parses and validates an encoding made by {@link #encode()}.
   *
   * @throws IllegalArgumentException naming the problem: empty, a threshold of 0, a length that
   *     does not match the threshold, or commitment j with a bad prefix, an x-coordinate that is
   *     not a field element, or not a point on secp256k1
   */
  public static Commitments decode(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded commitments");
    if (encoded.length == 0) {
      throw new IllegalArgumentException("commitments encoding is empty");
    }
    int t = encoded[0] & 0xFF;
    if (t == 0) {
      throw new IllegalArgumentException("commitments encoding has threshold 0; must be 1.."
          + MAX_THRESHOLD);
    }
    int expected = 1 + POINT_BYTES * t;
    if (encoded.length != expected) {
      throw new IllegalArgumentException("commitments encoding is " + encoded.length
          + " bytes; threshold " + t + " needs 1 + 65*" + t + " = " + expected);
    }
    ECPoint[] points = new ECPoint[t];
    for (int j = 0; j < t; j++) {
      int offset = 1 + POINT_BYTES * j;
      byte[] point = Arrays.copyOfRange(encoded, offset, offset + POINT_BYTES);
      points[j] = decodePoint(j, point);
    }
    return new Commitments(points, encoded.clone());
  }

  private static ECPoint decodePoint(int j, byte[] point) {
    int prefix = point[0] & 0xFF;
    if (prefix == 0) {
      for (byte b : point) {
        if (b != 0) {
          throw new IllegalArgumentException("commitment " + j + " starts with 0x00 but is not"
              + " 65 zero bytes (the encoding of the point at infinity)");
        }
      }
      return Secp256k1.CURVE.getInfinity();
    }
    if (prefix != 0x04) {
      throw new IllegalArgumentException(String.format("commitment %d has prefix 0x%02x;"
          + " expected 0x04 (uncompressed point) or 65 zero bytes (infinity)", j, prefix));
    }
    try {
      return Secp256k1.CURVE.decodePoint(point).normalize();
    } catch (IllegalArgumentException | ArithmeticException e) {
      // BouncyCastle refuses coordinates >= p ("invalid for field") and points off the curve.
      throw new IllegalArgumentException("commitment " + j + " is not a point on secp256k1", e);
    }
  }

  /** The number of commitments, which is the threshold t of the dealing. */
  public int threshold() {
    return points.length;
  }

  /** A copy of the canonical encoding: 1 + 65·t bytes. */
  public byte[] encode() {
    return encoded.clone();
  }

  /**
   * Σ_j x^j·C_j by Horner's rule with the small public x: the commitment f(x)·G to the value of
   * the committed polynomial at x (at a share's x, what the share's y·G must equal).
   */
  ECPoint evaluate(int x) {
    int t = points.length;
    ECPoint value = points[t - 1];
    for (int j = t - 2; j >= 0; j--) {
      value = Secp256k1.multiplySmall(value, x).add(points[j]);
    }
    return value;
  }

  /**
   * Whether {@code other} commits to the same secret with the same threshold: equal C_0 = s·G
   * and as many points. A share refresh keeps C_0 and moves the other points, so t shares that
   * verify against either vector interpolate to the same secret (C_0 fixes s: interpolating t
   * points of a committed polynomial at 0 gives the value whose multiple of G is C_0).
   */
  public boolean sharesSecretWith(Commitments other) {
    return other.points.length == points.length && commitsToSecretOf(other);
  }

  /**
   * Whether {@code other} commits to the same secret, whatever its threshold: equal C_0 = s·G. A
   * re-sharing to a grid with another threshold keeps C_0 and changes the number of points;
   * enough shares that verify against either vector interpolate to the same secret.
   */
  public boolean commitsToSecretOf(Commitments other) {
    return points[0].equals(other.points[0]);
  }

  /** C_j, normalized; not a copy (BouncyCastle points are immutable). */
  ECPoint point(int j) {
    return points[j];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Commitments other && Arrays.equals(encoded, other.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  /** {@code Commitments[t=5, C_0=02a1b2c3d4...]}: public data, abbreviated. */
  @Override
  public String toString() {
    return "Commitments[t=" + points.length + ", C_0="
        + HexFormat.of().formatHex(encoded, 1, 1 + 5) + "...]";
  }
}
