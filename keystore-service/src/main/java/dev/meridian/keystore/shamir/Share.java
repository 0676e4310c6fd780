package dev.meridian.keystore.shamir;

import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * One server's share of a secret: the point (x, y = f(x)) of the dealer's polynomial f over
 * Z_q, where x is the server's 1-based index and y a scalar in [0, q), in a share epoch.
 *
 * <p>The epoch counts the proactive refreshes and re-sharings the sharing has been through
 * ({@link ShareRefresh}, {@link Resharing}): a dealt share is in epoch 0 unless given another,
 * and each refresh moves it to epoch + 1, onto a different polynomial with the same secret.
 * Shares of different epochs are points of different polynomials, so {@link
 * FeldmanVss#reconstruct} and {@link FeldmanVss#interpolate} refuse to combine them. It is the
 * same number as the {@code epoch} field of a signed key record.
 *
 * <p>Guarantee: a {@code Share} always has {@code x >= 1}, {@code y < q} and {@code epoch >= 0}
 * (checked by {@link #of}); whether it is the <em>right</em> y is for {@link FeldmanVss#verify}
 * to say. Equality is by x, epoch and y, comparing y in constant time; {@link #hashCode()}
 * depends on x alone.
 *
 * <p>Failure model: y is secret. It never appears in {@link #toString()} ({@code
 * Share[x=3, epoch=0, y=<redacted>]}) or in an exception message. After {@link #destroy()} y is
 * zeroed and {@link #yBytes()}, and every {@link FeldmanVss} operation given the share, throw
 * {@link IllegalStateException}. Destroying a share while another thread uses it is a caller's bug.
 */
public final class Share implements Destroyable {
  private final int x;
  private final long epoch;
  private final int[] y;
  private volatile boolean destroyed;

  private Share(int x, long epoch, int[] y) {
    this.x = x;
    this.epoch = epoch;
    this.y = y;
  }

  /**
   * The share (x, y) of epoch 0 with y given as 32 big-endian bytes, which are copied.
   *
   * @throws IllegalArgumentException if x &lt; 1, y is not 32 bytes, or y &ge; q; the message
   *     names x and the rule broken, never y's value
   */
  public static Share of(int x, byte[] y32) {
    return of(x, y32, 0);
  }

  /**
   * The share (x, y) of the given epoch with y given as 32 big-endian bytes, which are copied.
   *
   * @throws IllegalArgumentException if x &lt; 1, epoch &lt; 0, y is not 32 bytes, or y &ge; q;
   *     the message names x and the rule broken, never y's value
   */
  public static Share of(int x, byte[] y32, long epoch) {
    Objects.requireNonNull(y32, "y");
    if (x < 1) {
      throw new IllegalArgumentException("share x-coordinate must be >= 1, got " + x);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("share epoch must be >= 0, got " + epoch + " (x=" + x
          + ")");
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
    return new Share(x, epoch, y);
  }

  /** A share of epoch 0 over limbs the caller hands over (already &lt; q). */
  static Share ofLimbs(int x, int[] y) {
    return new Share(x, 0, y);
  }

  /** A share over limbs the caller hands over (already &lt; q), of an epoch already checked. */
  static Share ofLimbs(int x, long epoch, int[] y) {
    return new Share(x, epoch, y);
  }

  /** The x-coordinate, &ge; 1. */
  public int x() {
    return x;
  }

  /** The share epoch, &ge; 0: how many refreshes or re-sharings the sharing has been through. */
  public long epoch() {
    return epoch;
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

  /** Same x, same epoch and same y; y compared in constant time. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Share other && x == other.x & epoch == other.epoch
        & ModQ.equal(y, other.y);
  }

  /** Depends on x only, so that hashing a share reveals nothing about y. */
  @Override
  public int hashCode() {
    return Integer.hashCode(x);
  }

  /** {@code Share[x=3, epoch=0, y=<redacted>]}. */
  @Override
  public String toString() {
    return "Share[x=" + x + ", epoch=" + epoch + ", y="
        + (destroyed ? "<destroyed>" : "<redacted>") + "]";
  }
}
