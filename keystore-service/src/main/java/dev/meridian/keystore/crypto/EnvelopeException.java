package dev.meridian.keystore.crypto;

/**
 * An envelope could not be opened: it is too short to be one, or it failed authentication (wrong
 * key, wrong associated data, or modified bytes — AES-GCM cannot tell these apart, by design).
 * The message says which of the two, never anything about the key or the plaintext.
 */
public final class EnvelopeException extends Exception {
  private static final long serialVersionUID = 1L;

  EnvelopeException(String message) {
    super(message);
  }
}
