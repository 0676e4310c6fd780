package dev.meridian.keystore.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The primitives of a key-service session: ephemeral X25519 key agreement, HKDF-SHA256 (RFC
 * 5869) to turn the shared secret and the signed transcript into a 32-byte session key, and
 * HMAC-SHA256 to authenticate each message under it.
 *
 * <p>Why sessions: an Ed25519 check costs ~100 µs of a core, an HMAC ~1 µs. A client and a server
 * agree a key once, with both halves signed by their Ed25519 identities (so the key is as
 * authentic as a signature), and then authenticate each request and acknowledgement with an
 * HMAC. Ephemeral keys give forward secrecy: a session key is gone with the session.
 */
public final class SessionCrypto {
  /** X25519 key and shared-secret size. */
  public static final int KEY_BYTES = X25519.POINT_SIZE;
  /** HMAC-SHA256 tag size. */
  public static final int MAC_BYTES = 32;

  private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks HmacSHA256", e);
    }
  });

  private SessionCrypto() {}

  /** A fresh ephemeral X25519 private key. */
  public static byte[] newPrivateKey(SecureRandom random) {
    byte[] k = new byte[X25519.SCALAR_SIZE];
    X25519.generatePrivateKey(random, k);
    return k;
  }

  /** The public key of {@code privateKey}. */
  public static byte[] publicKey(byte[] privateKey) {
    byte[] p = new byte[X25519.POINT_SIZE];
    X25519.generatePublicKey(privateKey, 0, p, 0);
    return p;
  }

  /**
   * The X25519 shared secret; IllegalArgumentException for a peer key of the wrong length or
   * one of low order (the all-zero output RFC 7748 says to refuse).
   */
  public static byte[] agree(byte[] privateKey, byte[] peerPublic) {
    if (peerPublic == null || peerPublic.length != X25519.POINT_SIZE) {
      throw new IllegalArgumentException("X25519 public key must be " + X25519.POINT_SIZE
          + " bytes");
    }
    byte[] shared = new byte[X25519.POINT_SIZE];
    if (!X25519.calculateAgreement(privateKey, 0, peerPublic, 0, shared, 0)) {
      throw new IllegalArgumentException("X25519 public key has low order");
    }
    return shared;
  }

  /** HKDF-SHA256 with {@code salt} (the transcript hash) and {@code info}: 32 bytes. */
  public static byte[] deriveKey(byte[] sharedSecret, byte[] salt, byte[] info) {
    byte[] prk = hmac(salt, sharedSecret);
    byte[] okm = hmac(prk, info, new byte[] {1});
    Arrays.fill(prk, (byte) 0);
    return okm;
  }

  /** HMAC-SHA256 of the concatenation of {@code parts} under {@code key}. */
  public static byte[] hmac(byte[] key, byte[]... parts) {
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC key refused", e);
    }
    for (byte[] part : parts) {
      mac.update(part);
    }
    return mac.doFinal();
  }

  /** Whether {@code tag} is the HMAC of {@code message} under {@code key}, in constant time. */
  public static boolean verifyHmac(byte[] key, byte[] message, byte[] tag) {
    return tag != null && tag.length == MAC_BYTES
        && ConstantTime.equal(hmac(key, message), tag);
  }
}
