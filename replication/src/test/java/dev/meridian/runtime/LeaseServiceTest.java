package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.lease.FencingGuard;
import dev.meridian.lease.Lease;
import dev.meridian.lease.LeaseService;
import dev.meridian.lease.LeaseUnavailableException;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.testing.LoopbackPorts;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three members on 127.0.0.1, each with a synchronized clock and the replicated lease table. */
class LeaseServiceTest {
  private final List<SyncedClock> clocks = new ArrayList<>();
  private final List<LeaseService> leases = new ArrayList<>();

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  @BeforeEach
  void start() throws Exception {
    int[] ports = LoopbackPorts.free(6);
    for (int i = 0; i < 3; i++) {
      // Every member is a reference (they share this host's clock) and asks the others.
      SyncedClockBuilder c = SyncedClock.builder().nodeId(m(i)).listen("127.0.0.1:" + ports[i])
          .period(Duration.ofMillis(5)).reference(Duration.ofMillis(1));
      GroupMemberBuilder g = GroupMember.builder().nodeId(m(i))
          .listen("127.0.0.1:" + ports[3 + i])
          .heartbeatInterval(Duration.ofMillis(50)).suspectAfter(Duration.ofMillis(3000));
      for (int j = 0; j < 3; j++) {
        if (j != i) {
          c.peer(m(j), "127.0.0.1:" + ports[j]);
          g.peer(m(j), "127.0.0.1:" + ports[3 + j]);
        }
      }
      SyncedClock clock = c.start();
      clocks.add(clock);
      leases.add(Leases.start(g, clock, 1e-4));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (SyncedClock clock : clocks) {
      while (clock.tryNow().isEmpty()) {
        assertTrue(System.nanoTime() < deadline, clock.nodeId() + " never synchronized");
        Thread.sleep(5);
      }
    }
  }

  @AfterEach
  void stop() {
    leases.forEach(LeaseService::close);
    clocks.forEach(SyncedClock::close);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void oneHolderAtATimeWithIncreasingTokensAndStaleWritesFenced() throws Exception {
    FencingGuard storage = new FencingGuard();
    Lease first = leases.get(1).acquire("printer", Duration.ofMillis(400)).join();
    assertTrue(first.isValid());
    assertTrue(storage.admit("printer", first.fencingToken()));

    CompletionException taken = assertThrows(CompletionException.class,
        () -> leases.get(2).acquire("printer", Duration.ofMillis(400)).join());
    assertTrue(taken.getCause() instanceof LeaseUnavailableException, taken.toString());
    assertTrue(taken.getCause().getMessage().contains("leased to m1"), taken.getMessage());

    // m1 "pauses" past its expiry: its lease is no longer valid when it wakes...
    Thread.sleep(450);
    assertFalse(first.isValid(), "a lease past its expiry must not be valid");
    // ...and until every clock is past the expiry, nobody else gets it; then m2 does.
    Lease second = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (second == null) {
      try {
        second = leases.get(2).acquire("printer", Duration.ofSeconds(5)).join();
      } catch (CompletionException e) {
        assertTrue(System.nanoTime() < deadline, "m2 never got the expired lease: " + e);
        Thread.sleep(10);
      }
    }
    assertTrue(second.fencingToken() > first.fencingToken());
    assertTrue(second.expiryNanos() > first.expiryNanos());
    assertTrue(storage.admit("printer", second.fencingToken()));
    assertFalse(storage.admit("printer", first.fencingToken()), "the paused holder's write");

    // Renewing keeps the token and extends; a stale holder cannot renew or release it.
    long before = second.expiryNanos();
    assertEquals(second.fencingToken(), second.renew(Duration.ofSeconds(10)).fencingToken());
    assertTrue(second.expiryNanos() > before);
    assertThrows(LeaseUnavailableException.class, () -> first.renew(Duration.ofSeconds(1)));
    first.release(); // a no-op: it no longer holds it
    assertThrows(CompletionException.class,
        () -> leases.get(0).acquire("printer", Duration.ofSeconds(1)).join());

    // Released: the next grant gets the next token.
    second.release();
    assertFalse(second.isValid());
    Lease third = leases.get(0).acquire("printer", Duration.ofSeconds(1)).join();
    assertEquals(second.fencingToken() + 1, third.fencingToken());
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aLeaseOutlivesTheMemberThatCoordinatedItsGrant() throws Exception {
    // m0 is the oldest member, so the coordinator and sequencer of the group.
    Lease held = leases.get(1).acquire("db", Duration.ofSeconds(30)).join();
    leases.get(0).close();
    clocks.get(0).close();
    // After the view change, the table still says m1 holds it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        leases.get(2).acquire("db", Duration.ofSeconds(1)).join();
        throw new AssertionError("m2 was granted a lease m1 holds");
      } catch (CompletionException e) {
        if (e.getCause() instanceof LeaseUnavailableException) {
          assertTrue(e.getCause().getMessage().contains("leased to m1"), e.getMessage());
          break;
        }
        assertTrue(System.nanoTime() < deadline, "no decision without m0: " + e);
        Thread.sleep(50);
      }
    }
    assertTrue(held.isValid());
  }

  @Test
  void badRequestsAreRefusedNamingWhatIsWrong() {
    LeaseService s = leases.get(0);
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> s.acquire("x", Duration.ofMillis(-1))).getMessage().contains("duration"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> s.acquire("", Duration.ofSeconds(1))).getMessage().contains("resource"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> s.acquire("r".repeat(2000), Duration.ofSeconds(1))).getMessage()
        .contains("1024"));
  }
}
