package dev.meridian.keystore.server;

/**
 * An {@link AuditLog} could not record an event (its disk is full, its file is gone, it is
 * closed). The message names the log and the problem, never the event's content.
 */
public final class AuditException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An audit failure described by {@code message}, caused by {@code cause} (may be null). */
  public AuditException(String message, Throwable cause) {
    super(message, cause);
  }
}
