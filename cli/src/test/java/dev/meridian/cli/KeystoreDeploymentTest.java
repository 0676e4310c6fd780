package dev.meridian.cli;

import static dev.meridian.cli.MeridianCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.cli.MeridianCliTest.Run;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's deployment, as separate processes on 127.0.0.1 ports: identities made with
 * {@code keystore keygen}, one hand-written config per server naming the others' addresses,
 * each server a {@code keystore serve} JVM; then the client commands, an admin action the servers
 * agree on among themselves, and a server killed with SIGKILL.
 */
@Timeout(180)
class KeystoreDeploymentTest {
  /** Threshold n = 5, f = 1: the smallest Byzantine quorum system (quorums of 4 meet in 3). */
  private static final int N = 5;

  @TempDir Path dir;

  /** A grid written to disk: its server ids, each server's config, the two clients' configs. */
  private record GridFiles(List<String> ids, List<Path> serverConfigs, Path alice, Path bob) {}

  /**
   * Identities (keygen; clients' only once) and configs for N servers named PREFIX0 … on free
   * ports, threshold f = 1, alice administering every key; {@code clients} name the files.
   */
  private GridFiles writeGrid(String prefix) throws IOException {
    List<String> ids = new ArrayList<>();
    StringBuilder servers = new StringBuilder();
    StringBuilder serverKeys = new StringBuilder();
    for (int i = 0; i < N; i++) {
      String id = prefix + i;
      ids.add(id);
      assertEquals(0, run("keystore", "keygen", "--out", dir.resolve(id).toString()).exit());
      servers.append(i == 0 ? "" : ", ").append(id).append("@127.0.0.1:").append(freePort());
      serverKeys.append("server.").append(id).append(".public-key = ").append(id)
          .append(".pub\n");
    }
    for (String client : List.of("alice", "bob")) {
      if (!Files.exists(dir.resolve(client + ".key"))) {
        assertEquals(0, run("keystore", "keygen", "--out", dir.resolve(client).toString())
            .exit());
      }
    }
    String common = "quorum.kind = threshold\nquorum.f = 1\nservers = " + servers + "\n"
        + serverKeys;
    List<Path> configs = new ArrayList<>();
    for (String id : ids) {
      Path config = dir.resolve(id + ".properties");
      Files.writeString(config, "server.id = " + id + "\nkey-file = "
          + id + ".key\nstore = store/" + id + "\n" + common
          + "client.alice.public-key = alice.pub\nclient.bob.public-key = bob.pub\n"
          + "acl.all.prefix =\nacl.all.allow = alice:admin\n");
      configs.add(config);
    }
    Path alice = dir.resolve(prefix + "-alice.properties");
    Path bob = dir.resolve(prefix + "-bob.properties");
    Files.writeString(alice, "client.id = alice\nkey-file = alice.key\ndeadline-ms = 10000\n"
        + common);
    Files.writeString(bob, "client.id = bob\nkey-file = bob.key\ndeadline-ms = 10000\n"
        + "writer.alice.public-key = alice.pub\n" + common);
    return new GridFiles(ids, configs, alice, bob);
  }

  /** Starts every server of {@code grid} as a JVM of its own and waits until each listens. */
  private static void startAll(GridFiles grid, List<Process> processes) throws Exception {
    List<CompletableFuture<String>> ready = new ArrayList<>();
    for (Path config : grid.serverConfigs()) {
      Process p = serve(config);
      processes.add(p);
      ready.add(firstLine(p));
    }
    for (int i = 0; i < N; i++) {
      String line = ready.get(i).get(60, TimeUnit.SECONDS);
      assertTrue(line.startsWith("keystore server " + grid.ids().get(i) + " listening on"
          + " 127.0.0.1:"), line);
    }
  }

