package dev.meridian.bench;

import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.RocksRecordStore;
import dev.meridian.keystore.store.StoreException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * {@code ./meridian bench keystore}: the key service on 3×3 and 4×4 grids (grid-cr, f = 1), all
 * servers and clients in this JVM on 127.0.0.1, each server storing in its own RocksDB (write-ahead
 * log, no fsync: an acknowledged write survives kill -9 of the process). Closed-loop clients, one
 * thread each, write 32-byte secrets to their own keys, then read them back; each phase is warmed
 * up, then measured. Reported per grid: writes/s, reads/s, p50/p99 latency, and messages per
 * operation (requests + replies). Then Meridian's verifiable Shamir against com.codahale:shamir
 * ({@link ShamirBench}). Last line (n = 9): {@code keystore_reads_per_s=<n>
 * keystore_writes_per_s=<n> read_p99_ms=<n>}.
 */
public final class KeystoreBench {
  /** How long to warm up and measure each phase. */
  public enum Length {
    FULL(Duration.ofSeconds(5), Duration.ofSeconds(10), 8),
    QUICK(Duration.ofSeconds(1), Duration.ofSeconds(2), 4);

    final Duration warmUp;
    final Duration measured;
    final int clients;

    Length(Duration warmUp, Duration measured, int clients) {
      this.warmUp = warmUp;
      this.measured = measured;
      this.clients = clients;
    }
  }

  private static final int KEYS_PER_CLIENT = 16;

  private KeystoreBench() {}

  /** One phase's figures. */
  record Phase(double opsPerSecond, double p50Millis, double p99Millis, double messagesPerOp,
      long failures) {}

  /** Runs the benchmark; false if an operation failed. */
  public static boolean run(Length length, PrintStream out) throws Exception {
    out.println("keystore bench: grid-cr f=1, " + length.clients + " closed-loop clients, "
        + "32-byte secrets, RocksDB stores, all in this JVM on 127.0.0.1; warm-up at least "
        + length.warmUp.toSeconds() + " s and until the JIT settles, measured "
        + length.measured.toSeconds() + " s per phase");
    Phase[] nine = null;
    boolean ok = true;
    for (int n : new int[] {9, 16}) {
      Phase[] phases = runGrid(n, length, out);
      ok &= phases[0].failures == 0 && phases[1].failures == 0;
      if (n == 9) {
        nine = phases;
      }
    }
    ShamirBench.Result shamir = ShamirBench.run(out, length == Length.QUICK);
    out.println("shamir (n=9, t=5, 32-byte secret): see the lines above; meridian feldman "
        + "split+verify+reconstruct vs codahale split+join");
    out.printf(Locale.ROOT, "keystore_reads_per_s=%d keystore_writes_per_s=%d read_p99_ms=%d%n",
        Math.round(nine[1].opsPerSecond), Math.round(nine[0].opsPerSecond),
        Math.round(Math.ceil(nine[1].p99Millis)));
    return ok && shamir != null;
  }

