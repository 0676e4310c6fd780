package dev.meridian.keystore.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.security.auth.Destroyable;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 private key (RFC 8032, pure Ed25519, no context), held as its 32-byte seed.
 *
 * <p>Guarantee: {@link #sign} produces the deterministic RFC 8032 signature, which {@link
 * VerifyingKey#verify} of {@link #verifyingKey()} (or any conforming verifier) accepts. The
 * public key is derived once, at construction, so signing does one base-point multiplication,
 * not two. BouncyCastle's Ed25519 signs in constant time with respect to the seed.
 *
 * <p>Failure model: after {@link #destroy()} the seed is zeroed and {@link #sign} and {@link
 * #seed()} throw {@link IllegalStateException}; {@link #verifyingKey()} still works (it is
 * public). Signing from many threads at once is safe; {@code destroy()} waits for signatures in
 * progress. The seed never appears in {@link #toString()}, exception messages or logs. The JVM
 * may have copied the seed elsewhere (the garbage collector moves arrays; BouncyCastle hashes
 * it into a temporary per signature), so {@code destroy()} is best effort, as on any JVM.
 */
public final class SigningKey implements Destroyable {
  /** Signatures made in this JVM (all keys): benchmarks use it to show where time goes. */
  private static final java.util.concurrent.atomic.LongAdder SIGNATURES =
      new java.util.concurrent.atomic.LongAdder();

  /** How many signatures every {@code SigningKey} of this JVM has made so far. */
  public static long signaturesSoFar() {
    return SIGNATURES.sum();
  }

  /** Length of a seed (the RFC 8032 private key). */
  public static final int SEED_BYTES = Ed25519.SECRET_KEY_SIZE;
  /** Length of a signature. */
  public static final int SIGNATURE_BYTES = Ed25519.SIGNATURE_SIZE;

  static {
    Ed25519.precompute(); // the base-point tables, once, not on the first request
  }

  private final byte[] seed;
  private final byte[] publicKey;
  private final VerifyingKey verifyingKey;
  // sign() holds the read lock (signers run in parallel), destroy() the write lock.
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean destroyed;

  private SigningKey(byte[] seed) {
    this.seed = seed;
    this.publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];
    Ed25519.generatePublicKey(seed, 0, publicKey, 0);
    this.verifyingKey = VerifyingKey.fromBytes(publicKey);
  }

  /** A new key with a seed of 32 bytes from {@code random}. */
  public static SigningKey generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] seed = new byte[SEED_BYTES];
    Ed25519.generatePrivateKey(random, seed);
    return new SigningKey(seed);
  }

  /**
   * The key with this seed (RFC 8032's "private key"). The array is copied; the caller may zero
   * its own.
   *
   * @throws IllegalArgumentException if the seed is not 32 bytes (the message names its length)
   */
  public static SigningKey fromSeed(byte[] seed32) {
    Objects.requireNonNull(seed32, "seed");
    if (seed32.length != SEED_BYTES) {
      throw new IllegalArgumentException("Ed25519 seed must be " + SEED_BYTES + " bytes, got "
          + seed32.length);
    }
    return new SigningKey(seed32.clone());
  }

  /**
   * A copy of the 32-byte seed, for writing a key file. The caller owns the copy and should zero
   * it when done.
   *
   * @throws IllegalStateException if the key was destroyed
   */
  public byte[] seed() {
    lock.readLock().lock();
    try {
      checkNotDestroyed();
      return seed.clone();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The public half. */
  public VerifyingKey verifyingKey() {
    return verifyingKey;
  }

  /**
   * The 64-byte RFC 8032 signature of {@code message}.
   *
   * @throws IllegalStateException if the key was destroyed
   */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    byte[] signature = new byte[SIGNATURE_BYTES];
    lock.readLock().lock();
    try {
      checkNotDestroyed();
      Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
      SIGNATURES.increment();
    } finally {
      lock.readLock().unlock();
    }
    return signature;
  }

  /** Zeroes the seed. Idempotent. */
  @Override
  public void destroy() {
    lock.writeLock().lock();
    try {
      Arrays.fill(seed, (byte) 0);
      destroyed = true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public boolean isDestroyed() {
    lock.readLock().lock();
    try {
      return destroyed;
    } finally {
      lock.readLock().unlock();
    }
  }

  private void checkNotDestroyed() {
    if (destroyed) {
      throw new IllegalStateException("signing key " + publicPrefix() + " was destroyed");
    }
  }

  private String publicPrefix() {
    return HexFormat.of().formatHex(publicKey, 0, 4);
  }

  /** {@code SigningKey[public=<first 8 hex digits of the public key>, private=<redacted>]}. */
  @Override
  public String toString() {
    return "SigningKey[public=" + publicPrefix() + ", private="
        + (isDestroyed() ? "<destroyed>" : "<redacted>") + "]";
  }
}
