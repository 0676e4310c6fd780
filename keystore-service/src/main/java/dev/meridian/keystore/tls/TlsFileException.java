package dev.meridian.keystore.tls;

import java.io.IOException;
import java.util.Objects;

/**
 * A TLS file that cannot be used: missing, unreadable, not the PEM expected, a key that is not
 * the certificate's, a certificate its CA did not sign, or one out of its validity. The message
 * names the file and what is wrong, never key material; {@link #part()} says which of the three
 * files it is, so a configuration reader can name its field.
 */
public final class TlsFileException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Which file of a TLS configuration is at fault. */
  public enum Part {
    /** This end's certificate (chain). */
    CERTIFICATE,
    /** This end's private key. */
    PRIVATE_KEY,
    /** The CA certificates the other end's certificate must chain to. */
    TRUSTED_CA
  }

  private final Part part;

  /** A problem with {@code part}; {@code message} names the file. */
  public TlsFileException(Part part, String message) {
    super(message);
    this.part = Objects.requireNonNull(part, "part");
  }

  /** Which file is at fault. */
  public Part part() {
    return part;
  }
}
