package dev.meridian.cli;

import static dev.meridian.cli.MeridianCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.cli.MeridianCliTest.Run;
import dev.meridian.keystore.config.KeyFiles;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.tls.TlsCertificates;
import dev.meridian.keystore.tls.TransportSecurity;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./meridian keystore …} through the command line, on 127.0.0.1: a local grid with its
 * generated client configs used by put, get, delete and status; one server from a hand-written
 * configuration; keygen; exit status 0 / 1 / 2 and one-line failures. Every server started here
 * stops by itself ({@code --for}) or when the test interrupts it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeystoreCommandTest {
  @TempDir Path dir;


  /** A long-running command (serve, local-grid) on its own thread; interrupt() stops it. */
  private static final class Background {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final AtomicInteger exit = new AtomicInteger(-1);
    final Thread thread;

    Background(String... args) {
      CommandLine cmd = MeridianCli.commandLine();
      cmd.setOut(new PrintWriter(out, true));
      cmd.setErr(new PrintWriter(err, true));
      thread = new Thread(() -> exit.set(cmd.execute(args)), "keystore-under-test");
      thread.start();
    }

    /** Waits (bounded) for {@code ready}, failing with what the command printed. */
    void awaitReady(BooleanSupplier ready) throws InterruptedException {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!ready.getAsBoolean()) {
        assertTrue(thread.isAlive(), this::all);
        assertTrue(System.nanoTime() < until, () -> "not ready after 30 s: " + all());
        Thread.sleep(50);
      }
    }

    int stop() throws InterruptedException {
      thread.interrupt();
      thread.join(TimeUnit.SECONDS.toMillis(20));
      assertFalse(thread.isAlive(), "did not stop: " + all());
      return exit.get();
    }

    String all() {
      return "exit=" + exit.get() + "\n--- out:\n" + out + "\n--- err:\n" + err;
    }
  }

  @Test
  void statusWithMetricsPrintsOneSignedLinePerServerAndEachServerKeepsAnAuditLog()
      throws Exception {
    Path gridDir = dir.resolve("grid");
    Background grid = new Background("keystore", "local-grid", "--size", "2", "--quorum",
        "threshold", "--f", "0", "--dir", gridDir.toString(), "--for", "20");
    try {
      grid.awaitReady(() -> grid.out.toString().contains("running for 20 s"));
      assertTrue(grid.out.toString().contains("audit logs: " + gridDir.toAbsolutePath()
          .resolve("s<i>.audit.jsonl")), grid::all);
      Path alice = gridDir.resolve("alice.properties");
      Run put = run("keystore", "put", "--config", alice.toString(), "greeting", "top secret");
      assertEquals(0, put.exit(), put::all);

      Run status = run("keystore", "status", "--config", alice.toString(), "--metrics");
      assertEquals(0, status.exit(), status::all);
      java.util.List<String> lines = status.out().lines()
          .filter(l -> l.matches("s[0-3] metrics: .*")).toList();
      assertEquals(4, lines.size(), status::all);
      for (String line : lines) {
        // status opened two sessions with each server just before asking for its metrics
        assertTrue(line.matches(".*open-session \\d+ ok 0 refused p50 \\d+\\.\\d ms p99 .*"),
            line);
        assertTrue(line.endsWith("; refusals: none; audit failures 0; share refresh 0"), line);
      }
    } finally {
      assertEquals(0, grid.stop(), grid::all);
    }
    String audit = Files.readString(gridDir.resolve("s0.audit.jsonl"))
        + Files.readString(gridDir.resolve("s1.audit.jsonl"));
    assertTrue(audit.contains("\"client\":\"alice\",\"op\":\"write\",\"key\":\"greeting\""),
        audit);
    assertTrue(audit.contains("\"op\":\"stats\""), audit);
    assertFalse(audit.contains("top secret"), audit);
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void handoffMovesEverySecretToALargerLocalGridOverTls() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Background old = new Background("keystore", "local-grid", "--size", "3", "--dir",
        a.toString(), "--for", "120");
    Background next = null;
    try {
      old.awaitReady(() -> old.out.toString().contains("running for 120 s"));
      Path aliceA = a.resolve("alice.properties");
      assertEquals(0, run("keystore", "put", "--config", aliceA.toString(), "db",
          "correct horse").exit());
      assertEquals(0, run("keystore", "delete", "--config", aliceA.toString(), "db").exit());
      assertEquals(0, run("keystore", "put", "--config", aliceA.toString(), "db",
          "battery staple").exit());
      for (String right : List.of("admin", "w")) {
        Run revoke = run("keystore", "revoke", "--config", aliceA.toString(), "bob", right);
        assertEquals(0, revoke.exit(), revoke::all);
      }
      Background started = new Background("keystore", "local-grid", "--size", "4", "--f", "1",
          "--dir", b.toString(), "--like", a.toString(), "--for", "120");
      next = started;
      started.awaitReady(() -> started.out.toString().contains("running for 120 s"));
      Path aliceB = b.resolve("alice.properties");
      Run bobBefore = run("keystore", "put", "--config", b.resolve("bob.properties").toString(),
          "probe", "the new grid's own rules let bob write");
      assertEquals(0, bobBefore.exit(), bobBefore::all);

      Run handoff = run("keystore", "handoff", "--config", aliceA.toString(), "--to",
          aliceB.toString());
      assertEquals(0, handoff.exit(), handoff::all);
      assertTrue(handoff.out().contains("handoff complete: "), handoff::all);
      assertTrue(handoff.out().contains("with this grid's 1 access rule(s)"), handoff::all);
      // The revoke made in the old grid holds in the new one, whose own config lets bob write.
      Run bobWrites = run("keystore", "put", "--config", b.resolve("bob.properties").toString(),
          "db", "bob's");
      assertEquals(1, bobWrites.exit(), bobWrites::all);
      assertTrue(bobWrites.err().contains("bob may not write key db"), bobWrites::all);
      Run get = run("keystore", "get", "--config", b.resolve("bob.properties").toString(), "db");
      assertEquals(0, get.exit(), get::all);
      assertEquals("battery staple", get.out().strip(), get::all);
      Run late = run("keystore", "put", "--config", aliceA.toString(), "db", "too late");
      assertEquals(1, late.exit(), late::all);
      assertTrue(late.err().contains("handed its secrets over"), late::all);
      Run status = run("keystore", "status", "--config", aliceA.toString(), "--metrics");
      assertTrue(status.out().contains("handed off to s0…(16 servers) (no writes)"),
          status::all);
      Run again = run("keystore", "handoff", "--config", aliceA.toString(), "--to",
          aliceA.toString(), "--wait-seconds", "0");
      assertEquals(2, again.exit(), again::all);
    } finally {
      if (next != null) {
        assertEquals(0, next.stop(), next::all);
      }
      assertEquals(0, old.stop(), old::all);
    }
  }

  @Test
  void aLocalGridServesPutGetDeleteAndStatusThroughItsClientConfigs() throws Exception {
    Path gridDir = dir.resolve("grid");
    Background grid = new Background("keystore", "local-grid", "--size", "3", "--dir",
        gridDir.toString(), "--for", "20");
    try {
      grid.awaitReady(() -> grid.out.toString().contains("running for 20 s"));
      String printed = grid.out.toString();
      assertTrue(printed.contains("f = 1 (the largest grid-cr allows at n = 9)"), grid::all);
      Path alice = gridDir.resolve("alice.properties");
      Path bob = gridDir.resolve("bob.properties");
      assertTrue(printed.contains("./meridian keystore put --config " + alice.toAbsolutePath()
          + " greeting hello"), grid::all);
      assertTrue(Files.exists(gridDir.resolve("s8.key")) && Files.exists(gridDir.resolve(
          "bob.pub")), grid::all);
      assertTrue(printed.contains("transport: mutual TLS; CA certificate "
          + gridDir.toAbsolutePath().resolve("ca.tls.crt")), grid::all);
      assertTrue(Files.readString(alice).contains("tls.cert = alice.tls.crt"),
          "the client config names its certificate");

      Run put = run("keystore", "put", "--config", alice.toString(), "greeting", "hello, world");
      assertEquals(0, put.exit(), put::all);
      assertEquals("stored greeting as version 1/alice", put.out().strip(), put::all);

      Run get = run("keystore", "get", "--config", bob.toString(), "greeting");
      assertEquals(0, get.exit(), get::all);
      assertEquals("hello, world", get.out().strip(), get::all);
      assertEquals("", get.err(), get::all);

      Run status = run("keystore", "status", "--config", bob.toString());
      assertEquals(0, status.exit(), status::all);
      assertEquals(9, status.out().lines().filter(l -> l.contains("(identity verified); health"
          + " SERVING")).count(), status::all);
      assertTrue(status.out().contains("transport: mutual TLS"), status::all);
      assertTrue(status.out().contains("quorum: grid-cr n=9 f=1 t=2 quorum size 7"),
          status::all);
      assertTrue(status.out().contains("9 of 9 servers answer: a quorum is available"),
          status::all);

      // Access rules change at run time, agreed by the servers: every client of a local grid
      // starts as an admin of every key.
      Run noAdmin = run("keystore", "revoke", "--config", alice.toString(), "bob", "admin",
          "--prefix", "private/");
      assertEquals(0, noAdmin.exit(), noAdmin::all);
      assertEquals("revoked admin from bob on keys starting with private/ (admin action 1,"
          + " agreed by the servers)", noAdmin.out().strip(), noAdmin::all);
      Run noRead = run("keystore", "revoke", "--config", alice.toString(), "bob", "r",
          "--prefix", "private/");
      assertEquals(0, noRead.exit(), noRead::all);
      assertEquals(0, run("keystore", "put", "--config", alice.toString(), "private/plan",
          "at dawn").exit());
      Run denied = run("keystore", "get", "--config", bob.toString(), "private/plan");
      assertEquals(1, denied.exit(), denied::all);
      assertTrue(denied.err().contains("may not read key private/plan"), denied::all);
      Run selfGrant = run("keystore", "grant", "--config", bob.toString(), "bob", "r",
          "--prefix", "private/");
      assertEquals(1, selfGrant.exit(), selfGrant::all);
      assertTrue(selfGrant.err().contains("PERMISSION_DENIED")
          && selfGrant.err().contains("bob does not administer the keys under \"private/\""),
          selfGrant::all);
      Run regrant = run("keystore", "grant", "--config", alice.toString(), "bob", "r",
          "--prefix", "private/");
      assertEquals(0, regrant.exit(), regrant::all);
      assertTrue(regrant.out().contains("(admin action 3,"), regrant::all);
      // Every server records each decided admin action in its audit log, refused ones too.
      String audit4 = Files.readString(gridDir.resolve("s4.audit.jsonl"));
      assertTrue(audit4.contains("\"kind\":\"admin\",\"server\":\"s4\",\"client\":\"alice\","
          + "\"op\":\"revoke admin from bob\",\"key\":\"private/\""), audit4);
      assertTrue(audit4.contains("\"client\":\"bob\",\"op\":\"grant read to bob\","
          + "\"key\":\"private/\",\"version\":null,\"decision\":\"denied\""), audit4);
      Run allowed = run("keystore", "get", "--config", bob.toString(), "private/plan");
      assertEquals(0, allowed.exit(), allowed::all);
      assertEquals("at dawn", allowed.out().strip(), allowed::all);

      // A proactive share refresh: decided like the actions above, applied some rounds later.
      Run refresh = run("keystore", "refresh", "--config", alice.toString());
      assertEquals(0, refresh.exit(), refresh::all);
      assertTrue(refresh.out().startsWith("share refresh decided (admin action 4,"),
          refresh::all);
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
      Run metrics;
      do {
        Thread.sleep(500);
        metrics = run("keystore", "status", "--config", alice.toString(), "--metrics");
      } while (metrics.out().lines().filter(l -> l.endsWith("; share refresh 1")).count() < 9
          && System.nanoTime() < until);
      assertEquals(9, metrics.out().lines().filter(l -> l.endsWith("; share refresh 1"))
          .count(), metrics::all);
      Run afterRefresh = run("keystore", "get", "--config", bob.toString(), "private/plan");
      assertEquals("at dawn", afterRefresh.out().strip(), afterRefresh::all);
      Run badRight = run("keystore", "grant", "--config", alice.toString(), "bob", "rw");
      assertEquals(2, badRight.exit(), badRight::all);
      assertTrue(badRight.err().contains("RIGHT must be r, w or admin"), badRight::all);

      Run delete = run("keystore", "delete", "--config", alice.toString(), "greeting");
      assertEquals(0, delete.exit(), delete::all);
      assertEquals("deleted greeting (tombstone version 2/alice)", delete.out().strip(),
          delete::all);

      Run gone = run("keystore", "get", "--config", bob.toString(), "greeting");
      assertEquals(1, gone.exit(), gone::all);
      assertEquals("", gone.out(), gone::all);
      assertEquals(1, gone.err().lines().count(), gone::all);
      assertTrue(gone.err().startsWith("keystore get: NOT_FOUND: key greeting was deleted"),
          gone::all);

      Run never = run("keystore", "get", "--config", bob.toString(), "never-written");
      assertEquals(1, never.exit(), never::all);
      assertTrue(never.err().contains("NOT_FOUND"), never::all);

      Run noValue = run("keystore", "put", "--config", alice.toString(), "k");
      assertEquals(2, noValue.exit(), noValue::all);
      assertTrue(noValue.err().contains("either as VALUE or with --value-file"), noValue::all);

      Run badKey = run("keystore", "get", "--config", alice.toString(), "no spaces");
      assertEquals(2, badKey.exit(), badKey::all);
    } finally {
      assertEquals(0, grid.stop(), grid::all);
    }
    assertTrue(grid.out.toString().strip().endsWith("stopped"), grid::all);

    // Every server is gone now: status says so and exits 1.
    Run down = run("keystore", "status", "--config", gridDir.resolve("alice.properties")
        .toString());
    assertEquals(1, down.exit(), down::all);
    assertTrue(down.out().contains("0 of 9 servers answer: NO quorum is available"), down::all);
  }

  @Test
  void oneServerRunsFromAHandWrittenConfig() throws Exception {
    SecureRandom random = new SecureRandom();
    KeyFiles.writeIdentity(dir.resolve("s0"), SigningKey.generate(random));
    KeyFiles.writeIdentity(dir.resolve("alice"), SigningKey.generate(random));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String common = "quorum.kind = threshold\nquorum.f = 0\nservers = s0@127.0.0.1:" + port
        + "\nserver.s0.public-key = s0.pub\n";
    Path server = dir.resolve("s0.properties");
    Files.writeString(server, "server.id = s0\nkey-file = s0.key\nstore = store/s0\n"
        + "audit-log = s0.audit.jsonl\n" + common
        + "client.alice.public-key = alice.pub\nacl.all.prefix =\nacl.all.allow = alice:rw\n");
    Path client = dir.resolve("alice.properties");
    Files.writeString(client, "client.id = alice\nkey-file = alice.key\ndeadline-ms = 3000\n"
        + common);

    Background serve = new Background("keystore", "serve", "--config", server.toString(),
        "--for", "30");
    try {
      serve.awaitReady(() -> serve.out.toString().contains("listening on"));
      assertTrue(serve.out.toString().startsWith("keystore server s0 listening on 127.0.0.1:"
          + port + " (threshold n=1"), serve::all);
      assertTrue(serve.out.toString().contains(", audit log "
          + dir.toAbsolutePath().resolve("s0.audit.jsonl") + ", plaintext)"), serve::all);
      Run put = run("keystore", "put", "--config", client.toString(), "app/db", "s3cret");
      assertEquals(0, put.exit(), put::all);
      Run get = run("keystore", "get", "--config", client.toString(), "app/db");
      assertEquals("s3cret", get.out().strip(), get::all);
    } finally {
      assertEquals(0, serve.stop(), serve::all);
    }
    assertTrue(Files.isDirectory(dir.resolve("store/s0")), "RocksDB store not where configured");
    String audit = Files.readString(dir.resolve("s0.audit.jsonl"));
    assertTrue(audit.contains("\"client\":\"alice\",\"op\":\"write\",\"key\":\"app/db\""),
        audit);
    assertFalse(audit.contains("s3cret"), audit);

    // The same config with a typo: exit 1, one line naming the file and the field.
    Files.writeString(server, Files.readString(server) + "quorum.kinds = threshold\n");
    Run bad = run("keystore", "serve", "--config", server.toString());
    assertEquals(1, bad.exit(), bad::all);
    assertTrue(bad.err().startsWith("keystore serve: " + server + ": quorum.kinds: unknown"
        + " field; known fields: "), bad::all);
    assertEquals(1, bad.err().lines().count(), bad::all);
  }

  @Test
  void keygenWritesAnIdentityAndRefusesToOverwriteIt() throws IOException {
    Path prefix = dir.resolve("alice");
    Run first = run("keystore", "keygen", "--out", prefix.toString());
    assertEquals(0, first.exit(), first::all);
    String pub = Files.readString(dir.resolve("alice.pub")).strip();
    String seedHex = Files.readString(dir.resolve("alice.key")).strip();
    assertTrue(first.out().contains("public key: " + pub), first::all);
    assertFalse(first.out().contains(seedHex) || first.err().contains(seedHex),
        "keygen printed the private key");
    assertEquals(KeyFiles.readSigningKey(dir.resolve("alice.key")).verifyingKey(),
        KeyFiles.parsePublicKey(pub));
    assertEquals(64, HexFormat.of().parseHex(seedHex).length * 2);

    Run again = run("keystore", "keygen", "--out", prefix.toString());
    assertEquals(1, again.exit(), again::all);
    assertTrue(again.err().contains("refusing to overwrite " + dir.resolve("alice.key")),
        again::all);
    assertEquals(seedHex, Files.readString(dir.resolve("alice.key")).strip());
  }

  @Test
  void keygenMakesACaAndCertificatesItSigns() throws Exception {
    Path ca = dir.resolve("tls/ca");
    Run makeCa = run("keystore", "keygen", "--ca", "--out", ca.toString());
    assertEquals(0, makeCa.exit(), makeCa::all);
    assertTrue(makeCa.out().contains("CA certificate: " + dir.resolve("tls/ca.tls.crt")),
        makeCa::all);
    assertFalse(Files.exists(dir.resolve("tls/ca.key")), "--ca makes no Ed25519 identity");

    Path s0 = dir.resolve("tls/s0");
    Run server = run("keystore", "keygen", "--out", s0.toString(), "--tls-ca", ca.toString(),
        "--host", "127.0.0.1,localhost");
    assertEquals(0, server.exit(), server::all);
    assertTrue(server.out().contains("public key: "), "an identity too: " + server.all());
    assertTrue(server.out().contains("(CN=s0, for 127.0.0.1, localhost; tls.cert)"),
        server::all);
    // An existing identity is kept and gets a certificate.
    run("keystore", "keygen", "--out", dir.resolve("tls/alice").toString());
    String seed = Files.readString(dir.resolve("tls/alice.key"));
    Run client = run("keystore", "keygen", "--out", dir.resolve("tls/alice").toString(),
        "--tls-ca", ca.toString());
    assertEquals(0, client.exit(), client::all);
    assertTrue(client.out().contains("identity: keeping"), client::all);
    assertEquals(seed, Files.readString(dir.resolve("tls/alice.key")));

    for (String name : new String[] {"ca", "s0", "alice"}) {
      Path key = TlsCertificates.privateKeyFile(dir.resolve("tls/" + name));
      assertEquals("rw-------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(key)), key.toString());
    }
    for (Run r : new Run[] {makeCa, server, client}) {
      assertFalse(r.all().contains("PRIVATE KEY") || r.all().contains("MII"),
          "keygen printed key material: " + r.all());
    }
    // What keygen wrote loads as a transport's TLS files.
    assertTrue(TransportSecurity.mutualTls(TlsCertificates.certificateFile(s0),
        TlsCertificates.privateKeyFile(s0), TlsCertificates.certificateFile(ca)).isTls());

    Run again = run("keystore", "keygen", "--out", s0.toString(), "--tls-ca", ca.toString());
    assertEquals(1, again.exit(), again::all);
    assertTrue(again.err().contains("refusing to overwrite " + dir.resolve("tls/s0.tls.crt")),
        again::all);
    Run noCa = run("keystore", "keygen", "--out", dir.resolve("tls/bob").toString(),
        "--tls-ca", dir.resolve("nowhere").toString());
    assertEquals(1, noCa.exit(), noCa::all);
    assertTrue(noCa.err().contains("no CA certificate"), noCa::all);
    assertFalse(Files.exists(dir.resolve("tls/bob.key")), "an identity was left behind");
    Run hostAlone = run("keystore", "keygen", "--out", dir.resolve("x").toString(), "--host",
        "127.0.0.1");
    assertEquals(2, hostAlone.exit(), hostAlone::all);
    Run badHost = run("keystore", "keygen", "--out", dir.resolve("tls/carol").toString(),
        "--tls-ca", ca.toString(), "--host", "not a host");
    assertEquals(2, badHost.exit(), badHost::all);
    assertTrue(badHost.err().contains("not a host"), badHost::all);
    assertFalse(Files.exists(dir.resolve("tls/carol.key")), "an identity was left behind");
  }

  @Test
  void badLocalGridOptionsAreUsageErrors() {
    Run f = run("keystore", "local-grid", "--size", "3", "--f", "2", "--for", "1");
    assertEquals(2, f.exit(), f::all);
    assertTrue(f.err().startsWith("--f 2: ") && f.err().contains("the largest f grid-cr allows"
        + " at n=9 is 1"), f::all);
    Run persist = run("keystore", "local-grid", "--size", "3", "--persist");
    assertEquals(2, persist.exit(), persist::all);
    assertTrue(persist.err().startsWith("--persist needs --dir"), persist::all);
    Run missing = run("keystore");
    assertEquals(2, missing.exit(), missing::all);
    assertTrue(missing.err().startsWith("missing subcommand: one of keygen"), missing::all);
  }
}
