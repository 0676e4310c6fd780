package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.shamir.Commitments;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.shamir.SecretScalar;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.proto.v1.DealerDigest;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RefreshVote;
import dev.meridian.proto.v1.StoredVersion;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proactive share refresh run by the key servers of a 3×3 grid over gRPC on 127.0.0.1: the
 * servers deal zero sharings to each other, agree on the valid dealers, and move every share to
 * a new polynomial of the same secret while reads and writes go on.
 */
@Timeout(120)
class ShareRefreshRunTest {
  private static final List<String> CLIENTS = List.of("alice", "bob");
  private static final AccessPolicy POLICY = AccessPolicy.of(List.of(
      new AccessPolicy.Rule("", Set.of("alice", "bob"), Set.of("alice"), Set.of("alice"))));
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();

  @Test
  void aRefreshMovesEveryShareButKeepsEverySecret() throws Exception {
    try (LocalGrid grid = grid(POLICY);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      alice.put("app/db", bytes("correct horse"));
      alice.put("app/api", bytes("battery staple"));
      List<StoredVersion> before = held(grid, "app/db");

      alice.refresh();
      awaitRefresh(grid, 1);

      List<StoredVersion> after = held(grid, "app/db");
      Commitments signed = Commitments.decode(RecordBody.parseFrom(
          before.get(0).getRecord().getBody()).getCommitments().toByteArray());
      for (int i = 0; i < 9; i++) {
        assertEquals(0, before.get(i).getShareEpoch(), "s" + i);
        assertEquals(1, after.get(i).getShareEpoch(), "s" + i);
        assertNotEquals(before.get(i).getShare(), after.get(i).getShare(), "s" + i + " share");
        assertEquals(after.get(0).getShareCommitments(), after.get(i).getShareCommitments(),
            "every server moved to the same sharing");
        Commitments moved = Commitments.decode(after.get(i).getShareCommitments().toByteArray());
        assertTrue(signed.sharesSecretWith(moved), "C_0 unchanged");
        assertTrue(VSS.verify(share(i, after.get(i)), moved), "s" + i + " verifies");
      }
      assertNotEquals(ByteString.copyFrom(signed.encode()), after.get(0).getShareCommitments());

      // Two old shares and two new ones give the data key; one old with one new does not.
      SecretScalar old = VSS.reconstruct(List.of(share(0, before.get(0)),
          share(1, before.get(1))), 2);
      SecretScalar fresh = VSS.reconstruct(List.of(share(0, after.get(0)),
          share(1, after.get(1))), 2);
      SecretScalar mixed = VSS.reconstruct(List.of(share(0, before.get(0)),
          share(1, after.get(1))), 2);
      assertArrayEquals(old.dataKey(), fresh.dataKey());
      assertFalse(java.util.Arrays.equals(old.dataKey(), mixed.dataKey()));

      assertArrayEquals(bytes("correct horse"), bob.get("app/db").value());
      assertArrayEquals(bytes("battery staple"), bob.get("app/api").value());
      assertEquals(1, grid.server(4).core().refreshesApplied());
    }
  }

