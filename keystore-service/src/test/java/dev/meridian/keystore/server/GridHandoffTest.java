package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.meridian.proto.v1.HandedRecord;
import dev.meridian.proto.v1.HandoffDealingBody;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.StoredVersion;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A handoff run by the key servers over gRPC on 127.0.0.1: a 3×3 grid hands every secret to a
 * 4×4 grid with the same t = 2, the old grid stops taking writes, and the new one serves reads
 * and writes, with old and new shares never combining.
 */
@Timeout(180)
class GridHandoffTest {
  private static final List<String> CLIENTS = List.of("alice", "bob");
  private static final AccessPolicy POLICY = AccessPolicy.of(List.of(
      new AccessPolicy.Rule("", Set.of("alice", "bob"), Set.of("alice"), Set.of("alice"))));
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();

  @Test
  void everySecretMovesToTheLargerGridAndTheOldGridTakesNoMoreWrites() throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      aliceOld.put("app/db", bytes("first"));
      aliceOld.put("app/db", bytes("correct horse"));
      aliceOld.put("app/api", bytes("battery staple"));
      aliceOld.put("app/gone", bytes("deleted soon"));
      aliceOld.delete("app/gone");
      StoredVersion oldDb = newest(old.server(0).core().stored("app/db"));
      // A grant made in the old grid: the new grid takes the old grid's rules with the intake.
      aliceOld.grant("team/", "bob", AccessPolicy.Right.WRITE);
      assertThrows(KeystoreException.class, () -> bobNew.put("team/plan", bytes("not yet")));

      aliceNew.acceptHandoff(aliceOld.gridSpec(), old.server(0).core().policy().toProto());
      aliceOld.handOff(aliceNew.gridSpec());
      awaitIntake(next, 16, 1);

      assertArrayEquals(bytes("correct horse"), bobNew.get("app/db").value());
      assertArrayEquals(bytes("battery staple"), bobNew.get("app/api").value());
      KeystoreException gone = assertThrows(KeystoreException.class,
          () -> bobNew.get("app/gone"));
      assertEquals(Status.Code.NOT_FOUND, gone.code(), gone.getMessage());

