package dev.meridian.keystore.server;

import io.grpc.Status;

/**
 * Why a key server refuses a request: a gRPC status code, a {@link Reason} operators can count,
 * and a description naming what was wrong. Descriptions name keys, versions, client and server
 * ids, never a share, key or secret.
 */
public final class Rejection extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Why a request was refused, coarse enough to count (metrics, audit log), fine enough to tell
   * an attack from a misconfiguration. Each reason has one status code.
   */
  public enum Reason {
    /** The request's bytes are not a protobuf message of the method's type. */
    MALFORMED("malformed", Status.Code.INVALID_ARGUMENT),
    /** A field is missing or out of range (key name, version, sizes, server addressed, ...). */
    INVALID("invalid", Status.Code.INVALID_ARGUMENT),
    /** A share is not in the field or does not match the record's Feldman commitments. */
    BAD_SHARE("bad-share", Status.Code.INVALID_ARGUMENT),
    /** A signature or MAC does not verify, the client is unknown, or the session is gone. */
    UNAUTHENTICATED("unauthenticated", Status.Code.UNAUTHENTICATED),
    /** The request's timestamp is outside the freshness window. */
    STALE("stale", Status.Code.UNAUTHENTICATED),
    /** The request's nonce was already used: a replay. */
    REPLAYED("replayed", Status.Code.UNAUTHENTICATED),
    /** The access policy does not give the client the right it needs. */
    DENIED("denied", Status.Code.PERMISSION_DENIED),
    /** The server holds a different record for the same version. */
    CONFLICT("conflict", Status.Code.ALREADY_EXISTS),
    /** A per-key limit is reached. */
    LIMIT("limit", Status.Code.RESOURCE_EXHAUSTED),
    /** The server's store failed, or the server failed unexpectedly. */
    INTERNAL("internal", Status.Code.INTERNAL),
    /** The audit log could not record the decision, so the server refuses (fail-closed). */
    AUDIT_FAILED("audit-failed", Status.Code.UNAVAILABLE);

    private final String label;
    private final Status.Code code;

    Reason(String label, Status.Code code) {
      this.label = label;
      this.code = code;
    }

    /** The name shown in metrics and the audit log, e.g. {@code bad-share}. */
    public String label() {
      return label;
    }

    /** The status code a client receives for this reason. */
    public Status.Code code() {
      return code;
    }

    /** The default reason of a status code (for rejections made from a code alone). */
    static Reason of(Status.Code code) {
      return switch (code) {
        case INVALID_ARGUMENT -> INVALID;
        case UNAUTHENTICATED -> UNAUTHENTICATED;
        case PERMISSION_DENIED -> DENIED;
        case ALREADY_EXISTS -> CONFLICT;
        case RESOURCE_EXHAUSTED -> LIMIT;
        case UNAVAILABLE -> AUDIT_FAILED;
        default -> INTERNAL;
      };
    }
  }

  private final Status.Code code;
  private final Reason reason;

  Rejection(Status.Code code, String description) {
    this(Reason.of(code), code, description);
  }

  Rejection(Reason reason, String description) {
    this(reason, reason.code(), description);
  }

  private Rejection(Reason reason, Status.Code code, String description) {
    super(description, null, false, false);
    this.code = code;
    this.reason = reason;
  }

  /** The status code the client receives. */
  public Status.Code code() {
    return code;
  }

  /** Why, as counted by {@link ServerMetrics} and written to the {@link AuditLog}. */
  public Reason reason() {
    return reason;
  }

  /** As a gRPC status. */
  public Status toStatus() {
    return Status.fromCode(code).withDescription(getMessage());
  }

  static Rejection invalid(String description) {
    return new Rejection(Reason.INVALID, description);
  }

  static Rejection badShare(String description) {
    return new Rejection(Reason.BAD_SHARE, description);
  }

  static Rejection unauthenticated(String description) {
    return new Rejection(Reason.UNAUTHENTICATED, description);
  }

  static Rejection denied(String description) {
    return new Rejection(Reason.DENIED, description);
  }

  static Rejection exhausted(String description) {
    return new Rejection(Status.Code.RESOURCE_EXHAUSTED, description);
  }

  static Rejection unavailable(String description) {
    return new Rejection(Status.Code.UNAVAILABLE, description);
  }

  static Rejection unimplemented(String description) {
    return new Rejection(Status.Code.FAILED_PRECONDITION, description);
  }
}
