package dev.meridian.keystore.shamir;

import dev.meridian.keystore.crypto.Hashes;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A secret scalar s in Z_q (q the secp256k1 group order): what a {@link Dealing} shares, and the
 * source of a record's AES data key ({@link #dataKey()}).
 *
 * <p>Guarantee: the value is always in [0, q). Equality compares in constant time; {@link
 * #hashCode()} is the same for every scalar (a hash code would leak bits of the secret), so do
 * not key hash tables by it.
 *
 * <p>Failure model: the value never appears in {@link #toString()} or in an exception message.
 * After {@link #destroy()} it is zeroed and {@link #toBytes()}, {@link #dataKey()} and every use
 * by {@link FeldmanVss} throw {@link IllegalStateException}.
 */
public final class SecretScalar implements Destroyable {
  private static final byte[] DATA_KEY_LABEL =
      "meridian-data-key-v1".getBytes(StandardCharsets.US_ASCII);

  private final int[] value;
  private volatile boolean destroyed;

  private SecretScalar(int[] value) {
    this.value = value;
  }

  /** A new scalar 0 (for the zero-secret dealings of a proactive share refresh). */
  public static SecretScalar zero() {
    return new SecretScalar(new int[ModQ.LIMBS]);
  }

  /** A new uniformly random scalar in [0, q), by rejection sampling (no modular bias). */
  public static SecretScalar random(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return new SecretScalar(ModQ.random(random));
  }

  /**
   * The scalar with these 32 big-endian bytes, which are copied.
   *
   * @throws IllegalArgumentException if not 32 bytes, or the value is not less than q
   */
  public static SecretScalar fromBytes(byte[] b32) {
    Objects.requireNonNull(b32, "bytes");
    if (b32.length != ModQ.BYTES) {
      throw new IllegalArgumentException("secret scalar must be " + ModQ.BYTES + " bytes, got "
          + b32.length);
    }
    int[] value = new int[ModQ.LIMBS];
    ModQ.fromBytes(b32, value);
    if (ModQ.lessThanQ(value) != 1) {
      Arrays.fill(value, 0);
      throw new IllegalArgumentException(
          "secret scalar is not less than the secp256k1 group order q");
    }
    return new SecretScalar(value);
  }

  /** A scalar over limbs the caller hands over (already &lt; q). */
  static SecretScalar ofLimbs(int[] value) {
    return new SecretScalar(value);
  }

  /**
   * A 32-byte big-endian copy; the caller owns it and should zero it when done.
   *
   * @throws IllegalStateException if destroyed
   */
  public byte[] toBytes() {
    return ModQ.toBytes(limbs());
  }

  /**
   * The 32-byte AES-256 data key derived from this scalar: {@code SHA-256("meridian-data-key-v1"
   * || s as 32 big-endian bytes)}. A scalar uniform in Z_q gives a key indistinguishable from
   * uniform. The caller owns the array and should zero it when done.
   *
   * @throws IllegalStateException if destroyed
   */
  public byte[] dataKey() {
    byte[] s = toBytes();
    try {
      return Hashes.sha256(DATA_KEY_LABEL, s);
    } finally {
      Arrays.fill(s, (byte) 0);
    }
  }

  /** The limbs, not a copy: callers in this package read them and never write. */
  int[] limbs() {
    if (destroyed) {
      throw new IllegalStateException("secret scalar was destroyed");
    }
    return value;
  }

  /** Zeroes the value. Idempotent. */
  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(value, 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Same value, compared in constant time. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SecretScalar other && ModQ.equal(value, other.value);
  }

  /** The same for every scalar: see the class comment. */
  @Override
  public int hashCode() {
    return 0x5EC2E7;
  }

  /** {@code SecretScalar[<redacted>]}. */
  @Override
  public String toString() {
    return destroyed ? "SecretScalar[<destroyed>]" : "SecretScalar[<redacted>]";
  }
}
