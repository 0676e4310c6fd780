package dev.meridian.keystore.crypto;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 public key (RFC 8032): an immutable value, equal to another by its 32 bytes.
 *
 * <p>Guarantee: {@link #verify} accepts exactly the signatures that BouncyCastle's RFC 8032
 * verifier accepts for this key (canonical {@code S < L}, cofactorless equation). The point is
 * decoded and checked once, in {@link #fromBytes}; verification then skips the point
 * decompression.
 *
 * <p>Failure model: {@link #fromBytes} refuses encodings that are not 32 bytes, that are not the
 * canonical encoding of a curve point, points of small order (the identity and the other seven
 * torsion points, under which one signature can verify for many messages) and points outside
 * the prime-order subgroup, with {@link IllegalArgumentException}. {@link #verify} never throws for bad signatures: it returns
 * {@code false}.
 */
public final class VerifyingKey {
  /** Signature checks run in this JVM (all keys): benchmarks use it to show where time goes. */
  private static final java.util.concurrent.atomic.LongAdder VERIFICATIONS =
      new java.util.concurrent.atomic.LongAdder();

  /** How many signatures every {@code VerifyingKey} of this JVM has checked so far. */
  public static long verificationsSoFar() {
    return VERIFICATIONS.sum();
  }

  /** Length of an encoded public key. */
  public static final int BYTES = Ed25519.PUBLIC_KEY_SIZE;

  private final byte[] encoded;
  private final Ed25519.PublicPoint point;

  private VerifyingKey(byte[] encoded, Ed25519.PublicPoint point) {
    this.encoded = encoded;
    this.point = point;
  }

  /**
   * The key with this RFC 8032 encoding. The array is copied.
   *
   * @throws IllegalArgumentException naming the problem: wrong length; not the canonical
   *     encoding of a point, or a point of small order; a point outside the prime-order subgroup
   */
  public static VerifyingKey fromBytes(byte[] encoded32) {
    Objects.requireNonNull(encoded32, "encoded public key");
    if (encoded32.length != BYTES) {
      throw new IllegalArgumentException("Ed25519 public key must be " + BYTES + " bytes, got "
          + encoded32.length);
    }
    byte[] copy = encoded32.clone();
    if (!Ed25519.validatePublicKeyPartial(copy, 0)) {
      throw new IllegalArgumentException("Ed25519 public key " + prefix(copy) + "... is not"
          + " valid: not the canonical encoding of a point on edwards25519, or a point of small"
          + " order");
    }
    Ed25519.PublicPoint point = Ed25519.validatePublicKeyFullExport(copy, 0);
    if (point == null) {
      throw new IllegalArgumentException("Ed25519 public key " + prefix(copy) + "... is not"
          + " valid: a curve point outside the prime-order subgroup");
    }
    return new VerifyingKey(copy, point);
  }

  /** A copy of the 32-byte encoding. */
  public byte[] toBytes() {
    return encoded.clone();
  }

  /**
   * Whether {@code signature} is a valid Ed25519 signature of {@code message} by this key.
   * {@code false}, never an exception, for a {@code null} signature, one not 64 bytes long, or one
   * that does not verify.
   *
   * @throws NullPointerException if {@code message} is null
   */
  public boolean verify(byte[] message, byte[] signature) {
    Objects.requireNonNull(message, "message");
    if (signature == null || signature.length != Ed25519.SIGNATURE_SIZE) {
      return false;
    }
    VERIFICATIONS.increment();
    return Ed25519.verify(signature, 0, point, message, 0, message.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VerifyingKey other && Arrays.equals(encoded, other.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  /** {@code VerifyingKey[<first 16 hex digits>]}. */
  @Override
  public String toString() {
    return "VerifyingKey[" + prefix(encoded) + "]";
  }

  private static String prefix(byte[] encoded) {
    return HexFormat.of().formatHex(encoded, 0, 8);
  }
}
