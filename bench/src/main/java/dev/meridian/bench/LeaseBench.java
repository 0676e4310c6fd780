package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.lease.Lease;
import dev.meridian.lease.LeaseService;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.runtime.Leases;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockBuilder;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./meridian bench leases}: three members in this JVM over gRPC on 127.0.0.1, each with a
 * {@link SyncedClock} (m0 the reference) and the replicated lease table. Each member runs one
 * loop on its own resource: acquire for 1 s, then release — two total-order round trips through
 * the group per iteration. Reported: completed acquire→release pairs per second (all three
 * loops) and acquire latency percentiles. Last line {@code lease_ops_per_s=<n>
 * acquire_p99_us=<n>}.
 */
public final class LeaseBench {
  private LeaseBench() {}

  /** How long to warm up and to measure. */
  public enum Length {
    FULL(Duration.ofSeconds(5), Duration.ofSeconds(10)),
    QUICK(Duration.ofSeconds(1), Duration.ofSeconds(2));

    final Duration warmUp;
    final Duration measured;

    Length(Duration warmUp, Duration measured) {
      this.warmUp = warmUp;
      this.measured = measured;
    }
  }

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  /** Runs the benchmark; false if a loop failed. */
  public static boolean run(Length length, PrintStream out) throws Exception {
    int[] ports = Ports.freeLoopbackPorts(6);
    List<SyncedClock> clocks = new ArrayList<>();
    List<LeaseService> leases = new ArrayList<>();
    out.printf(Locale.ROOT, "leases: 3 members on 127.0.0.1, one acquire(1 s)->release loop each"
        + " on its own resource; %d s warm-up, %d s measured%n", length.warmUp.toSeconds(),
        length.measured.toSeconds());
    String last;
    boolean ok = true;
    try {
      for (int i = 0; i < 3; i++) {
        SyncedClockBuilder c = SyncedClock.builder().nodeId(m(i))
            .listen("127.0.0.1:" + ports[i]).period(Duration.ofMillis(10)).source(m(0));
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
      long syncDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (clocks.stream().anyMatch(c -> c.tryNow().isEmpty())) {
        if (System.nanoTime() > syncDeadline) {
          throw new IllegalStateException("clocks not synchronized within 20 s");
        }
        Thread.sleep(10);
      }
      long start = System.nanoTime();
      long measureFrom = start + length.warmUp.toNanos();
      long end = measureFrom + length.measured.toNanos();
      LatencyHistogram acquire = new LatencyHistogram();
      AtomicLong pairs = new AtomicLong();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> loops = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        LeaseService service = leases.get(i);
        String resource = "resource-" + i;
        Thread t = new Thread(() -> {
          try {
            while (System.nanoTime() < end) {
              long t0 = System.nanoTime();
              Lease lease = service.acquire(resource, Duration.ofSeconds(1)).join();
              long t1 = System.nanoTime();
              lease.release();
              if (t0 >= measureFrom) {
                acquire.record(t1 - t0);
                pairs.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        }, "lease-loop-" + i);
        t.setDaemon(true);
        t.start();
        loops.add(t);
      }
      for (Thread t : loops) {
        t.join(length.warmUp.toMillis() + length.measured.toMillis() + 30_000);
      }
      if (!failures.isEmpty()) {
        out.println("leases: a loop failed: " + failures.get(0));
        ok = false;
      }
      double seconds = length.measured.toNanos() / 1e9;
      out.printf(Locale.ROOT, "acquire->release pairs: %d in %.0f s; acquire latency (us): p50 %.0f"
          + " p90 %.0f p99 %.0f%n", pairs.get(), seconds, acquire.quantile(0.5) / 1e3,
          acquire.quantile(0.9) / 1e3, acquire.quantile(0.99) / 1e3);
      last = String.format(Locale.ROOT, "lease_ops_per_s=%d acquire_p99_us=%d",
          Math.round(pairs.get() / seconds), Math.round(acquire.quantile(0.99) / 1e3));
    } finally {
      leases.forEach(LeaseService::close);
      clocks.forEach(SyncedClock::close);
    }
    out.println(last); // after closing, so that no shutdown log line follows it
    out.flush();
    return ok;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    System.exit(run(quick ? Length.QUICK : Length.FULL, System.out) ? 0 : 1);
  }
}
