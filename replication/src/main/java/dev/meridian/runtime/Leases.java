package dev.meridian.runtime;

import dev.meridian.core.lease.LeaseTable;
import dev.meridian.lease.Lease;
import dev.meridian.lease.LeaseService;
import dev.meridian.lease.LeaseUnavailableException;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.time.ClockUnsynchronizedException;
import dev.meridian.time.SyncedClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Leases on a group's totally ordered replicated state and a {@link SyncedClock}: the entry point
 * to {@link LeaseService}.
 *
 * <pre>{@code
 * SyncedClock clock = SyncedClock.builder()...start();
 * LeaseService leases = Leases.start(GroupMember.builder().nodeId(id).peer(...), clock, 1e-4);
 * Lease lease = leases.acquire("printer", Duration.ofSeconds(2)).join();
 * if (lease.isValid() && guard.admit("printer", lease.fencingToken())) { print(); }
 * }</pre>
 */
public final class Leases {
  private Leases() {}

  /**
   * Starts a group member holding the lease table, with {@code group}'s settings.
   *
   * @param group every setting but the state machine (the lease table is set here)
   * @param clock this member's synchronized clock; it stays open when the service closes
   * @param maxDrift ρ of this member's monotonic clock, for the holder's own timer
   */
  public static LeaseService start(GroupMemberBuilder group, SyncedClock clock, double maxDrift) {
    if (group == null || clock == null) {
      throw new IllegalArgumentException("group settings and clock must not be null");
    }
    if (!(maxDrift >= 0 && maxDrift <= 0.01)) {
      throw new IllegalArgumentException("maxDrift must be in [0, 0.01], got " + maxDrift);
    }
    return new Service(group.stateMachine(new LeaseTable()).start(), clock, maxDrift);
  }

  private static final class Service implements LeaseService {
    private final GroupMember<LeaseTable.State, LeaseTable.Op, LeaseTable.Result> member;
    private final SyncedClock clock;
    private final double maxDrift;

    Service(GroupMember<LeaseTable.State, LeaseTable.Op, LeaseTable.Result> member,
        SyncedClock clock, double maxDrift) {
      this.member = member;
      this.clock = clock;
      this.maxDrift = maxDrift;
    }

    @Override
    public CompletableFuture<Lease> acquire(String resource, Duration duration) {
      long nanos = checkDuration(duration);
      long sentAt = System.nanoTime(); // before the clock is read: the holder's timer starts here
      new LeaseTable.Op(LeaseTable.Kind.ACQUIRE, resource, 0, nanos, 0); // bad input throws
      LeaseTable.Op op;
      try {
        op = new LeaseTable.Op(LeaseTable.Kind.ACQUIRE, resource, 0, nanos,
            clock.now().earliest());
      } catch (ClockUnsynchronizedException e) {
        return CompletableFuture.failedFuture(e); // undecidable now, like a missing quorum
      }
      return member.submit(op).thenApply(r -> {
        if (!r.granted()) {
          throw new LeaseUnavailableException(describe(resource, r.grant()));
        }
        return new Held(resource, r.grant(), sentAt, nanos);
      });
    }

    private String describe(String resource, LeaseTable.Grant grant) {
      return grant == null ? "lease on '" + resource + "' is not held by " + member.id()
          : "'" + resource + "' is leased to " + grant.holder() + " (token " + grant.token()
              + ") until " + grant.expiryNanos() + " ns synchronized time";
    }

    private static long checkDuration(Duration duration) {
      if (duration == null || duration.compareTo(Duration.ofMillis(1)) < 0
          || duration.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("lease duration must be in [1 ms, 1 day], got "
            + duration);
      }
      return duration.toNanos();
    }

    @Override
    public void close() {
      member.close();
    }

    /** A lease this member holds (or held). */
    private final class Held implements Lease {
      private final String resource;
      private final long token;
      private volatile long expiryNanos;
      private volatile long timerStart; // System.nanoTime() when the latest request was sent
      private volatile long timerNanos; // ... and the duration it asked for
      private volatile boolean released;

      Held(String resource, LeaseTable.Grant grant, long sentAt, long duration) {
        this.resource = resource;
        this.token = grant.token();
        this.expiryNanos = grant.expiryNanos();
        this.timerStart = sentAt;
        this.timerNanos = duration;
      }

      @Override
      public String resource() {
        return resource;
      }

      @Override
      public long fencingToken() {
        return token;
      }

      @Override
      public long expiryNanos() {
        return expiryNanos;
      }

      @Override
      public boolean isValid() {
        if (released) {
          return false;
        }
        // Our own measure first: the monotonic time since the request left, slowed by ρ.
        long elapsed = System.nanoTime() - timerStart;
        if (elapsed >= (long) (timerNanos * (1 - maxDrift))) {
          return false;
        }
        return clock.tryNow().map(now -> now.latest() < expiryNanos).orElse(false);
      }

      @Override
      public Lease renew(Duration duration) {
        long nanos = checkDuration(duration);
        long sentAt = System.nanoTime();
        LeaseTable.Result r = member.submit(new LeaseTable.Op(LeaseTable.Kind.RENEW, resource,
            token, nanos, clock.now().earliest())).join();
        if (!r.granted()) {
          throw new LeaseUnavailableException("renewing lost " + describe(resource, r.grant()));
        }
        expiryNanos = r.grant().expiryNanos();
        timerStart = sentAt;
        timerNanos = nanos;
        return this;
      }

      @Override
      public void release() {
        released = true;
        member.submit(new LeaseTable.Op(LeaseTable.Kind.RELEASE, resource, token, 0, 0)).join();
      }

      @Override
      public String toString() {
        return "Lease{" + resource + ", token " + token + ", until " + expiryNanos + "}";
      }
    }
  }
}
