package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.server.AccessPolicy.Right;
import dev.meridian.proto.v1.AclChange;
import dev.meridian.proto.v1.AclRight;
import dev.meridian.proto.v1.AdminOp;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The admin ledger alone: what it applies, what it refuses and why, and that it is a function. */
class AdminLedgerTest {
  private static final long SLOT = 1_800_000_000_000L; // a slot start, ms since the epoch
  private static final Duration WINDOW = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SigningKey ALICE = SigningKey.generate(RANDOM);
  private static final SigningKey BOB = SigningKey.generate(RANDOM);
  private static final Map<String, VerifyingKey> CLIENTS = Map.of("alice", ALICE.verifyingKey(),
      "bob", BOB.verifyingKey());
  private static final AccessPolicy POLICY = AccessPolicy.of(List.of(
      new AccessPolicy.Rule("", Set.of("alice"), Set.of("alice"), Set.of("alice"))));

  @Test
  void anAdminGrantsAndRevokes() {
    AdminLedger ledger = new AdminLedger(POLICY, CLIENTS, WINDOW);
    AdminLedger.Outcome granted = ledger.apply(SLOT, List.of(
        request("alice", ALICE, SLOT, grant("docs/", "bob", AclRight.ACL_RIGHT_READ)))).get(0);
    assertTrue(granted.applied(), granted.toString());
    assertEquals(1, granted.sequence());
    assertTrue(ledger.policy().allows("bob", Right.READ, "docs/a"));
    assertFalse(ledger.policy().allows("bob", Right.READ, "other"));
    assertTrue(ledger.policy().allows("alice", Right.WRITE, "docs/a"), "alice keeps her rights");

    AdminLedger.Outcome revoked = ledger.apply(SLOT + 200, List.of(
        request("alice", ALICE, SLOT, revoke("docs/", "bob", AclRight.ACL_RIGHT_READ)))).get(0);
    assertTrue(revoked.applied(), revoked.toString());
    assertFalse(ledger.policy().allows("bob", Right.READ, "docs/a"));
    assertEquals(2, ledger.sequence());
  }

  @Test
  void refusesWithAReasonAndChangesNothing() throws Exception {
    AdminLedger ledger = new AdminLedger(POLICY, CLIENTS, WINDOW);
    SignedRequest fine = request("alice", ALICE, SLOT, grant("a/", "bob", AclRight.ACL_RIGHT_READ));
    SignedRequest forged = fine.toBuilder().setBody(RequestBody.parseFrom(fine.getBody())
        .toBuilder().setClientId("bob").build().toByteString()).build();
    SignedRequest maced = fine.toBuilder().setSessionId(ByteString.copyFrom(new byte[16]))
        .build();
    // A request the server verified on arrival skips the check; a forged one never does.
    ledger.alreadyVerified(fine);
    SignedRequest resplit = SignedRequest.newBuilder().setBody(fine.getBody()
        .concat(fine.getSignature().substring(0, 8))).setSignature(fine.getSignature()
        .substring(8)).build();
    assertRefused(ledger, resplit, "the request body is not a RequestBody|signature does not verify");
    assertRefused(ledger, request("bob", BOB, SLOT, grant("a/", "bob", AclRight.ACL_RIGHT_READ)),
        "does not administer");
    assertRefused(ledger, forged, "signature does not verify");
    assertRefused(ledger, maced, "must be signed");
    assertRefused(ledger, request("alice", ALICE, SLOT - WINDOW.toMillis() - 1,
        grant("a/", "bob", AclRight.ACL_RIGHT_READ)), "stale");
    assertRefused(ledger, request("alice", ALICE, SLOT, grant("a/", "mallory",
        AclRight.ACL_RIGHT_READ)), "unknown client mallory");
    assertRefused(ledger, request("alice", ALICE, SLOT, grant("a/", "bob",
        AclRight.ACL_RIGHT_UNSPECIFIED)), "names no right");
    assertRefused(ledger, request("alice", ALICE, SLOT, grant("bad key!", "bob",
        AclRight.ACL_RIGHT_READ)), "not a valid key name");
    assertEquals(POLICY, ledger.policy());
    assertEquals(0, ledger.sequence());

    assertTrue(ledger.apply(SLOT, List.of(fine)).get(0).applied());
    assertRefused(ledger, fine, "already decided"); // the same request, decided again
  }

  @Test
  void aRevokedAdminCannotActLaterInTheSameBatch() {
    AdminLedger ledger = new AdminLedger(POLICY, CLIENTS, WINDOW);
    List<AdminLedger.Outcome> outcomes = ledger.apply(SLOT, List.of(
        request("alice", ALICE, SLOT, grant("", "bob", AclRight.ACL_RIGHT_ADMIN)),
        request("alice", ALICE, SLOT, revoke("", "bob", AclRight.ACL_RIGHT_ADMIN)),
        request("bob", BOB, SLOT, grant("", "bob", AclRight.ACL_RIGHT_WRITE))));
    assertTrue(outcomes.get(0).applied());
    assertTrue(outcomes.get(1).applied());
    assertFalse(outcomes.get(2).applied(), "bob's admin right was revoked just before");
  }

