package dev.meridian.keystore.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption with AES-256-GCM (the JDK's implementation, AES-NI accelerated).
 *
 * <p>Layout of a sealed envelope: {@code nonce (12 bytes, random) || ciphertext (as long as the
 * plaintext) || tag (16 bytes)}. The associated data is authenticated but not stored: the opener
 * must supply the same bytes (the key service binds the record's key name and version this way).
 *
 * <p>Guarantee: {@link #open} returns the plaintext only if the envelope was produced by {@link
 * #seal} under the same key and associated data and not a bit of it changed since (up to the
 * 2<sup>-128</sup>-ish forgery bound of GCM). Otherwise it throws {@link EnvelopeException} and
 * releases no plaintext (the JDK checks the tag before returning any).
 *
 * <p>Limits: nonces are random, so one key must seal at most about 2<sup>32</sup> envelopes
 * (NIST SP 800-38D); the key service uses every data key for one secret. The JDK copies the key
 * into a {@link SecretKeySpec} and into the cipher's key schedule, which this class cannot
 * erase; callers should still zero their own copy of the key after use.
 */
public final class Envelope {
  /** AES-256: 32-byte keys. */
  public static final int KEY_BYTES = 32;
  /** Bytes of random nonce at the start of an envelope. */
  public static final int NONCE_BYTES = 12;
  /** Bytes of authentication tag at the end of an envelope. */
  public static final int TAG_BYTES = 16;
  /** A sealed envelope is this many bytes longer than its plaintext. */
  public static final int OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private Envelope() {}

  /**
   * Encrypts and authenticates {@code plaintext}, also authenticating {@code associatedData}.
   *
   * @param key32 the 32-byte key; not modified, not retained
   * @param associatedData bytes bound to the envelope but not encrypted; {@code null} means empty
   * @return {@code nonce || ciphertext || tag}, {@link #OVERHEAD_BYTES} longer than {@code
   *     plaintext}
   * @throws IllegalArgumentException if the key is not 32 bytes (the message names its length)
   */
  public static byte[] seal(byte[] key32, byte[] plaintext, byte[] associatedData,
      SecureRandom random) {
    checkKey(key32);
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(random, "random");
    byte[] sealed = new byte[NONCE_BYTES + plaintext.length + TAG_BYTES];
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, sealed, 0, NONCE_BYTES);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key32, sealed);
      if (associatedData != null) {
        cipher.updateAAD(associatedData);
      }
      int written = cipher.doFinal(plaintext, 0, plaintext.length, sealed, NONCE_BYTES);
      if (written != plaintext.length + TAG_BYTES) {
        throw new IllegalStateException("AES-GCM wrote " + written + " bytes, expected "
            + (plaintext.length + TAG_BYTES));
      }
      return sealed;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable or misbehaved: "
          + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Authenticates and decrypts an envelope made by {@link #seal}.
   *
   * @param associatedData the same bytes given to {@code seal}; {@code null} means empty
   * @return the plaintext
   * @throws EnvelopeException if {@code sealed} is shorter than {@link #OVERHEAD_BYTES}, or it
   *     fails authentication (wrong key, wrong associated data, tampered bytes)
   * @throws IllegalArgumentException if the key is not 32 bytes (the message names its length)
   */
  public static byte[] open(byte[] key32, byte[] sealed, byte[] associatedData)
      throws EnvelopeException {
    checkKey(key32);
    Objects.requireNonNull(sealed, "sealed");
    if (sealed.length < OVERHEAD_BYTES) {
      throw new EnvelopeException("sealed envelope is " + sealed.length + " bytes; at least "
          + OVERHEAD_BYTES + " (nonce + tag) needed");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key32, sealed);
      if (associatedData != null) {
        cipher.updateAAD(associatedData);
      }
      return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      // Deliberately not chained: nothing from the cipher's internals reaches the caller.
      throw new EnvelopeException("envelope failed authentication (" + sealed.length
          + " bytes): wrong key, wrong associated data, or modified");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable or misbehaved: "
          + e.getClass().getSimpleName(), e);
    }
  }

  private static Cipher cipher(int mode, byte[] key32, byte[] nonceAtStart)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance(TRANSFORMATION);
    cipher.init(mode, new SecretKeySpec(key32, "AES"),
        new GCMParameterSpec(TAG_BYTES * 8, nonceAtStart, 0, NONCE_BYTES));
    return cipher;
  }

  private static void checkKey(byte[] key32) {
    Objects.requireNonNull(key32, "key");
    if (key32.length != KEY_BYTES) {
      throw new IllegalArgumentException("AES-256 key must be " + KEY_BYTES + " bytes, got "
          + key32.length);
    }
  }
}
