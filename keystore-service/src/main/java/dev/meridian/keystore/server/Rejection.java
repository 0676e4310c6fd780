package dev.meridian.keystore.server;

import io.grpc.Status;

/**
 * Why a key server refuses a request: a gRPC status code and a description naming what was
 * wrong. Descriptions name keys, versions, client and server ids, never a share, key or secret.
 */
public final class Rejection extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Status.Code code;

  Rejection(Status.Code code, String description) {
    super(description, null, false, false);
    this.code = code;
  }

  /** The status code the client receives. */
  public Status.Code code() {
    return code;
  }

  /** As a gRPC status. */
  public Status toStatus() {
    return Status.fromCode(code).withDescription(getMessage());
  }

  static Rejection invalid(String description) {
    return new Rejection(Status.Code.INVALID_ARGUMENT, description);
  }

  static Rejection unauthenticated(String description) {
    return new Rejection(Status.Code.UNAUTHENTICATED, description);
  }

  static Rejection denied(String description) {
    return new Rejection(Status.Code.PERMISSION_DENIED, description);
  }
}
