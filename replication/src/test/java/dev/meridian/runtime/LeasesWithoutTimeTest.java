package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.lease.LeaseService;
import dev.meridian.replica.GroupMember;
import dev.meridian.time.ClockUnsynchronizedException;
import dev.meridian.time.SyncedClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Without a synchronized clock there is no safe grant: acquire fails, naming the clock. */
class LeasesWithoutTimeTest {
  @Test
  @Timeout(30)
  void acquireFailsWhileTheClockIsNotSynchronized() throws Exception {
    NodeId a = NodeId.of("a");
    NodeId b = NodeId.of("b");
    // b's clock is never started, so a's only source never answers.
    SyncedClock clock = SyncedClock.builder().nodeId(a).listen("memory:unsynced-clocks")
        .peer(b, "memory:unsynced-clocks").source(b).start();
    LeaseService leases = Leases.start(GroupMember.builder().nodeId(a)
        .listen("memory:unsynced-group").peer(b, "memory:unsynced-group"), clock, 1e-4);
    try {
      CompletableFuture<?> f = leases.acquire("printer", Duration.ofSeconds(1));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> f.get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof ClockUnsynchronizedException, e.toString());
      assertTrue(e.getCause().getMessage().contains("sources"), e.getCause().getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> leases.acquire("", Duration.ofSeconds(1)), "bad input still throws at once");
    } finally {
      leases.close();
      clock.close();
    }
  }
}
