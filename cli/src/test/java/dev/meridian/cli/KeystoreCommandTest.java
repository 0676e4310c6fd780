package dev.meridian.cli;

import static dev.meridian.cli.MeridianCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.cli.MeridianCliTest.Run;
import dev.meridian.keystore.config.KeyFiles;
import dev.meridian.keystore.crypto.SigningKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
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

      Run put = run("keystore", "put", "--config", alice.toString(), "greeting", "hello, world");
      assertEquals(0, put.exit(), put::all);
      assertEquals("stored greeting as version 1/alice", put.out().strip(), put::all);

      Run get = run("keystore", "get", "--config", bob.toString(), "greeting");
      assertEquals(0, get.exit(), get::all);
      assertEquals("hello, world", get.out().strip(), get::all);
      assertEquals("", get.err(), get::all);

      Run status = run("keystore", "status", "--config", bob.toString());
      assertEquals(0, status.exit(), status::all);
      assertEquals(9, status.out().lines().filter(l -> l.contains("(identity verified)"))
          .count(), status::all);
      assertTrue(status.out().contains("quorum: grid-cr n=9 f=1 t=2 quorum size 7; epoch 0"),
          status::all);
      assertTrue(status.out().contains("9 of 9 servers answer: a quorum is available"),
          status::all);

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
    Files.writeString(server, "server.id = s0\nkey-file = s0.key\nstore = store/s0\n" + common
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
      Run put = run("keystore", "put", "--config", client.toString(), "app/db", "s3cret");
      assertEquals(0, put.exit(), put::all);
      Run get = run("keystore", "get", "--config", client.toString(), "app/db");
      assertEquals("s3cret", get.out().strip(), get::all);
    } finally {
      assertEquals(0, serve.stop(), serve::all);
    }
    assertTrue(Files.isDirectory(dir.resolve("store/s0")), "RocksDB store not where configured");

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