  @Test
  void serversInSeparateProcessesServeClientsAndAgreeOnAdminActions() throws Exception {
    GridFiles grid = writeGrid("s");
    Path alice = grid.alice();
    Path bob = grid.bob();
    List<Process> processes = new ArrayList<>();
    try {
      startAll(grid, processes);

      Run put = run("keystore", "put", "--config", alice.toString(), "app/db", "s3cret");
      assertEquals(0, put.exit(), put::all);
      Run denied = run("keystore", "get", "--config", bob.toString(), "app/db");
      assertEquals(1, denied.exit(), denied::all);
      assertTrue(denied.err().contains("may not read key app/db"), denied::all);

      // The five processes agree on the change among themselves (Dolev-Strong over gRPC).
      Run grant = run("keystore", "grant", "--config", alice.toString(), "bob", "r",
          "--prefix", "app/");
      assertEquals(0, grant.exit(), grant::all);
      assertTrue(grant.out().contains("(admin action 1, agreed by the servers)"), grant::all);
      Run get = run("keystore", "get", "--config", bob.toString(), "app/db");
      assertEquals(0, get.exit(), get::all);
      assertEquals("s3cret", get.out().strip(), get::all);

      processes.get(2).destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: f = 1 fails
      Run afterKill = run("keystore", "get", "--config", bob.toString(), "app/db");
      assertEquals(0, afterKill.exit(), afterKill::all);
      assertEquals("s3cret", afterKill.out().strip(), afterKill::all);
      Run status = run("keystore", "status", "--config", bob.toString());
      assertEquals(0, status.exit(), status::all);
      assertTrue(status.out().contains("4 of 5 servers answer: a quorum is available"),
          status::all);
    } finally {
      for (Process p : processes) {
        p.destroyForcibly();
      }
      for (Process p : processes) {
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aGridOfServerProcessesHandsItsSecretsToAnotherAndItsRulesGoAlong() throws Exception {
    GridFiles old = writeGrid("s");
    GridFiles next = writeGrid("t");
    List<Process> processes = new ArrayList<>();
    try {
      startAll(old, processes);
      startAll(next, processes);
      assertEquals(0, run("keystore", "put", "--config", old.alice().toString(), "app/db",
          "s3cret").exit());
      Run grant = run("keystore", "grant", "--config", old.alice().toString(), "bob", "r",
          "--prefix", "app/");
      assertEquals(0, grant.exit(), grant::all);

      Run handoff = run("keystore", "handoff", "--config", old.alice().toString(), "--to",
          next.alice().toString());
      assertEquals(0, handoff.exit(), handoff::all);
      assertTrue(handoff.out().contains("handoff complete: 5 of 5 new servers"), handoff::all);
      processes.get(N + 3).destroyForcibly().waitFor(30, TimeUnit.SECONDS); // t3: f = 1 fails
      Run get = run("keystore", "get", "--config", next.bob().toString(), "app/db");
      assertEquals(0, get.exit(), get::all);
      assertEquals("s3cret", get.out().strip(), get::all);
      Run late = run("keystore", "put", "--config", old.alice().toString(), "app/db", "late");
      assertEquals(1, late.exit(), late::all);
      assertTrue(late.err().contains("handed its secrets over"), late::all);
    } finally {
      for (Process p : processes) {
        p.destroyForcibly();
      }
      for (Process p : processes) {
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** {@code keystore serve --config FILE} in a JVM of its own; it stops by itself after 150 s. */
  private static Process serve(Path config) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    return new ProcessBuilder(java, "-Xmx160m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), MeridianCli.class.getName(),
        "keystore", "serve", "--config", config.toString(), "--for", "150")
        .redirectErrorStream(true)
        .start();
  }

  /** The process's first line of output; the rest is read and dropped so it never blocks. */
  private static CompletableFuture<String> firstLine(Process p) {
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        StringBuilder before = new StringBuilder();
        while ((line = in.readLine()) != null) {
          if (line.startsWith("keystore server")) {
            first.complete(line);
          } else if (!first.isDone()) {
            before.append(line).append('\n');
          }
        }
        first.completeExceptionally(new IllegalStateException("exited before listening:\n"
            + before));
      } catch (IOException e) {
        first.completeExceptionally(e);
      }
    }, "serve-output");
    reader.setDaemon(true);
    reader.start();
    return first;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
