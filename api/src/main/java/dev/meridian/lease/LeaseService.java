package dev.meridian.lease;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Leases decided through totally ordered replicated state, so every member agrees who holds
 * what, and a lease outlives the member that coordinated its grant. See {@link Lease} for the
 * guarantee and the clock assumption it rests on.
 */
public interface LeaseService extends AutoCloseable {

  /**
   * Asks for {@code resource} for {@code duration} (1 ms .. 1 day).
   *
   * @return the lease; fails with {@link LeaseUnavailableException} naming the holder and the
   *     expiry if another member holds it, or with the group's or clock's exception if the
   *     request cannot be decided (no quorum, clock not synchronized)
   * @throws IllegalArgumentException for an empty or over-long (1 KiB) resource name, or a
   *     duration out of range
   */
  CompletableFuture<Lease> acquire(String resource, Duration duration);

  /** Stops this member's lease service and its group membership. */
  @Override
  void close();
}
