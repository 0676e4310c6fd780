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
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(n, f), ids,
        AccessPolicy.of(rules), i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new,
        round)) {
      List<KeystoreClient> handles = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        handles.add(grid.client("c" + c, Duration.ofSeconds(20)));
      }
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        warmUp(handles, pool, length, n, out);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory
            .getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long checked0 = VerifyingKey.verificationsSoFar();
        long made0 = SigningKey.signaturesSoFar();
        long calls0 = handles.stream().mapToLong(KeystoreClient::callsSent).sum();
        long relayed0 = agreementMessages(grid, n);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long began = System.nanoTime();
        long failures = run(handles, pool, TimeUnit.SECONDS.toNanos(length.measureSeconds),
            latencies);
        double seconds = (System.nanoTime() - began) / 1e9;
        long actions = latencies.size();
        double per = Math.max(1, actions);
        double checked = (VerifyingKey.verificationsSoFar() - checked0) / per;
        double made = (SigningKey.signaturesSoFar() - made0) / per;
        double calls = (handles.stream().mapToLong(KeystoreClient::callsSent).sum() - calls0) / per;
        double relayed = (agreementMessages(grid, n) - relayed0) / per;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        boolean agree = serversAgree(grid, n);
        Figures fig = new Figures(n, f, actions / seconds, percentile(sorted, 0.5) / 1e6,
            percentile(sorted, 0.99) / 1e6,
            actions == 0 ? 0 : (os.getProcessCpuTime() - cpu0) / 1e6 / actions, failures, agree);
        out.printf(Locale.ROOT, "n=%d f=%d admin_actions_per_s=%.0f p50_ms=%.1f p99_ms=%.1f"
            + " (Δ = %d ms, %d closed-loop clients, grant/revoke through the key servers)"
            + " cpu_ms_per_action=%.2f failures=%d servers_agree=%s (%d actions applied)%n",
            n, f, fig.perSecond, fig.p50Ms, fig.p99Ms, round.toMillis(), clients,
            fig.cpuMsPerAction, failures, agree ? "yes" : "NO",
            grid.server(0).adminSequence());
        out.printf(Locale.ROOT, "n=%d where the time goes, per admin action (all %d servers and"
            + " the clients, counted): Ed25519 checks %.1f, Ed25519 signatures %.1f, client calls"
            + " %.1f, agreement messages between servers %.1f%n", n, n, checked, made, calls,
            relayed);
        return fig;
      } finally {
        pool.shutdownNow();
        handles.forEach(KeystoreClient::close);
      }
    }
  }

  /**
   * Runs the clients for at least the warm-up and until two one-second slices in a row spent
   * under 5 % of their time compiling with no C2 compilation queued (at most 60 s, 10 s with
   * --quick), as the bare broadcasts do: with a 5 s warm-up the JIT compilers still took about
   * a third of the CPU in the measured window (JFR, 2026-11-25), which is not the cost of an
   * admin action.
   */
  private static void warmUp(List<KeystoreClient> handles, ExecutorService pool,
      AgreementBench.Length length, int n, PrintStream out) throws Exception {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long begin = System.nanoTime();
    long minEnd = begin + TimeUnit.SECONDS.toNanos(length.warmUpSeconds);
    long maxEnd = begin + TimeUnit.SECONDS.toNanos(length == AgreementBench.Length.QUICK ? 10 : 60);
    int quiet = 0;
    while (System.nanoTime() < maxEnd && (System.nanoTime() < minEnd || quiet < 2)) {
      long jitBefore = jit.getTotalCompilationTime();
      long t0 = System.nanoTime();
      run(handles, pool, TimeUnit.SECONDS.toNanos(1), null);
      double share = (jit.getTotalCompilationTime() - jitBefore) * 1e6 / (System.nanoTime() - t0);
      quiet = share < 0.05 && JitActivity.c2Pending() <= 0 ? quiet + 1 : 0;
    }
    out.printf(Locale.ROOT, "n=%d admin actions: warm-up %.0f s (%s)%n", n,
        (System.nanoTime() - begin) / 1e9, quiet >= 2 ? "JIT settled" : "JIT NOT settled");
  }

  /** Every client grants and revokes in a loop for {@code nanos}; returns the failures. */
  private static long run(List<KeystoreClient> clients, ExecutorService pool, long nanos,
      ConcurrentLinkedQueue<Long> latencies) throws Exception {
    long end = System.nanoTime() + nanos;
    AtomicLong failures = new AtomicLong();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients.size(); c++) {
      KeystoreClient client = clients.get(c);
      String prefix = "c" + c + "/";
      running.add(pool.submit(() -> {
        boolean grant = true;
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          try {
            if (grant) {
              client.grant(prefix, "root", AccessPolicy.Right.READ);
            } else {
              client.revoke(prefix, "root", AccessPolicy.Right.READ);
            }
            if (latencies != null) {
              latencies.add(System.nanoTime() - t0);
            }
          } catch (KeystoreException e) {
            failures.incrementAndGet();
          }
          grant = !grant;
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    return failures.get();
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
