package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.time.ClockUnsynchronizedException;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.TimeInterval;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./meridian bench clocksync}: three {@link SyncedClock} members in this JVM, over gRPC on
 * 127.0.0.1. m0 is the reference (its wall clock, vouched for with zero error: it defines true
 * time here); m1 and m2 synchronize from it every 2 ms with ρ = 100 ppm and no minimum delay
 * assumed. Every 10 ms for the measured period, each member's {@code now()} is read.
 *
 * <p>Reported: the median half-width of m1's and m2's intervals (their uncertainty: the bound on
 * their distance from the reference) and the median, over samples, of the largest distance
 * between the three members' midpoints (their measured precision: all three share this host's
 * clock, so any distance is disagreement). Each sample also checks the guarantee: every interval
 * must contain the host's wall clock read around it; a miss fails the run (exit 1). Last line
 * {@code clock_uncertainty_us=<n> clock_precision_us=<n>}.
 */
public final class ClockSyncBench {
  /**
   * How often m1 and m2 ask. Every 2 ms keeps the threads on both ends awake: at 10 ms, waking
   * parked threads on this 2-core VM adds hundreds of µs to each round trip (half-width ~450 µs).
   */
  static final Duration PERIOD = Duration.ofMillis(2);

  private ClockSyncBench() {}

  /** How long to synchronize before and while measuring. */
  public enum Length {
    FULL(Duration.ofSeconds(3), Duration.ofSeconds(10)),
    QUICK(Duration.ofSeconds(1), Duration.ofSeconds(2));

    final Duration warmUp;
    final Duration measured;

    Length(Duration warmUp, Duration measured) {
      this.warmUp = warmUp;
      this.measured = measured;
    }
  }

  private static long wallNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** Runs the benchmark; false if an interval missed the host's clock or nobody synchronized. */
  public static boolean run(Length length, PrintStream out) throws InterruptedException {
    int[] ports = Ports.freeLoopbackPorts(3);
    List<SyncedClock> clocks = new ArrayList<>();
    boolean ok;
    String last;
    out.printf(Locale.ROOT, "clocksync: 3 members on 127.0.0.1 (m0 reference; m1, m2 ask it"
        + " every %d ms; rho 100 ppm); %d s warm-up, %d s measured%n", PERIOD.toMillis(),
        length.warmUp.toSeconds(), length.measured.toSeconds());
    try {
      for (int i = 0; i < 3; i++) {
        var b = SyncedClock.builder()
            .nodeId(NodeId.of("m" + i))
            .listen("127.0.0.1:" + ports[i])
            .period(PERIOD)
            .maxDrift(1e-4);
        for (int j = 0; j < 3; j++) {
          if (j != i) {
            b.peer(NodeId.of("m" + j), "127.0.0.1:" + ports[j]);
          }
        }
        if (i == 0) {
          b.reference(Duration.ZERO).source(NodeId.of("m0"));
        } else {
          b.source(NodeId.of("m0"));
        }
        clocks.add(b.start());
      }
      TimeUnit.NANOSECONDS.sleep(length.warmUp.toNanos());
      List<Long> halfWidths = new ArrayList<>();
      List<Long> spreads = new ArrayList<>();
      List<Long> bounds = new ArrayList<>();
      long misses = 0;
      long unsynchronized = 0;
      long end = System.nanoTime() + length.measured.toNanos();
      while (System.nanoTime() < end) {
        long before = wallNanos();
        TimeInterval[] at = new TimeInterval[3];
        long[] readAt = new long[3];
        try {
          for (int i = 0; i < 3; i++) {
            readAt[i] = System.nanoTime();
            at[i] = clocks.get(i).now();
          }
        } catch (ClockUnsynchronizedException e) {
          unsynchronized++;
          TimeUnit.MILLISECONDS.sleep(10);
          continue;
        }
        long after = wallNanos();
        double lowest = Double.MAX_VALUE;
        double highest = -Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
          if (at[i].latest() < before || at[i].earliest() > after) {
            misses++;
          }
          if (i > 0) {
            halfWidths.add((at[i].widthNanos() + 1) / 2);
            bounds.add(clocks.get(i).precisionNanos());
          }
          // Midpoints moved back to the first read's instant, so reading order adds nothing.
          double mid = at[i].earliest() + at[i].widthNanos() / 2.0 - (readAt[i] - readAt[0]);
          lowest = Math.min(lowest, mid);
          highest = Math.max(highest, mid);
        }
        spreads.add((long) (highest - lowest));
        TimeUnit.MILLISECONDS.sleep(10);
      }
      if (halfWidths.isEmpty()) {
        out.println("clocksync: no member was ever synchronized (" + unsynchronized
            + " samples without an interval)");
        return false;
      }
      long[] hw = halfWidths.stream().mapToLong(Long::longValue).sorted().toArray();
      long[] sp = spreads.stream().mapToLong(Long::longValue).sorted().toArray();
      out.printf(Locale.ROOT, "uncertainty half-width of m1, m2 (us): p50 %.1f p90 %.1f p99 %.1f"
          + " max %.1f (%d samples)%n", hw[hw.length / 2] / 1e3, hw[hw.length * 9 / 10] / 1e3,
          hw[hw.length * 99 / 100] / 1e3, hw[hw.length - 1] / 1e3, hw.length);
      out.printf(Locale.ROOT, "precision, largest distance between the 3 midpoints (us): p50 %.1f"
          + " p90 %.1f p99 %.1f max %.1f%n", sp[sp.length / 2] / 1e3,
          sp[sp.length * 9 / 10] / 1e3, sp[sp.length * 99 / 100] / 1e3, sp[sp.length - 1] / 1e3);
      long[] pb = bounds.stream().mapToLong(Long::longValue).sorted().toArray();
      out.printf(Locale.ROOT, "precisionNanos() of m1, m2, the bound on their distance from m0"
          + " (us): p50 %.1f p99 %.1f%n", pb[pb.length / 2] / 1e3, pb[pb.length * 99 / 100] / 1e3);
      out.printf(Locale.ROOT, "intervals missing the host clock: %d; samples without an interval:"
          + " %d%n", misses, unsynchronized);
      ok = misses == 0;
      last = String.format(Locale.ROOT, "clock_uncertainty_us=%d clock_precision_us=%d",
          Math.round(hw[hw.length / 2] / 1e3), Math.round(sp[sp.length / 2] / 1e3));
    } finally {
      for (SyncedClock c : clocks) {
        c.close();
      }
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
