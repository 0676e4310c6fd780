package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nine key servers in nine processes on 127.0.0.1 (3×3 grid, f = 1). A client writes without
 * pause; in the middle of it one server is SIGKILLed. Every write the client saw acknowledged must
 * read back with its value; then the killed server restarts from its RocksDB directory, another
 * is SIGKILLed, and every acknowledged write must still read back.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KeyServerProcessTest {
  private static final int N = 9;
  private final List<Process> processes = new ArrayList<>();
  private final SecureRandom random = new SecureRandom();

  @TempDir Path dir;

  @AfterEach
  void killAll() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
  }

  @Test
  void noAcknowledgedWriteIsLostWhenFServersAreKilledMidWrite() throws Exception {
    QuorumSystem quorums = QuorumSystems.gridCr(N, 1);
    SigningKey alice = SigningKey.generate(random);
    List<String> ids = new ArrayList<>();
    List<SigningKey> serverKeys = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      ids.add("s" + i);
      serverKeys.add(SigningKey.generate(random));
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        ports.add(s.getLocalPort());
      }
    }
    List<Path> configs = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      Properties p = new Properties();
      p.setProperty("servers", String.join(",", ids));
      p.setProperty("index", Integer.toString(i));
      p.setProperty("f", "1");
      p.setProperty("port", Integer.toString(ports.get(i)));
      p.setProperty("seed", HexFormat.of().formatHex(serverKeys.get(i).seed()));
      p.setProperty("client.alice", HexFormat.of().formatHex(alice.verifyingKey().toBytes()));
      p.setProperty("store", dir.resolve("store" + i).toString());
      Path file = dir.resolve("server" + i + ".properties");
      try (Writer w = Files.newBufferedWriter(file)) {
        p.store(w, null);
      }
      configs.add(file);
    }
    Process[] running = new Process[N];
    for (int i = 0; i < N; i++) {
      running[i] = launch(configs.get(i));
    }
    for (int i = 0; i < N; i++) {
      awaitReady(running[i], ids.get(i));
    }
    List<ServerEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      endpoints.add(new ServerEndpoint(ids.get(i), new InetSocketAddress("127.0.0.1",
          ports.get(i)), serverKeys.get(i).verifyingKey()));
    }
    Map<String, byte[]> acknowledged = new LinkedHashMap<>();
    try (KeystoreClient client = KeystoreClient.builder().clientId("alice").signingKey(alice)
        .servers(endpoints).quorums(quorums).deadline(Duration.ofSeconds(5)).build()) {
      int failed = 0;
      for (int i = 0; i < 120; i++) {
        if (i == 40) {
          running[4].destroyForcibly(); // SIGKILL, mid-stream: writes keep going
        }
        String key = "k" + (i % 50); // some keys are overwritten: the last ack must win
        byte[] value = ("value " + i).getBytes(StandardCharsets.UTF_8);
        try {
          client.put(key, value);
          acknowledged.put(key, value);
        } catch (KeystoreException e) {
          failed++; // outcome unknown; not counted as acknowledged
          acknowledged.remove(key); // a later read may see either value
        }
      }
      assertTrue(failed <= 2, failed + " writes failed with one server down");
      checkAll(client, acknowledged);

      // The killed server comes back from its store; another one is killed.
      running[4] = launch(configs.get(4));
      awaitReady(running[4], ids.get(4));
      checkAll(client, acknowledged); // (reads also reconnect the client to server 4)
      running[0].destroyForcibly();
      checkAll(client, acknowledged);
    }
  }

  private static void checkAll(KeystoreClient client, Map<String, byte[]> acknowledged)
      throws KeystoreException {
    for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
      assertArrayEquals(e.getValue(), client.get(e.getKey()).value(),
          "key " + e.getKey() + " lost its acknowledged value");
    }
  }

  private Process launch(Path config) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), KeyServerProcess.class.getName(),
        config.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    processes.add(p);
    return p;
  }

  private static void awaitReady(Process p, String id) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      String line = out.readLine();
      if (line == null) {
        throw new AssertionError("server " + id + " exited before it was ready");
      }
      if (line.startsWith("READY")) {
        return;
      }
    }
    throw new AssertionError("server " + id + " not ready within 60 s");
  }
}
