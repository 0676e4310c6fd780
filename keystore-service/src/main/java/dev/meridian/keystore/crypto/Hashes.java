package dev.meridian.keystore.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 from the JDK (which uses the SHA-NI instructions where the CPU has them). */
public final class Hashes {
  private Hashes() {}

  /**
   * SHA-256 of the concatenation of {@code parts}, in order: {@code sha256(a, b)} equals {@code
   * sha256(a ++ b)}. Concatenation is not an unambiguous encoding ({@code ("ab", "c")} and {@code
   * ("a", "bc")} hash alike): callers hashing fields of variable length must frame them (a length
   * prefix) themselves.
   *
   * @return a new 32-byte array
   * @throws NullPointerException if {@code parts} or one of its elements is null
   */
  public static byte[] sha256(byte[]... parts) {
    MessageDigest digest = newSha256();
    for (byte[] part : parts) {
      digest.update(part);
    }
    return digest.digest();
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }
}