  @Test
  void readsAndWritesGoOnDuringARefresh() throws Exception {
    try (LocalGrid grid = grid(POLICY);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      alice.put("app/db", bytes("v0"));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger reads = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread reader = new Thread(() -> {
        try {
          while (!stop.get()) {
            assertArrayEquals(bytes("v0"), bob.get("app/db").value());
            reads.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      reader.start();
      alice.refresh();
      alice.put("app/log", bytes("w1")); // a write while the servers deal and vote
      awaitRefresh(grid, 1);
      stop.set(true);
      reader.join(10_000);
      if (failure.get() != null) {
        throw new AssertionError("a read failed during the refresh", failure.get());
      }
      assertTrue(reads.get() > 5, "reads during the refresh: " + reads.get());
      assertEquals(List.of(1L), held(grid, "app/db").stream().map(StoredVersion::getShareEpoch)
          .distinct().toList(), "app/db was refreshed at every server while bob read it");
      assertArrayEquals(bytes("v0"), bob.get("app/db").value());
      assertArrayEquals(bytes("w1"), bob.get("app/log").value());
    }
  }

  @Test
  void aDealerThatCheatsOneServerCostsThatServerItsShareNotTheSecret() throws Exception {
    try (LocalGrid grid = grid(POLICY);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      alice.put("app/db", bytes("correct horse"));
      // s3 sends s5 a contribution off its committed polynomial; everyone else gets good ones.
      grid.server(3).core().refresher().outgoing = body -> {
        if (!body.getRecipientId().equals("s5")) {
          return body;
        }
        dev.meridian.proto.v1.RefreshDealingBody.Builder bad = body.toBuilder();
        byte[] y = bad.getRecords(0).getContribution().toByteArray();
        y[31] ^= 1;
        bad.setRecords(0, bad.getRecords(0).toBuilder().setContribution(ByteString.copyFrom(y)));
        return bad.build();
      };
      alice.refresh();
      awaitRefresh(grid, 1);
      List<StoredVersion> after = held(grid, "app/db");
      // Eight servers accepted s3, so it counts; s5 cannot add its bad contribution and drops
      // its share rather than keep one that combines with the old sharing.
      assertTrue(after.get(5).getShare().isEmpty(), "s5 dropped its share");
      for (int i = 0; i < 9; i++) {
        if (i != 5) {
          assertEquals(1, after.get(i).getShareEpoch(), "s" + i);
          assertEquals(after.get(0).getShareCommitments(), after.get(i).getShareCommitments());
        }
      }
      assertArrayEquals(bytes("correct horse"), bob.get("app/db").value());
    }
  }

  @Test
  void aRefreshedShareIsWhatAServerHoldsAfterARestart(@TempDir Path dir) throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> rocks(dir.resolve("s" + i)), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      alice.put("app/db", bytes("correct horse"));
      ByteString old = held(grid, "app/db").get(3).getShare();
      alice.refresh();
      awaitRefresh(grid, 1);
      StoredVersion refreshed = held(grid, "app/db").get(3);
      grid.stop(3);
      grid.restart(3); // reopens its RocksDB directory
      StoredVersion reopened = held(grid, "app/db").get(3);
      assertEquals(refreshed, reopened, "the refreshed share, not the old one, was stored");
      assertNotEquals(old, reopened.getShare());
      assertEquals(1, reopened.getShareEpoch());
      grid.stop(0); // reads go on with the reopened s3 among the servers that answer
      assertArrayEquals(bytes("correct horse"), bob.get("app/db").value());
    }
  }

  private static dev.meridian.keystore.store.RecordStore rocks(Path path) {
    try {
      return dev.meridian.keystore.store.RocksRecordStore.open(path,
          dev.meridian.keystore.store.RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE);
    } catch (dev.meridian.keystore.store.StoreException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Test
  void onlyAnAdminOfEveryKeyMayRefresh() throws Exception {
    AccessPolicy policy = AccessPolicy.of(List.of(
        new AccessPolicy.Rule("", Set.of("alice"), Set.of("alice"), Set.of("alice")),
        new AccessPolicy.Rule("bobs/", Set.of("bob"), Set.of("bob"), Set.of("bob"))));
    try (LocalGrid grid = grid(policy);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      KeystoreException refused = assertThrows(KeystoreException.class, bob::refresh);
      assertEquals(Status.Code.PERMISSION_DENIED, refused.code());
      assertTrue(refused.getMessage().contains("every key"), refused.getMessage());
    }
  }

  @Test
  void validDealersNeedNMinusFVotesForOneManifest() {
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[0] = 1;
    List<RefreshVote> votes = new ArrayList<>();
    // n = 4, f = 1: dealer 0 is accepted by all four with one manifest; dealer 1 showed manifest
    // a to two servers and b to two (equivocation); dealer 2 only by two servers.
    for (int voter = 0; voter < 4; voter++) {
      RefreshVote.Builder v = RefreshVote.newBuilder().setEpoch(1)
          .addAccepted(digest(0, a)).addAccepted(digest(1, voter < 2 ? a : b));
      if (voter < 2) {
        v.addAccepted(digest(2, a));
      }
      votes.add(v.build());
    }
    // A voter naming one dealer twice counts once.
    votes.set(3, votes.get(3).toBuilder().addAccepted(digest(2, a)).addAccepted(digest(2, a))
        .build());
    Map<Integer, byte[]> valid = ShareRefresher.validDealers(votes, 4, 1);
    assertEquals(Set.of(0, 2), valid.keySet());
    assertArrayEquals(a, valid.get(0));
    assertEquals(Set.of(0), ShareRefresher.validDealers(votes.subList(0, 3), 4, 1).keySet());
  }

  /** A 3×3 grid (f = 1) on 127.0.0.1 with in-memory stores and admin rounds of 500 ms. */
  private static LocalGrid grid(AccessPolicy policy) throws Exception {
    return LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, policy,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
  }

  private static DealerDigest digest(int dealer, byte[] manifest) {
    return DealerDigest.newBuilder().setDealer(dealer)
        .setManifestSha256(ByteString.copyFrom(manifest)).build();
  }

  /**
   * Each server's stored version of {@code key} (the newest), in server order. A write returns at
   * a quorum of acknowledgements, so the last servers may store it a moment later: wait for them.
   */
  private static List<StoredVersion> held(LocalGrid grid, String key)
      throws InterruptedException {
    List<StoredVersion> out = new ArrayList<>();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (int i = 0; i < 9; i++) {
      List<StoredVersion> stored = grid.server(i).core().stored(key);
      while (stored.isEmpty() && System.nanoTime() < until) {
        Thread.sleep(20);
        stored = grid.server(i).core().stored(key);
      }
      assertFalse(stored.isEmpty(), "s" + i + " never stored " + key);
      out.add(stored.get(stored.size() - 1));
    }
    return out;
  }

  private static Share share(int server, StoredVersion stored) {
    return Share.of(server + 1, stored.getShare().toByteArray());
  }

  private static void awaitRefresh(LocalGrid grid, long epoch) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int i = 0; i < 9; i++) {
      while (grid.server(i).core().refreshesApplied() < epoch) {
        if (System.nanoTime() > until) {
          throw new AssertionError("server s" + i + " did not apply refresh " + epoch
              + " within 30 s");
        }
        Thread.sleep(50);
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
