package dev.meridian.lease;

import java.time.Duration;

/**
 * A lease on one resource, held by this member until {@link #expiryNanos()} in synchronized
 * time.
 *
 * <p><b>Guarantee</b> (DESIGN.md, "Leases on synchronized time"): there is no true instant at
 * which two holders' {@link #isValid()} are both true for one resource, provided every member's
 * {@link dev.meridian.time.SyncedClock} interval contains true time. {@link #isValid()} is true
 * only while the synchronized interval's latest end is before the expiry, and the holder's own
 * monotonic clock, started when it sent the request, has not yet measured the duration; nobody
 * is granted the resource again until a requester's interval lies entirely after the expiry.
 * A holder that pauses past its expiry finds {@code isValid()} false when it wakes, so it must
 * check before every action — and a protected resource should check {@link #fencingToken()}
 * with a {@link FencingGuard}, since a check and the action after it are not atomic.
 */
public interface Lease {

  /** The resource leased. */
  String resource();

  /** Strictly increasing per resource, grant after grant: pass it with every write. */
  long fencingToken();

  /** The end of the lease in synchronized time, nanoseconds since the epoch. */
  long expiryNanos();

  /** Whether this member may still act as the holder, now. */
  boolean isValid();

  /**
   * Extends the lease to {@code duration} from now; the token stays.
   *
   * @throws LeaseUnavailableException if the lease was lost (expired, released, or taken)
   */
  Lease renew(Duration duration);

  /** Gives the lease up at once; a no-op if it is no longer held. */
  void release();
}