      // Every new server holds a share of one new sharing of the same secret (same C_0).
      Commitments signed = Commitments.decode(RecordBody.parseFrom(oldDb.getRecord().getBody())
          .getCommitments().toByteArray());
      List<StoredVersion> moved = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        StoredVersion v = newest(next.server(i).core().stored("app/db"));
        assertEquals(oldDb.getRecord(), v.getRecord(), "n" + i + " holds the writer's record");
        assertEquals(1, v.getShareEpoch(), "n" + i);
        Commitments c = Commitments.decode(v.getShareCommitments().toByteArray());
        assertTrue(signed.sharesSecretWith(c), "n" + i + ": same secret");
        assertTrue(VSS.verify(Share.of(i + 1, v.getShare().toByteArray()), c), "n" + i);
        assertEquals(moved.isEmpty() ? v.getShareCommitments()
            : moved.get(0).getShareCommitments(), v.getShareCommitments(), "one sharing");
        moved.add(v);
      }
      // Two new shares give the data key; an old share with a new one does not.
      SecretScalar before = VSS.reconstruct(List.of(
          Share.of(1, oldDb.getShare().toByteArray()),
          Share.of(2, newest(old.server(1).core().stored("app/db")).getShare().toByteArray())),
          2);
      SecretScalar after = VSS.reconstruct(List.of(
          Share.of(1, moved.get(0).getShare().toByteArray()),
          Share.of(5, moved.get(4).getShare().toByteArray())), 2);
      SecretScalar mixed = VSS.reconstruct(List.of(
          Share.of(1, oldDb.getShare().toByteArray()),
          Share.of(5, moved.get(4).getShare().toByteArray())), 2);
      assertArrayEquals(before.dataKey(), after.dataKey());
      assertFalse(java.util.Arrays.equals(before.dataKey(), mixed.dataKey()));

      KeystoreException refused = assertThrows(KeystoreException.class,
          () -> aliceOld.put("app/db", bytes("too late")));
      assertTrue(refused.getMessage().contains("handed its secrets over"),
          refused.getMessage());
      aliceNew.put("app/db", bytes("written to the new grid"));
      assertArrayEquals(bytes("written to the new grid"), bobNew.get("app/db").value());
      bobNew.put("team/plan", bytes("the grant moved too"));
      assertArrayEquals(bytes("the grant moved too"), aliceNew.get("team/plan").value());
    }
  }

  @Test
  void noWriteAcknowledgedByTheOldGridIsLostWhenItHandsOverUnderLoad() throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicReference<String> refusal =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread writer = new Thread(() -> {
        for (int i = 0; refusal.get() == null && i < 100_000; i++) {
          try {
            aliceOld.put("load/" + i, bytes("value " + i));
            acknowledged.add("load/" + i);
          } catch (KeystoreException e) {
            refusal.set(e.getMessage());
          }
        }
      }, "writer");
      writer.start();
      aliceNew.acceptHandoff(aliceOld.gridSpec());
      aliceOld.handOff(aliceNew.gridSpec());
      writer.join(30_000);
      assertFalse(writer.isAlive(), "the old grid never refused a write");
      assertTrue(refusal.get().contains("handed its secrets over"), refusal.get());
      assertFalse(acknowledged.isEmpty());
      awaitIntake(next, 16, 1);
      for (String key : acknowledged) {
        assertArrayEquals(bytes("value " + key.substring("load/".length())),
            bobNew.get(key).value(), key + " was acknowledged by the old grid");
      }
    }
  }

  @Test
  void aDealerThatCheatsOneNewServerIsNotCountedThereAndNoSecretIsLost() throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      aliceOld.put("app/db", bytes("correct horse"));
      // Old server s0 hands new server n3 sub-shares off its polynomial.
      old.server(0).core().handoff().outgoing = body -> !body.getRecipientId().equals("n3")
          ? body : corrupt(body);

      aliceNew.acceptHandoff(aliceOld.gridSpec());
      aliceOld.handOff(aliceNew.gridSpec());
      awaitIntake(next, 16, 1);

      // n3 refused s0's dealing; the 15 others accepted it, so s0 counts (n' − f = 15), and n3
      // cannot combine: it keeps the record without a share. Every secret still reads.
      StoredVersion atN3 = newest(next.server(3).core().stored("app/db"));
      assertTrue(atN3.getShare().isEmpty(), "n3 could not combine a counted dealer's sub-share");
      assertEquals(1, newest(next.server(4).core().stored("app/db")).getShareEpoch());
      assertArrayEquals(bytes("correct horse"), bobNew.get("app/db").value());
    }
  }

  @Test
  void aNewServerDownDuringTheHandoffDelaysNoOtherAndTheSecretsStillMove() throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      aliceOld.put("app/db", bytes("correct horse"));
      next.stop(0); // f = 1 new server down: every old server's dealing to it waits in vain
      aliceNew.acceptHandoff(aliceOld.gridSpec());
      aliceOld.handOff(aliceNew.gridSpec());
      // The intake closes at its last voting slot (n0 never votes); the other 15 count every
      // old server, because the dealings to them did not queue behind the one to n0.
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      for (int i = 1; i < 16; i++) {
        while (next.server(i).core().intakesApplied() < 1) {
          assertTrue(System.nanoTime() < until, "n" + i + " did not complete the intake");
          Thread.sleep(50);
        }
        assertEquals(1, newest(next.server(i).core().stored("app/db")).getShareEpoch(),
            "n" + i);
      }
      assertArrayEquals(bytes("correct horse"), bobNew.get("app/db").value());
    }
  }

  @Test
  void secretsLargerThanOneMessageMoveInParts() throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      byte[] big = new byte[50 * 1024];
      for (int i = 0; i < 24; i++) { // about 1.2 MB of ciphertexts: two parts per dealing
        java.util.Arrays.fill(big, (byte) i);
        aliceOld.put("big/" + i, big);
      }
      aliceNew.acceptHandoff(aliceOld.gridSpec());
      aliceOld.handOff(aliceNew.gridSpec());
      awaitIntake(next, 16, 1);
      for (int i = 0; i < 24; i++) {
        java.util.Arrays.fill(big, (byte) i);
        assertArrayEquals(big, bobNew.get("big/" + i).value(), "big/" + i);
      }
    }
  }

  @Test
  void aDealingIsSplitIntoNumberedPartsThatJoinToIt() {
    HandoffDealingBody.Builder body = HandoffDealingBody.newBuilder().setDealerId("s0")
        .setRecipientId("n1");
    for (int i = 0; i < 40; i++) {
      body.addRecords(HandedRecord.newBuilder().setSubShare(ByteString.copyFrom(
          new byte[50 * 1024])).setShareEpoch(i));
    }
    List<HandoffDealingBody> parts = GridHandoff.split(body.build());
    assertEquals(3, parts.size());
    List<HandedRecord> joined = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      assertEquals(i, parts.get(i).getPart());
      assertEquals(3, parts.get(i).getParts());
      assertTrue(parts.get(i).getSerializedSize() < KeyServer.MAX_REQUEST_BYTES - 1024);
      joined.addAll(parts.get(i).getRecordsList());
    }
    assertEquals(body.getRecordsList(), joined);
    assertEquals(1, GridHandoff.split(HandoffDealingBody.getDefaultInstance()).get(0).getParts());
  }

  @Test
  void aGridToleratingMoreFaultsTakesTheSecretsWithItsOwnThreshold() throws Exception {
    // 3×3 grid-cr, f = 1, t = 2  →  threshold n = 9, f = 2, t = 3.
    try (Grids g = new Grids(QuorumSystems.threshold(9, 2), "m");
        KeystoreClient bobOld = g.old.client("bob", DEADLINE)) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeystoreClient bobNew = g.bobNew;
      aliceOld.put("app/db", bytes("correct horse"));
      KeystoreException bob = assertThrows(KeystoreException.class,
          () -> bobOld.handOff(aliceNew.gridSpec()));
      assertTrue(bob.getMessage().contains("does not administer every key"), bob.getMessage());
      aliceOld.put("app/db", bytes("still writable")); // nothing was handed off

      aliceNew.acceptHandoff(aliceOld.gridSpec());
      aliceOld.handOff(aliceNew.gridSpec());
      awaitIntake(next, 9, 1);
      assertArrayEquals(bytes("still writable"), bobNew.get("app/db").value());
      List<Share> shares = new ArrayList<>();
      Commitments moved = null;
      for (int i = 0; i < 9; i++) {
        StoredVersion v = newest(next.server(i).core().stored("app/db"));
        RecordBody record = RecordBody.parseFrom(v.getRecord().getBody());
        assertEquals(2, record.getT(), "the writer's record keeps its t");
        moved = Commitments.decode(v.getShareCommitments().toByteArray());
        assertEquals(3, moved.threshold(), "m" + i + " holds a share of a t = 3 sharing");
        assertTrue(Commitments.decode(record.getCommitments().toByteArray())
            .commitsToSecretOf(moved));
        shares.add(Share.of(i + 1, v.getShare().toByteArray()));
      }
      // Three new shares give the data key the two old ones give; two new ones do not.
      StoredVersion old0 = newest(old.server(0).core().stored("app/db"));
      StoredVersion old1 = newest(old.server(1).core().stored("app/db"));
      byte[] key = VSS.reconstruct(List.of(Share.of(1, old0.getShare().toByteArray()),
          Share.of(2, old1.getShare().toByteArray())), 2).dataKey();
      assertArrayEquals(key, VSS.reconstruct(shares.subList(2, 5), 3).dataKey());
      assertFalse(java.util.Arrays.equals(key, VSS.reconstruct(shares.subList(2, 4), 2)
          .dataKey()));
      // m0 … m2 come back empty: 6 holders, fewer than a quorum (7). A reader writes the moved
      // sharing back (a record split for n = 9, t = 2 with a share of the t = 3 sharing).
      for (int i = 0; i < 3; i++) {
        next.restart(i);
      }
      assertArrayEquals(bytes("still writable"), bobNew.get("app/db").value());
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      int restored = 0;
      while (restored == 0 && System.nanoTime() < until) {
        for (int i = 0; i < 3; i++) {
          List<StoredVersion> stored = next.server(i).core().stored("app/db");
          if (!stored.isEmpty() && newest(stored).getShareEpoch() == 1
              && VSS.verify(Share.of(i + 1, newest(stored).getShare().toByteArray()), moved)) {
            restored++;
          }
        }
        Thread.sleep(50);
      }
      assertTrue(restored > 0, "no restarted server got the moved sharing written back");
      // A new version written in the new grid is split with its t.
      aliceNew.put("app/db", bytes("new grid, new t"));
      assertArrayEquals(bytes("new grid, new t"), bobNew.get("app/db").value());
      assertEquals(3, RecordBody.parseFrom(newest(next.server(0).core().stored("app/db"))
          .getRecord().getBody()).getT());
    }
  }

  @Test
  void aDealingThatIsMalformedUnsignedMisaddressedOrUnexpectedIsRefusedWithTheReason()
      throws Exception {
    try (Grids g = new Grids(QuorumSystems.gridCr(16, 1), "n")) {
      LocalGrid old = g.old;
      LocalGrid next = g.next;
      KeystoreClient aliceOld = g.aliceOld;
      KeystoreClient aliceNew = g.aliceNew;
      KeyServerCore n1 = next.server(1).core();
      HandoffDealingBody body = HandoffDealingBody.newBuilder().setDealerId("s0")
          .setRecipientId("n1").setPart(0).setParts(1).build();
      dev.meridian.proto.v1.HandoffDealing unsigned = dev.meridian.proto.v1.HandoffDealing
          .newBuilder().setBody(body.toByteString()).build();
      assertEquals(Status.Code.FAILED_PRECONDITION, refusal(n1, unsigned).code(),
          "no intake runs yet");

      aliceNew.acceptHandoff(aliceOld.gridSpec());
      awaitIntakeStarted(next, 1);
      Rejection r = refusal(n1, unsigned);
      assertEquals(Status.Code.UNAUTHENTICATED, r.code(), r.getMessage());
      Rejection garbage = refusal(n1, unsigned.toBuilder().setBody(ByteString.copyFromUtf8(
          "not a protobuf \u0000\u00ff")).build());
      assertEquals(Status.Code.INVALID_ARGUMENT, garbage.code(), garbage.getMessage());
      // Signed by old server s0, but for n2 (or with part numbers out of range): refused.
      Rejection misaddressed = refusal(n1, signedByS0(old, body.toBuilder()
          .setRecipientId("n2").build()));
      assertTrue(misaddressed.getMessage().contains("addressed to server \"n2\""),
          misaddressed.getMessage());
      ByteString identity = ByteString.copyFrom(dev.meridian.keystore.wire.GridSpecs.parse(
          aliceNew.gridSpec()).identity());
      Rejection otherGrid = refusal(n1, signedByS0(old, body));
      assertTrue(otherGrid.getMessage().contains("of another grid"), otherGrid.getMessage());
      Rejection parts = refusal(n1, signedByS0(old, body.toBuilder()
          .setSuccessorSha256(identity).setPart(3).setParts(2).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, parts.code(), parts.getMessage());
      assertTrue(parts.getMessage().contains("part 3 of 2"), parts.getMessage());
      // A well-formed, signed, addressed dealing is taken.
      n1.handoffDeal(signedByS0(old, body.toBuilder().setSuccessorSha256(identity).build()));
    }
  }

  private static Rejection refusal(KeyServerCore core,
      dev.meridian.proto.v1.HandoffDealing dealing) {
    return assertThrows(Rejection.class, () -> core.handoffDeal(dealing));
  }

  private static dev.meridian.proto.v1.HandoffDealing signedByS0(LocalGrid old,
      HandoffDealingBody body) {
    return dev.meridian.proto.v1.HandoffDealing.newBuilder().setBody(body.toByteString())
        .setSignature(ByteString.copyFrom(old.server(0).core().config().signingKey().sign(
            body.toByteArray()))).build();
  }

  private static void awaitIntakeStarted(LocalGrid grid, int server) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!grid.server(server).core().handoff().intakeRunning()) {
      assertTrue(System.nanoTime() < until, "the intake never started");
      Thread.sleep(20);
    }
  }

  private static HandoffDealingBody corrupt(HandoffDealingBody body) {
    HandoffDealingBody.Builder bad = body.toBuilder();
    for (int i = 0; i < bad.getRecordsCount(); i++) {
      HandedRecord r = bad.getRecords(i);
      if (!r.getSubShare().isEmpty()) {
        byte[] y = r.getSubShare().toByteArray();
        y[31] ^= 1;
        bad.setRecords(i, r.toBuilder().setSubShare(ByteString.copyFrom(y)));
      }
    }
    return bad.build();
  }

  /**
   * The two grids of a handoff, each test's: an old 3×3 grid-cr (f = 1) and a new one for the
   * same clients, with alice on both and bob on the new one. Closes clients, then grids.
   */
  private static final class Grids implements AutoCloseable {
    final LocalGrid old;
    final LocalGrid next;
    final KeystoreClient aliceOld;
    final KeystoreClient aliceNew;
    final KeystoreClient bobNew;

    Grids(dev.meridian.keystore.quorum.QuorumSystem nextQuorums, String prefix)
        throws Exception {
      List<AutoCloseable> opened = new ArrayList<>();
      try {
        old = oldGrid();
        opened.add(old);
        next = old.successor(nextQuorums, prefix, POLICY);
        opened.add(next);
        aliceOld = old.client("alice", DEADLINE);
        opened.add(aliceOld);
        aliceNew = next.client("alice", DEADLINE);
        opened.add(aliceNew);
        bobNew = next.client("bob", DEADLINE);
      } catch (Exception | Error e) {
        for (int i = opened.size() - 1; i >= 0; i--) {
          opened.get(i).close();
        }
        throw e;
      }
    }

    @Override
    public void close() throws Exception {
      for (AutoCloseable c : List.of(bobNew, aliceNew, aliceOld, next, old)) {
        c.close();
      }
    }
  }

  private static LocalGrid oldGrid() throws Exception {
    return LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
  }

  private static StoredVersion newest(List<StoredVersion> stored) {
    assertFalse(stored.isEmpty(), "nothing stored");
    return stored.get(stored.size() - 1);
  }

  private static void awaitIntake(LocalGrid grid, int n, long number)
      throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int i = 0; i < n; i++) {
      while (grid.server(i).core().intakesApplied() < number) {
        if (System.nanoTime() > until) {
          throw new AssertionError("server " + i + " did not complete intake " + number
              + " within 60 s");
        }
        Thread.sleep(50);
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
