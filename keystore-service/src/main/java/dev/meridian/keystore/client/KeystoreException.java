package dev.meridian.keystore.client;

import io.grpc.Status;

/**
 * Why a key service call failed, as a gRPC status code and a message naming what was wrong:
 * {@code UNAVAILABLE} when no quorum answered in time (with how many servers did),
 * {@code NOT_FOUND} for a key without a value, {@code PERMISSION_DENIED} / {@code
 * UNAUTHENTICATED} / {@code INVALID_ARGUMENT} when the servers refused the request, {@code
 * DATA_LOSS} when the answers were inconsistent beyond what f faulty servers can cause.
 * Messages never contain a secret or a share.
 */
public final class KeystoreException extends Exception {
  private static final long serialVersionUID = 1L;
  private final Status.Code code;

  public KeystoreException(Status.Code code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  /** The status code. */
  public Status.Code code() {
    return code;
  }
}