  /** Two ledgers fed the same slots in any seeded mix end equal, outcome for outcome. */
  @Test
  void isAFunctionOfWhatItIsFed() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      List<List<SignedRequest>> slots = new ArrayList<>();
      for (int s = 0; s < 10; s++) {
        List<SignedRequest> batch = new ArrayList<>();
        for (int r = random.nextInt(4); r > 0; r--) {
          boolean byAlice = random.nextBoolean();
          AclChange change = AclChange.newBuilder().setKeyPrefix(random.nextBoolean() ? "" : "k/")
              .setClientId(random.nextBoolean() ? "alice" : "bob")
              .setRight(AclRight.forNumber(1 + random.nextInt(3))).build();
          AdminOp op = random.nextBoolean() ? AdminOp.newBuilder().setGrant(change).build()
              : AdminOp.newBuilder().setRevoke(change).build();
          batch.add(request(byAlice ? "alice" : "bob", byAlice ? ALICE : BOB, SLOT + s * 200L,
              op));
        }
        slots.add(batch);
      }
      AdminLedger one = new AdminLedger(POLICY, CLIENTS, WINDOW);
      AdminLedger two = new AdminLedger(POLICY, CLIENTS, WINDOW);
      for (int s = 0; s < slots.size(); s++) {
        List<AdminLedger.Outcome> a = one.apply(SLOT + s * 200L, slots.get(s));
        List<AdminLedger.Outcome> b = two.apply(SLOT + s * 200L, slots.get(s));
        assertEquals(a.stream().map(Object::toString).toList(),
            b.stream().map(Object::toString).toList(), "seed " + seed);
      }
      assertEquals(one.policy(), two.policy(), "seed " + seed);
      assertEquals(one.sequence(), two.sequence(), "seed " + seed);
    }
  }

  @Test
  void anIntakeTakesTheCarriedRulesOnlyIfTheyAreValidHereAndOneRunsAtATime() {
    AdminLedger ledger = new AdminLedger(POLICY, CLIENTS, WINDOW);
    SigningKey server = SigningKey.generate(RANDOM);
    dev.meridian.proto.v1.GridSpec.Builder grid = dev.meridian.proto.v1.GridSpec.newBuilder()
        .setQuorumKind("threshold").setF(0);
    grid.addServers(dev.meridian.proto.v1.GridServer.newBuilder().setId("old0")
        .setPublicKey(ByteString.copyFrom(server.verifyingKey().toBytes()))
        .setHost("127.0.0.1").setPort(7000));
    AccessPolicy carried = AccessPolicy.of(List.of(new AccessPolicy.Rule("", Set.of("alice",
        "bob"), Set.of("alice", "bob"), Set.of("alice"))));
    AdminOp intake = AdminOp.newBuilder().setAcceptHandoff(
        dev.meridian.proto.v1.AcceptHandoffOp.newBuilder().setPredecessor(grid)
            .addAllRules(carried.toProto())).build();
    assertRefused(ledger, request("alice", ALICE, SLOT, intake), "takes part in no handoff");
    ledger.handoffRules(Duration.ofSeconds(30));
    AdminOp strangers = intake.toBuilder().setAcceptHandoff(intake.getAcceptHandoff()
        .toBuilder().clearRules().addAllRules(AccessPolicy.of(List.of(new AccessPolicy.Rule("",
            Set.of("mallory"), Set.of(), Set.of()))).toProto())).build();
    assertRefused(ledger, request("alice", ALICE, SLOT, strangers),
        "name client mallory, unknown to this grid");
    AdminOp noServers = intake.toBuilder().setAcceptHandoff(intake.getAcceptHandoff()
        .toBuilder().setPredecessor(grid.clone().clearServers())).build();
    assertRefused(ledger, request("alice", ALICE, SLOT, noServers), "lists 0 servers");
    AdminOp otherT = intake.toBuilder().setAcceptHandoff(intake.getAcceptHandoff()
        .toBuilder().setPredecessor(grid.clone().setF(1))).build();
    assertRefused(ledger, request("alice", ALICE, SLOT, otherT), "f=1 is out of range");
    assertFalse(ledger.policy().allows("bob", Right.WRITE, "x"));

    AdminLedger.Outcome taken = ledger.apply(SLOT, List.of(request("alice", ALICE, SLOT,
        intake))).get(0);
    assertTrue(taken.applied(), taken.toString());
    assertEquals(1, ledger.intakes());
    assertEquals(carried, ledger.policy());
    assertTrue(ledger.policy().allows("bob", Right.WRITE, "x"));
    assertRefused(ledger, request("alice", ALICE, SLOT, intake), "an intake is already running");
  }

  private static void assertRefused(AdminLedger ledger, SignedRequest request, String reason) {
    AdminLedger.Outcome outcome = ledger.apply(SLOT, List.of(request)).get(0);
    assertFalse(outcome.applied(), outcome.toString());
    assertTrue(java.util.Arrays.stream(reason.split("\\|")).anyMatch(outcome.reason()::contains),
        outcome.reason());
  }

  private static AdminOp grant(String prefix, String client, AclRight right) {
    return AdminOp.newBuilder().setGrant(AclChange.newBuilder().setKeyPrefix(prefix)
        .setClientId(client).setRight(right)).build();
  }

  private static AdminOp revoke(String prefix, String client, AclRight right) {
    return AdminOp.newBuilder().setRevoke(AclChange.newBuilder().setKeyPrefix(prefix)
        .setClientId(client).setRight(right)).build();
  }

  private static SignedRequest request(String client, SigningKey key, long timestamp,
      AdminOp op) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    byte[] body = RequestBody.newBuilder().setClientId(client).setTimestampMillis(timestamp)
        .setNonce(ByteString.copyFrom(nonce)).setAdmin(op).build().toByteArray();
    return SignedRequest.newBuilder().setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(key.sign(body))).build();
  }
}