  private static Phase[] runGrid(int n, Length length, PrintStream out) throws Exception {
    Path dir = Files.createTempDirectory("meridian-keystore-bench-");
    List<String> clientIds = new ArrayList<>();
    for (int c = 0; c < length.clients; c++) {
      clientIds.add("bench" + c);
    }
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(n, 1), clientIds, i -> {
      try {
        return RocksRecordStore.open(dir.resolve("server" + i),
            RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE);
      } catch (StoreException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }, i -> KeystoreGrpcService::new)) {
      out.println("grid n=" + n + ": " + grid.quorums().describe());
      List<KeystoreClient> clients = new ArrayList<>();
      for (String id : clientIds) {
        clients.add(grid.client(id, Duration.ofSeconds(10)));
      }
      try {
        // Every key written once before anything is measured, so that reads find them all.
        for (int c = 0; c < clients.size(); c++) {
          for (int k = 0; k < KEYS_PER_CLIENT; k++) {
            clients.get(c).put("bench/" + c + "/" + k, new byte[32]);
          }
        }
        Phase writes = phase(clients, length, true);
        report(out, n, "writes", writes);
        Phase reads = phase(clients, length, false);
        report(out, n, "reads", reads);
        return new Phase[] {writes, reads};
      } finally {
        clients.forEach(KeystoreClient::close);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static void report(PrintStream out, int n, String what, Phase p) {
    out.printf(Locale.ROOT, "n=%d %s_per_s=%.0f p50_ms=%.2f p99_ms=%.2f messages_per_op=%.1f "
        + "failures=%d (after %.0f s of warm-up, %s)%n", n, what, p.opsPerSecond, p.p50Millis,
        p.p99Millis, p.messagesPerOp, p.failures, warmUpSeconds,
        jitSettled ? "JIT settled" : "JIT NOT settled");
  }

  /** Warm-up then measurement of one kind of operation, all clients closed loop. */
  private static Phase phase(List<KeystoreClient> clients, Length length, boolean writes)
      throws Exception {
    warmUp(clients, length, writes);
    long callsBefore = clients.stream().mapToLong(KeystoreClient::callsSent).sum();
    long[][] latencies = new long[clients.size()][];
    long start = System.nanoTime();
    long[] failures = loop(clients, length.measured, writes, latencies);
    double seconds = (System.nanoTime() - start) / 1e9;
    long calls = clients.stream().mapToLong(KeystoreClient::callsSent).sum() - callsBefore;
    long[] all = Stream.of(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    long ops = all.length;
    return new Phase(ops / seconds, percentile(all, 0.50), percentile(all, 0.99),
        ops == 0 ? 0 : 2.0 * calls / ops, Arrays.stream(failures).sum());
  }

  /**
   * Runs the load in one-second slices for at least the warm-up time and until two slices in a
   * row spent under 5 % of their time compiling with no C2 compilation queued (at most 60 s, or
   * 6 s with --quick), so that the measurement sees compiled code.
   */
  private static void warmUp(List<KeystoreClient> clients, Length length, boolean writes)
      throws Exception {
    java.lang.management.CompilationMXBean jit =
        java.lang.management.ManagementFactory.getCompilationMXBean();
    long begin = System.nanoTime();
    long minEnd = begin + length.warmUp.toNanos();
    long maxEnd = begin + (length == Length.QUICK ? 6 : 60) * 1_000_000_000L;
    int quiet = 0;
    while (System.nanoTime() < maxEnd && (System.nanoTime() < minEnd || quiet < 2)) {
      long jitBefore = jit.getTotalCompilationTime();
      long t0 = System.nanoTime();
      loop(clients, Duration.ofSeconds(1), writes, new long[clients.size()][]);
      double share = (jit.getTotalCompilationTime() - jitBefore) * 1e6 / (System.nanoTime() - t0);
      quiet = share < 0.05 && JitActivity.c2Pending() <= 0 ? quiet + 1 : 0;
    }
    warmUpSeconds = (System.nanoTime() - begin) / 1e9;
    jitSettled = quiet >= 2;
  }

  // What the last warm-up did, for the report line.
  private static double warmUpSeconds;
  private static boolean jitSettled;

  private static long[] loop(List<KeystoreClient> clients, Duration duration, boolean writes,
      long[][] latencies) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    AtomicBoolean stop = new AtomicBoolean();
    long[] failures = new long[clients.size()];
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      for (int c = 0; c < clients.size(); c++) {
        KeystoreClient client = clients.get(c);
        int id = c;
        futures.add(pool.submit(() -> {
          long[] lat = new long[1 << 16];
          int count = 0;
          long failed = 0;
          byte[] secret = new byte[32];
          for (int i = 0; !stop.get(); i++) {
            String key = "bench/" + id + "/" + (i % KEYS_PER_CLIENT);
            Arrays.fill(secret, (byte) i);
            long t0 = System.nanoTime();
            try {
              if (writes) {
                client.put(key, secret);
              } else {
                client.get(key);
              }
            } catch (Exception e) {
              failed++;
              continue;
            }
            if (count == lat.length) {
              lat = Arrays.copyOf(lat, count * 2);
            }
            lat[count++] = System.nanoTime() - t0;
          }
          failures[id] = failed;
          return Arrays.copyOf(lat, count);
        }));
      }
      Thread.sleep(duration.toMillis());
      stop.set(true);
      for (int c = 0; c < futures.size(); c++) {
        latencies[c] = futures.get(c).get(30, TimeUnit.SECONDS);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    return failures;
  }

  private static double percentile(long[] sortedNanos, double q) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(q * sortedNanos.length) - 1);
    return sortedNanos[Math.max(0, i)] / 1e6;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
