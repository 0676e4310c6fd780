package dev.meridian.keystore.server;

import dev.meridian.proto.v1.Version;
import java.util.Objects;

/**
 * Where a key server records who was allowed or denied what: one {@link Event} for every access
 * decision (every authenticated request that names a key, and every {@code Stats} request) and
 * one for every admin action. An event names the client, the operation, the key and version,
 * the decision and its reason; it never holds a secret, share, ciphertext, data key, session key
 * or signature, and no implementation may add them.
 *
 * <p>When: a request's event is recorded after its outcome is known and before its answer
 * leaves the server. Requests that fail authentication (bad signature or MAC, unknown client,
 * stale or replayed) are not recorded: their client id is only a claim, and recording them would
 * let anyone fill the audit disk; {@link ServerMetrics} counts them by reason.
 *
 * <p>Failure model (fail-closed): an implementation that cannot record an event throws {@link
 * AuditException}. The server then refuses the request it would have allowed, with UNAVAILABLE,
 * so that no share leaves it unrecorded; a request it denies stays denied. A write or complete
 * refused that way may already be in the store (it passed every check); it is not acknowledged,
 * so the writer does not count it. Implementations must be thread-safe: requests on different
 * keys are handled concurrently.
 */
public interface AuditLog extends AutoCloseable {
  /** The outcome of a decision. */
  enum Decision {
    ALLOWED("allowed"), DENIED("denied");

    private final String label;

    Decision(String label) {
      this.label = label;
    }

    /** As written: {@code allowed} or {@code denied}. */
    public String label() {
      return label;
    }
  }

  /**
   * One decision.
   *
   * @param timeMillis when, by the server's wall clock (ms since the epoch)
   * @param serverId the server that decided
   * @param clientId the authenticated client that asked
   * @param operation what it asked: an operation label of {@link ServerMetrics.Operation}
   *     ({@code read} is a read that may return shares), {@link KeyServerCore#READ_RECORDS} for
   *     a read of records only, or an admin action such as {@code grant}
   * @param key the key named, as sent (it may be an invalid name when that is why the request
   *     was denied); null when the request names none, or for an admin action, what it changes
   * @param version the version named, or null
   * @param decision allowed or denied
   * @param reason {@code ok} when allowed, else a {@link Rejection.Reason} label
   * @param detail empty when allowed, else the refusal's description (which names keys,
   *     versions and ids, never a secret)
   */
  record Event(long timeMillis, String serverId, String clientId, String operation, String key,
      Version version, Decision decision, String reason, String detail) {
    /** Requires the fields every event has. */
    public Event {
      Objects.requireNonNull(serverId, "serverId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(reason, "reason");
      detail = detail == null ? "" : detail;
    }
  }

  /**
   * Records the decision on one request.
   *
   * @throws AuditException if it could not be recorded
   */
  void accessDecision(Event event);

  /**
   * Records an admin action (an access-policy change, a membership or epoch change) as it is
   * decided, e.g. once Byzantine agreement delivered it.
   *
   * @throws AuditException if it could not be recorded
   */
  void adminAction(Event event);

  /** Events that could not be recorded since the log was opened. */
  default long failures() {
    return 0;
  }

  /** Stops recording; later events throw {@link AuditException}. */
  @Override
  void close();

  /** A log that records nothing and never fails (a server configured without an audit log). */
  static AuditLog none() {
    return NoAuditLog.INSTANCE;
  }
}
