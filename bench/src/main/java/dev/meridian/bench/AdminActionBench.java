package dev.meridian.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admin actions end to end, as a user issues them: closed-loop clients of a {@link LocalGrid}
 * (all servers and clients in this JVM over gRPC on 127.0.0.1) each grant and revoke a right on
 * its own key prefix, over and over. Every action is signed by its client, ordered by
 * Dolev–Strong among the servers (batched: each slot carries every request waiting at a server),
 * checked and applied by every server's ledger, and answered once n − f servers report it
 * applied. At the end every server must hold the same policy after the same number of actions.
 */
final class AdminActionBench {
  /** One grid's figures. */
  record Figures(int n, int f, double perSecond, double p50Ms, double p99Ms,
      double cpuMsPerAction, long failures, boolean serversAgree) {}

  private AdminActionBench() {}

  static Figures measure(int n, int f, int clients, Duration round, AgreementBench.Length length,
      PrintStream out) throws Exception {
    List<String> ids = new ArrayList<>();
    List<AccessPolicy.Rule> rules = new ArrayList<>();
    rules.add(new AccessPolicy.Rule("", Set.of(), Set.of(), Set.of("root")));
    ids.add("root");
    for (int c = 0; c < clients; c++) {
      String id = "c" + c;
      ids.add(id);
      rules.add(new AccessPolicy.Rule(id + "/", Set.of(), Set.of(), Set.of(id)));
    }
    warmEd25519();
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(n, f), ids,
        AccessPolicy.of(rules), i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new,
        round)) {
      List<KeystoreClient> handles = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        handles.add(grid.client("c" + c, Duration.ofSeconds(20)));
      }
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      Load load = new Load(handles, pool, round);
      try {
        warmUp(length, n, load.rampedUp, out);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory
            .getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long checked0 = VerifyingKey.verificationsSoFar();
        long made0 = SigningKey.signaturesSoFar();
        long calls0 = handles.stream().mapToLong(KeystoreClient::callsSent).sum();
        long relayed0 = agreementMessages(grid, n);
        long began = load.measureFor(TimeUnit.SECONDS.toNanos(length.measureSeconds));
        double seconds = (System.nanoTime() - began) / 1e9;
        long cpu = os.getProcessCpuTime() - cpu0;
        long actions = load.latencies.size();
        double per = Math.max(1, actions);
        double checked = (VerifyingKey.verificationsSoFar() - checked0) / per;
        double made = (SigningKey.signaturesSoFar() - made0) / per;
        double calls = (handles.stream().mapToLong(KeystoreClient::callsSent).sum() - calls0) / per;
        double relayed = (agreementMessages(grid, n) - relayed0) / per;
        long failures = load.failures.get();
        load.stop();
        long[] sorted = load.latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        boolean agree = serversAgree(grid, n);
        Figures fig = new Figures(n, f, actions / seconds, percentile(sorted, 0.5) / 1e6,
            percentile(sorted, 0.99) / 1e6, actions == 0 ? 0 : cpu / 1e6 / actions, failures,
            agree);
        out.printf(Locale.ROOT, "n=%d f=%d admin_actions_per_s=%.0f p50_ms=%.1f p99_ms=%.1f"
            + " (Δ = %d ms, %d closed-loop clients, grant/revoke through the key servers)"
            + " cpu_ms_per_action=%.2f failures=%d servers_agree=%s (%d actions applied)%n",
            n, f, fig.perSecond, fig.p50Ms, fig.p99Ms, round.toMillis(), clients,
            fig.cpuMsPerAction, failures, agree ? "yes" : "NO",
            grid.server(0).adminSequence());
        if (load.firstFailure.get() != null) {
          out.printf(Locale.ROOT, "n=%d first failure: %s%n", n, load.firstFailure.get());
        }
        out.printf(Locale.ROOT, "n=%d where the time goes, per admin action (all %d servers and"
            + " the clients, counted): Ed25519 checks %.1f, Ed25519 signatures %.1f, client calls"
            + " %.1f, agreement messages between servers %.1f%n", n, n, checked, made, calls,
            relayed);
        return fig;
      } finally {
        load.stop();
        pool.shutdownNow();
        handles.forEach(KeystoreClient::close);
      }
    }
  }

  /**
   * Signs and checks a few thousand times before the grid starts. Interpreted, one Ed25519
   * check takes tens of ms, and the first busy slot of a cold JVM ran its round messages up to
   * 105 ms late with a single client, which can cost the servers their agreement at Δ = 100 ms.
   */
  private static void warmEd25519() {
    SigningKey key = SigningKey.generate(new java.security.SecureRandom());
    VerifyingKey verifying = key.verifyingKey();
    byte[] message = new byte[160];
    boolean ok = true;
    for (int i = 0; i < 3000; i++) {
      message[i % message.length]++;
      ok &= verifying.verify(message, key.sign(message));
    }
    if (!ok) {
      throw new IllegalStateException("Ed25519 does not verify its own signatures");
    }
  }

  /**
   * Waits at least the warm-up and the clients' ramp-up, and until two one-second slices in a row spent under 5 % of their
   * time compiling with no C2 compilation queued (at most 60 s, 10 s with --quick), as the bare
   * broadcasts do: with a 5 s warm-up the JIT compilers still took about a third of the CPU in
   * the measured window (JFR, 2026-11-25), which is not the cost of an admin action.
   */
  private static void warmUp(AgreementBench.Length length, int n, long rampedUp,
      PrintStream out) throws InterruptedException {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long begin = System.nanoTime();
    long minEnd = Math.max(rampedUp, begin + TimeUnit.SECONDS.toNanos(length.warmUpSeconds));
    long maxEnd = Math.max(rampedUp,
        begin + TimeUnit.SECONDS.toNanos(length == AgreementBench.Length.QUICK ? 10 : 60));
    int quiet = 0;
    while (System.nanoTime() < maxEnd && (System.nanoTime() < minEnd || quiet < 2)) {
      long jitBefore = jit.getTotalCompilationTime();
      long t0 = System.nanoTime();
      Thread.sleep(1000);
      double share = (jit.getTotalCompilationTime() - jitBefore) * 1e6 / (System.nanoTime() - t0);
      quiet = share < 0.05 && JitActivity.c2Pending() <= 0 ? quiet + 1 : 0;
    }
    out.printf(Locale.ROOT, "n=%d admin actions: warm-up %.0f s (%s)%n", n,
        (System.nanoTime() - begin) / 1e9, quiet >= 2 ? "JIT settled" : "JIT NOT settled");
  }

  /**
   * The closed-loop clients, started once and running through the warm-up and the measurement:
   * each grants and revokes a right on its own prefix, over and over. Their starts ramp up, and
   * they are never stopped and restarted together, since a burst of hundreds of requests at one
   * instant delays round messages on two cores by more than Δ.
   */
  private static final class Load {
    final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    final AtomicLong failures = new AtomicLong();
    final java.util.concurrent.atomic.AtomicReference<String> firstFailure =
        new java.util.concurrent.atomic.AtomicReference<>();
    private volatile boolean stop;
    private volatile long measureFrom = Long.MAX_VALUE;
    private volatile long measureTo = Long.MAX_VALUE;
    private final List<Future<?>> running = new ArrayList<>();
    /** When the last client starts. */
    final long rampedUp;
    private static final long ALONE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long RAMP_NANOS = TimeUnit.SECONDS.toNanos(8);

    Load(List<KeystoreClient> clients, ExecutorService pool, Duration round) {
      long start = System.nanoTime();
      rampedUp = start + ALONE_NANOS + RAMP_NANOS;
      for (int c = 0; c < clients.size(); c++) {
        KeystoreClient client = clients.get(c);
        String prefix = "c" + c + "/";
        // One client alone at first, then the rest over RAMP_NANOS: a cold JVM (interpreted
        // code, compilers busy) answering hundreds of clients at once ran round messages
        // 0.1-0.6 s late in the grid's first second, and the servers missed a slot and
        // disagreed (2026-11-25).
        long at = c == 0 ? start
            : start + ALONE_NANOS + RAMP_NANOS * c / clients.size();
        running.add(pool.submit(() -> {
          long wait = at - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          boolean grant = true;
          while (!stop) {
            long t0 = System.nanoTime();
            KeystoreException failed = null;
            try {
              if (grant) {
                client.grant(prefix, "root", AccessPolicy.Right.READ);
              } else {
                client.revoke(prefix, "root", AccessPolicy.Right.READ);
              }
            } catch (KeystoreException e) {
              failed = e;
            }
            long t1 = System.nanoTime();
            // An action counts if it completed within the measured window.
            if (t1 >= measureFrom && t1 < measureTo) {
              if (failed != null) {
                failures.incrementAndGet();
                firstFailure.compareAndSet(null, failed.code() + ": " + failed.getMessage());
              } else {
                latencies.add(t1 - t0);
              }
            }
            grant = !grant;
          }
          return null;
        }));
      }
    }

    /** Counts the actions completed in the next {@code nanos}; returns when the window began. */
    long measureFor(long nanos) throws InterruptedException {
      long from = System.nanoTime();
      measureFrom = from;
      TimeUnit.NANOSECONDS.sleep(nanos);
      measureTo = System.nanoTime();
      return from;
    }

    void stop() throws Exception {
      stop = true;
      for (Future<?> f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
      running.clear();
    }
  }

  private static long agreementMessages(LocalGrid grid, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      sum += grid.server(i).agreementMessagesSent();
    }
    return sum;
  }

  /** Waits (at most 10 s) for every server to hold server 0's policy and action count. */
  private static boolean serversAgree(LocalGrid grid, int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      boolean same = true;
      for (int i = 1; i < n; i++) {
        same &= grid.server(i).adminSequence() == grid.server(0).adminSequence()
            && grid.server(i).core().policy().equals(grid.server(0).core().policy());
      }
      if (same || System.nanoTime() > until) {
        return same;
      }
      Thread.sleep(50);
    }
  }

  private static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
  }
}
