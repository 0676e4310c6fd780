package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ReadResult;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.proto.v1.Version;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Honest grids over real gRPC on 127.0.0.1: the client protocol end to end. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeystoreGridTest {
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private LocalGrid grid;
  private final List<KeystoreClient> clients = new ArrayList<>();

  @AfterEach
  void close() {
    clients.forEach(KeystoreClient::close);
    if (grid != null) {
      grid.close();
    }
  }

  private KeystoreClient start(QuorumSystem quorums, String client) throws Exception {
    grid = LocalGrid.start(quorums, List.of("alice", "bob"));
    return client(client);
  }

  private KeystoreClient client(String id) {
    KeystoreClient c = grid.client(id, DEADLINE);
    clients.add(c);
    return c;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSecretWrittenIsReadBackAndANewerVersionReplacesIt() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    Version v1 = alice.put("db/password", utf8("hunter2"));
    assertEquals(1, v1.getCounter());
    ReadResult read = alice.get("db/password");
    assertArrayEquals(utf8("hunter2"), read.value());
    assertEquals(v1, read.version());
    assertTrue(read.misbehaving().isEmpty(), read.misbehaving().toString());

    Version v2 = client("bob").put("db/password", utf8("correct horse"));
    assertEquals(2, v2.getCounter());
    assertEquals("bob", v2.getClientId());
    assertArrayEquals(utf8("correct horse"), alice.get("db/password").value());
  }

  @Test
  void aDeletedKeyAndANeverWrittenKeyAreNotFound() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    alice.put("k", utf8("v"));
    Version tombstone = alice.delete("k");
    assertEquals(2, tombstone.getCounter());
    KeystoreException deleted = assertThrows(KeystoreException.class, () -> alice.get("k"));
    assertEquals(Status.Code.NOT_FOUND, deleted.code());
    assertTrue(deleted.getMessage().contains("deleted"), deleted.getMessage());
    KeystoreException never = assertThrows(KeystoreException.class, () -> alice.get("other"));
    assertEquals(Status.Code.NOT_FOUND, never.code());
    // A key can be written again after a delete.
    alice.put("k", utf8("again"));
    assertArrayEquals(utf8("again"), alice.get("k").value());
  }

  @Test
  void readsAndWritesGoOnWithFServersDown() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    alice.put("k", utf8("before"));
    grid.stop(4);
    assertArrayEquals(utf8("before"), alice.get("k").value());
    alice.put("k", utf8("after"));
    assertArrayEquals(utf8("after"), alice.get("k").value());
  }

  @Test
  void aServerBackFromADownTimeIsUsedAtOnceWhenAnotherFails() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    alice.put("k", utf8("v"));
    grid.stop(4);
    for (int i = 0; i < 10; i++) {
      alice.put("k", utf8("v" + i)); // failed calls to s4 put its channel into reconnect backoff
    }
    grid.restart(4); // with an empty store
    grid.stop(0); // now every quorum needs s4
    // The client's channel to s4 may still be waiting out its backoff, failing calls at once
    // with the old "connection refused": the client reconnects and asks again.
    assertArrayEquals(utf8("v9"), alice.get("k").value());
  }

  @Test
  void withoutAQuorumACallFailsUnavailableNamingHowManyAnswered() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    alice.put("k", utf8("v"));
    // Row 0 down: every grid-cr quorum needs a full column, so none is left.
    grid.stop(0);
    grid.stop(1);
    grid.stop(2);
    long start = System.nanoTime();
    KeystoreException read = assertThrows(KeystoreException.class, () -> alice.get("k"));
    assertEquals(Status.Code.UNAVAILABLE, read.code());
    assertTrue(read.getMessage().contains("only 6 of 9 servers answered"), read.getMessage());
    KeystoreException write = assertThrows(KeystoreException.class,
        () -> alice.put("k", utf8("w")));
    assertEquals(Status.Code.UNAVAILABLE, write.code());
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 3 * DEADLINE.toMillis(), "took " + millis + " ms");
  }

  @Test
  void anUnregisteredClientIsRefusedAsUnauthenticated() throws Exception {
    start(QuorumSystems.gridCr(9, 1), "alice");
    KeystoreClient mallory = KeystoreClient.builder()
        .clientId("alice") // claims to be alice, with another key
        .signingKey(SigningKey.generate(new SecureRandom()))
        .servers(grid.endpoints())
        .quorums(grid.quorums())
        .deadline(DEADLINE)
        .build();
    clients.add(mallory);
    KeystoreException e = assertThrows(KeystoreException.class, () -> mallory.get("k"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.code());
    assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
  }

  @Test
  void concurrentWritersNeverLeaveAKeyUnreadableAndReadsNeverGoBack() throws Exception {
    start(QuorumSystems.gridCr(9, 1), "alice");
    KeystoreClient alice = client("alice");
    KeystoreClient bob = client("bob");
    KeystoreClient reader = client("alice");
    alice.put("shared", utf8("seed"));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (KeystoreClient w : List.of(alice, bob)) {
        writers.add(pool.submit(() -> {
          for (int i = 0; i < 15; i++) {
            w.put("shared", utf8(w + "#" + i));
          }
          return null;
        }));
      }
      Future<List<Version>> reads = pool.submit(() -> {
        List<Version> seen = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          seen.add(reader.get("shared").version());
        }
        return seen;
      });
      for (Future<?> w : writers) {
        w.get(40, TimeUnit.SECONDS);
      }
      List<Version> seen = reads.get(40, TimeUnit.SECONDS);
      for (int i = 1; i < seen.size(); i++) {
        assertFalse(dev.meridian.keystore.wire.Versions.newer(seen.get(i - 1), seen.get(i)),
            "a later read returned an older version: " + seen);
      }
    } finally {
      pool.shutdownNow();
    }
    ReadResult last = reader.get("shared");
    assertTrue(last.version().getCounter() >= 16, "version " + last.version());
  }

  @Test
  void aClientThatSignsEveryRequestWorksBesideOneOnSessions() throws Exception {
    start(QuorumSystems.gridCr(9, 1), "alice");
    KeystoreClient signer = KeystoreClient.builder()
        .clientId("bob").signingKey(grid.signingKey("bob")).servers(grid.endpoints())
        .quorums(grid.quorums()).deadline(DEADLINE).perRequestSignatures(true)
        .writer("alice", grid.signingKey("alice").verifyingKey())
        .build();
    clients.add(signer);
    KeystoreClient alice = client("alice");
    signer.put("k", utf8("signed"));
    assertArrayEquals(utf8("signed"), alice.get("k").value());
    alice.put("k", utf8("mac"));
    assertArrayEquals(utf8("mac"), signer.get("k").value());
  }

  @Test
  void aRestartedServerIsReachedAgainOverANewSession() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(9, 1), "alice");
    alice.put("k", utf8("v1"));
    grid.restart(4); // same identity and store, new process state: it knows no session
    grid.stop(0); // now every quorum needs server 4
    alice.put("k", utf8("v2"));
    assertArrayEquals(utf8("v2"), alice.get("k").value());
  }

  @Test
  void aFourByFourGridWorksToo() throws Exception {
    KeystoreClient alice = start(QuorumSystems.gridCr(16, 1), "alice");
    alice.put("k", utf8("sixteen"));
    grid.stop(5);
    assertArrayEquals(utf8("sixteen"), alice.get("k").value());
  }
}
