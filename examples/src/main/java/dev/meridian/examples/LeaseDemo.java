package dev.meridian.examples;

import dev.meridian.NodeId;
import dev.meridian.lease.FencingGuard;
import dev.meridian.lease.Lease;
import dev.meridian.lease.LeaseService;
import dev.meridian.lease.LeaseUnavailableException;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.runtime.Leases;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockBuilder;
import dev.meridian.time.TimeInterval;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Leases on synchronized time, three members in this process over gRPC on 127.0.0.1: their clock
 * intervals, a lease taken, the holder paused past its expiry, another member taking the lease
 * with a higher fencing token, and the paused holder's late write refused by the storage's
 * {@link FencingGuard}.
 */
public final class LeaseDemo {
  private LeaseDemo() {}

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  /** Runs the demo; false if anything turned out other than the guarantee says. */
  public static boolean run(PrintStream out) throws Exception {
    int[] ports = LoopbackPorts.free(6);
    List<SyncedClock> clocks = new ArrayList<>();
    List<LeaseService> leases = new ArrayList<>();
    boolean ok = true;
    out.println("Leases: three members on 127.0.0.1; m0 is the time reference (±1 ms), m1 and m2"
        + " synchronize from it.");
    try {
      for (int i = 0; i < 3; i++) {
        SyncedClockBuilder c = SyncedClock.builder().nodeId(m(i))
            .listen("127.0.0.1:" + ports[i]).period(Duration.ofMillis(5)).source(m(0));
        if (i == 0) {
          c.reference(Duration.ofMillis(1));
        }
        GroupMemberBuilder g = GroupMember.builder().nodeId(m(i))
            .listen("127.0.0.1:" + ports[3 + i]);
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
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (clocks.stream().anyMatch(c -> c.tryNow().isEmpty())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the clocks did not synchronize within 20 s");
        }
        Thread.sleep(10);
      }
      Thread.sleep(300); // a few more exchanges narrow the intervals
      TimeInterval[] now = new TimeInterval[3];
      for (int i = 0; i < 3; i++) {
        now[i] = clocks.get(i).now(); // read back to back, printed after
      }
      long base = now[0].earliest() + now[0].widthNanos() / 2;
      for (int i = 0; i < 3; i++) {
        out.printf(Locale.ROOT, "  m%d now: [%+.3f ms, %+.3f ms] around m0's midpoint"
            + " (half-width %.1f µs)%n", i, (now[i].earliest() - base) / 1e6,
            (now[i].latest() - base) / 1e6, now[i].widthNanos() / 2e3);
      }

      FencingGuard storage = new FencingGuard();
      Lease first = awaitLease(leases.get(1), Duration.ofMillis(500));
      out.printf(Locale.ROOT, "  m1 takes the lease on 'printer' for 500 ms: token %d, valid %s%n",
          first.fencingToken(), first.isValid());
      ok &= first.isValid();
      boolean written = storage.admit("printer", first.fencingToken());
      out.println("  m1 writes with token " + first.fencingToken() + ": "
          + (written ? "accepted" : "REFUSED"));
      ok &= written;
      try {
        leases.get(2).acquire("printer", Duration.ofMillis(500)).join();
        out.println("  m2 asks too: granted  <-- UNEXPECTED");
        ok = false;
      } catch (CompletionException e) {
        out.println("  m2 asks too: refused (" + e.getCause().getMessage() + ")");
        ok &= e.getCause() instanceof LeaseUnavailableException;
      }

      out.println("  m1 pauses for 700 ms (a GC pause, a stopped VM)...");
      Thread.sleep(700);
      out.println("  m1 wakes: its lease is valid? " + first.isValid());
      ok &= !first.isValid();
      Lease second = awaitLease(leases.get(2), Duration.ofSeconds(2));
      out.printf(Locale.ROOT, "  m2 takes the lease: token %d (higher than %d)%n",
          second.fencingToken(), first.fencingToken());
      ok &= second.fencingToken() > first.fencingToken();
      ok &= storage.admit("printer", second.fencingToken());
      out.println("  m2 writes with token " + second.fencingToken() + ": accepted");
      boolean stale = storage.admit("printer", first.fencingToken());
      out.println("  m1, not checking first, writes with its old token " + first.fencingToken()
          + ": " + (stale ? "accepted  <-- UNEXPECTED" : "rejected as stale by the storage"));
      ok &= !stale;
      second.release();
      out.println(ok ? "Leases: one holder at a time, and the stale write was fenced off."
          : "Leases: SOMETHING WENT WRONG (see above)");
      return ok;
    } finally {
      leases.forEach(LeaseService::close);
      clocks.forEach(SyncedClock::close);
    }
  }

  /** Acquires, retrying while the previous holder's lease may still be running somewhere. */
  private static Lease awaitLease(LeaseService service, Duration duration) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return service.acquire("printer", duration).join();
      } catch (CompletionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }
}
