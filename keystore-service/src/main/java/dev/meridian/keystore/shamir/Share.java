package dev.meridian.keystore.shamir;

import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * One server's share of a secret: the point (x, y = f(x)) of the dealer's polynomial f over
 * Z_q, where x is the server's 1-based index and y a scalar in [0, q).
 *
 * <p>Guarantee: a {@code Share} always has {@code x >= 1} and {@code y < q} (checked by {@link
 * #of}); whether it is the <em>right</em> y is for {@link FeldmanVss#verify} to say. Equality is
 * by x and y, comparing y in constant time; {@link #hashCode()} depends on x alone.
 *
 * <p>Failure model: y is secret. It never appears in {@link #toString()} ({@code
 * Share[x=3, y=<redacted>]}) or in an exception message. After {@link #destroy()} y is zeroed
 * and {@link #yBytes()}, and every {@link FeldmanVss} operation given the share, throw {@link
 * IllegalStateException}. Destroying a share while another thread uses it is a caller's bug.
 */
public final class Share implements Destroyable {
  private final int x;
  private final int[] y;
  private volatile boolean destroyed;

  private Share(int x, int[] y) {
    this.x = x;
    this.y = y;
  }

  /**
   * The share (x, y) with y given as 32 big-endian bytes, which are copied.
   *
   * @throws IllegalArgumentException if x &lt; 1, y is not 32 bytes, or y &ge; q; the message
   *     names x and the rule broken, never y's value
   */
  public static Share of(int x, byte[] y32) {
    Objects.requireNonNull(y32, "y");
    if (x < 1) {
      throw new IllegalArgumentException("share x-coordinate must be >= 1, got " + x);
    }
    if (y32.length != ModQ.BYTES) {
      throw new IllegalArgumentException("share y for x=" + x + " must be " + ModQ.BYTES
          + " bytes, got " + y32.length);
    }
    int[] y = new int[ModQ.LIMBS];
    ModQ.fromBytes(y32, y);
    if (ModQ.lessThanQ(y) != 1) {
      Arrays.fill(y, 0);
      throw new IllegalArgumentException("share y for x=" + x
          + " is not less than the secp256k1 group order q");
    }
    return new Share(x, y);
  }

  /** A share over limbs the caller hands over (already &lt; q). */
  static Share ofLimbs(int x, int[] y) {
    return new Share(x, y);
  }

  /** The x-coordinate, &ge; 1. */
  public int x() {
    return x;
  }

  /**
   * A 32-byte big-endian copy of y; the caller owns it and should zero it when done.
   *
   * @throws IllegalStateException if the share was destroyed
   */
  public byte[] yBytes() {
    return ModQ.toBytes(limbs());
  }

  /** The limbs of y, not a copy: callers in this package read them and never write. */
  int[] limbs() {
    if (destroyed) {
      throw new IllegalStateException("share x=" + x + " was destroyed");
    }
    return y;
  }

  /** Zeroes y. Idempotent. */
  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(y, 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Same x and same y; y compared in constant time. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Share other && x == other.x & ModQ.equal(y, other.y);
  }

  /** Depends on x only, so that hashing a share reveals nothing about y. */
  @Override
  public int hashCode() {
    return Integer.hashCode(x);
  }

  /** {@code Share[x=3, y=<redacted>]}. */
  @Override
  public String toString() {
    return "Share[x=" + x + ", y=" + (destroyed ? "<destroyed>" : "<redacted>") + "]";
  }
}
