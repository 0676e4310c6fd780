package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.AccessPolicy.Right;
import dev.meridian.keystore.server.KeyServerCore;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.keystore.store.RocksRecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.proto.v1.AclChange;
import dev.meridian.proto.v1.AclRight;
import dev.meridian.proto.v1.AdminLogOp;
import dev.meridian.proto.v1.AdminOp;
import dev.meridian.proto.v1.AdminOutcome;
import dev.meridian.proto.v1.AdminReply;
import dev.meridian.proto.v1.AdminReplyBody;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admin actions end to end on a 3×3 grid over gRPC on 127.0.0.1: grant and revoke go through
 * Dolev–Strong agreement among the servers, and every server ends with the same policy.
 */
@Timeout(120)
class AdminActionsTest {
  private static final List<String> CLIENTS = List.of("alice", "bob", "carol");
  /** alice administers everything; bob and carol may do nothing yet. */
  private static final AccessPolicy POLICY = AccessPolicy.of(List.of(
      new AccessPolicy.Rule("", Set.of(), Set.of(), Set.of("alice"))));
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @Test
  void grantAndRevokeTakeEffectAtEveryServer() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient bob = grid.client("bob", DEADLINE)) {
      alice.put("team/plan", bytes("launch at dawn"));
      assertThrows(KeystoreException.class, () -> bob.get("team/plan"));

      assertEquals(1, alice.grant("team/", "bob", Right.READ));
      assertArrayEquals(bytes("launch at dawn"), bob.get("team/plan").value());
      assertSamePolicyEverywhere(grid, 9);
      // The new rule started as a copy of the one that decided before: alice keeps her rights.
      assertTrue(grid.server(4).core().policy().allows("alice", Right.WRITE, "team/plan"));

      KeystoreException refused = assertThrows(KeystoreException.class,
          () -> bob.grant("team/", "carol", Right.READ));
      assertEquals(Status.Code.PERMISSION_DENIED, refused.code());
      assertTrue(refused.getMessage().contains("does not administer"), refused.getMessage());

      assertEquals(2, alice.revoke("team/", "bob", Right.READ)); // a refused action counts not
      assertThrows(KeystoreException.class, () -> bob.get("team/plan"));
      assertSamePolicyEverywhere(grid, 9);
    }
  }

  @Test
  void anActionStillPassesWithFServersDown() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE);
        KeystoreClient carol = grid.client("carol", DEADLINE)) {
      grid.stop(0); // the lowest-numbered server: the first sender in every slot
      alice.grant("", "carol", Right.WRITE);
      carol.put("carols/note", bytes("hello"));
      for (int i = 1; i < 9; i++) {
        assertTrue(grid.server(i).core().policy().allows("carol", Right.WRITE, "x"), "s" + i);
      }
    }
  }

  @Test
  void aClientAsksTheFPlusOneFirstProposersAndFindsTheActionInForceAtNMinusFServers()
      throws Exception {
    // The client knows the round length (the local grid tells it), so it sends the request to
    // its f + 1 = 2 first proposers only; each answers once n - f = 8 servers said they applied
    // the slot, so the action is in force at 8 servers when the call returns.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      long before = alice.callsSent();
      assertEquals(1, alice.grant("x/", "bob", Right.READ));
      assertEquals(2, alice.callsSent() - before);
      int inForce = 0;
      for (int i = 0; i < 9; i++) {
        inForce += grid.server(i).core().policy().allows("bob", Right.READ, "x/y") ? 1 : 0;
      }
      assertTrue(inForce >= 8, inForce + " servers");
    }
  }

  @Test
  void aClientWhoseFirstProposerIsDownAsksEveryServer() throws Exception {
    // Server (σ + 1) mod 9 proposes first the requests signed in slot σ and in slot σ + 1; it
    // is down, so it fails the client's call, and the client asks the other servers too.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      int down = (int) Math.floorMod(Math.floorDiv(System.currentTimeMillis(), 500L) + 1, 9L);
      grid.stop(down);
      long before = alice.callsSent();
      assertEquals(1, alice.grant("x/", "bob", Right.READ));
      assertEquals(9, alice.callsSent() - before);
      for (int i = 0; i < 9; i++) {
        if (i != down) {
          assertTrue(grid.server(i).core().policy().allows("bob", Right.READ, "x/y"), "s" + i);
        }
      }
    }
  }

  @Test
  void anActionWaitsForAgreementBeyondTheOrdinaryDeadline() throws Exception {
    // Rounds of 500 ms: an action takes about 4.5 rounds (2.25 s), more than this client's
    // 1 s deadline for reads and writes. Admin actions have their own (30 s by default).
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", Duration.ofSeconds(1))) {
      assertEquals(1, alice.grant("x/", "bob", Right.READ));
      assertSamePolicyEverywhere(grid, 9);
    }
  }

  @Test
  void madeUpOutcomesWithBrokenSignaturesAreNotCounted() throws Exception {
    // s3 and s6 (f + 1 liars) answer every admin call at once, before anything is decided,
    // under a broken signature: the first call "applied as action 999", the second "refused".
    // The client checks signatures until f + 1 servers vouch for one outcome, so the first
    // answers it checks are these, and none of them may count.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(),
            i -> i == 3 || i == 6 ? MadeUpOutcomes::new : KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      assertEquals(1, alice.grant("x/", "bob", Right.READ));
      assertEquals(2, alice.grant("y/", "bob", Right.READ));
      assertTrue(grid.server(0).core().policy().allows("bob", Right.READ, "y/z"));
    }
  }

  @Test
  void aRequestReachingAServerAfterItWasDecidedGetsItsOutcomeAtOnce() throws Exception {
    // Under load a client's request often reaches a server after the others decided it. That
    // server answers with the decided outcome, instead of proposing the request again (it would
    // be refused as a replay); and so does a server the same bytes reach twice.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new)) {
      byte[] body = RequestBody.newBuilder().setClientId("alice")
          .setTimestampMillis(System.currentTimeMillis())
          .setNonce(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
              14, 15, 16}))
          .setAdmin(AdminOp.newBuilder().setGrant(AclChange.newBuilder().setKeyPrefix("late/")
              .setClientId("bob").setRight(AclRight.ACL_RIGHT_READ)))
          .build().toByteArray();
      SignedRequest request = SignedRequest.newBuilder().setBody(ByteString.copyFrom(body))
          .setSignature(ByteString.copyFrom(grid.signingKey("alice").sign(body))).build();
      // To every server but s4 at once, as a client would.
      ExecutorService callers = Executors.newFixedThreadPool(8);
      List<Future<AdminReplyBody>> first = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 9; i++) {
          int server = i;
          if (i != 4) {
            first.add(callers.submit(() -> adminCall(grid, server, request)));
          }
        }
      } finally {
        callers.shutdown();
      }
      for (Future<AdminReplyBody> f : first) {
        AdminReplyBody reply = f.get(30, TimeUnit.SECONDS);
        assertEquals(AdminOutcome.ADMIN_OUTCOME_APPLIED, reply.getOutcome(), reply.toString());
        assertEquals(1, reply.getPolicySequence());
      }
      assertSamePolicyEverywhere(grid, 9); // s4 applied it too, from the agreement
      // Answered from what was decided (before, s4 queued the request for agreement again, and
      // s2 refused the resend as UNAUTHENTICATED: replayed nonce).
      AdminReplyBody late = adminCall(grid, 4, request);
      AdminReplyBody again = adminCall(grid, 2, request);
      for (AdminReplyBody reply : List.of(late, again)) {
        assertEquals(AdminOutcome.ADMIN_OUTCOME_APPLIED, reply.getOutcome(), reply.toString());
        assertEquals(1, reply.getPolicySequence());
      }
    }
  }

  /** Alice's signed grant of read on {@code prefix} to bob, under the given signature bytes. */
  private static SignedRequest aliceGrant(LocalGrid grid, String prefix, long timestampMillis,
      boolean forged) {
    byte[] body = RequestBody.newBuilder().setClientId("alice")
        .setTimestampMillis(timestampMillis)
        .setNonce(ByteString.copyFrom(Hashes.sha256(bytes(prefix)), 0, 16))
        .setAdmin(AdminOp.newBuilder().setGrant(AclChange.newBuilder().setKeyPrefix(prefix)
            .setClientId("bob").setRight(AclRight.ACL_RIGHT_READ)))
        .build().toByteArray();
    byte[] signature = grid.signingKey("alice").sign(forged ? bytes("other bytes") : body);
    return SignedRequest.newBuilder().setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(signature)).build();
  }

  /**
   * The server that does not propose a request signed at {@code timestampMillis} in its first
   * window (so does not check it on arrival) but does in its second: (σ + f + 1) mod n, with
   * σ the slot of the timestamp (f = 1, n = 9, the local grid's 500 ms rounds).
   */
  private static int heldUncheckedUntilTheSecondWindow(long timestampMillis) {
    return (int) Math.floorMod(Math.floorDiv(timestampMillis, 500L) + 2, 9L);
  }

  @Test
  void aForgedRequestHeldUncheckedIsRefusedWhenItsHolderComesToProposeIt() throws Exception {
    // Only a request's f + 1 first proposers check its signature on arrival; another server
    // holds it unchecked, to answer with its decided outcome. Forged bytes sent to such a
    // server alone are never decided: it checks them before it proposes them, a window later,
    // and refuses them then. Nothing is applied anywhere.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new)) {
      long now = System.currentTimeMillis();
      int holder = heldUncheckedUntilTheSecondWindow(now);
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> adminCall(grid, holder, aliceGrant(grid, "forged/", now, true)));
      assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("does not verify"),
          refused.getStatus().getDescription());
      for (int i = 0; i < 9; i++) {
        assertEquals(0, grid.server(i).adminSequence(), "s" + i);
      }
    }
  }

  @Test
  void aForgedCopyHeldFirstDoesNotStandInForTheRealRequest() throws Exception {
    // The forged copy reaches the unchecking server first; the real request (same body, real
    // signature) follows to every server. The server checks the second copy, holds that one,
    // and answers with its outcome; every server applies the real request once.
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new)) {
      long now = System.currentTimeMillis();
      int holder = heldUncheckedUntilTheSecondWindow(now);
      SignedRequest real = aliceGrant(grid, "real/", now, false);
      ExecutorService callers = Executors.newFixedThreadPool(10);
      try {
        Future<AdminReplyBody> forgedCall = callers.submit(
            () -> adminCall(grid, holder, aliceGrant(grid, "real/", now, true)));
        // Likely (not certain) to make the forged copy the first one held; the assertions hold
        // in either order.
        Thread.sleep(200);
        List<Future<AdminReplyBody>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
          int server = i;
          calls.add(callers.submit(() -> adminCall(grid, server, real)));
        }
        for (Future<AdminReplyBody> call : calls) {
          AdminReplyBody reply = call.get(30, TimeUnit.SECONDS);
          assertEquals(AdminOutcome.ADMIN_OUTCOME_APPLIED, reply.getOutcome(), reply.toString());
          assertEquals(1, reply.getPolicySequence());
        }
        try {
          forgedCall.get(30, TimeUnit.SECONDS); // held first: it waited on the same body
        } catch (java.util.concurrent.ExecutionException second) {
          // It came after the real copy: checked at once, and refused.
          assertEquals(Status.Code.UNAUTHENTICATED,
              ((StatusRuntimeException) second.getCause()).getStatus().getCode());
        }
      } finally {
        callers.shutdownNow();
      }
      assertSamePolicyEverywhere(grid, 9);
      assertEquals(1, grid.server(holder).adminSequence());
      assertTrue(grid.server(holder).core().policy().allows("bob", Right.READ, "real/x"));
    }
  }

  private static AdminReplyBody adminCall(LocalGrid grid, int server, SignedRequest request)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
        grid.server(server).port()).usePlaintext().build();
    try {
      AdminReply reply = KeystoreGrpc.newBlockingStub(channel)
          .withDeadlineAfter(20, TimeUnit.SECONDS).admin(request);
      return AdminReplyBody.parseFrom(reply.getBody());
    } finally {
      channel.shutdownNow();
    }
  }

  /** Answers admin calls at once with a made-up outcome and a broken signature. */
  private static final class MadeUpOutcomes extends ByzantineFaces.Forwarding {
    private final java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();
    private final String id;

    MadeUpOutcomes(KeyServerCore core) {
      super(core);
      this.id = core.config().serverId();
    }

    @Override
    public void admin(SignedRequest request, StreamObserver<AdminReply> replies) {
      boolean applied = calls.getAndIncrement() == 0;
      AdminReplyBody body = AdminReplyBody.newBuilder().setServerId(id)
          .setRequestSha256(ByteString.copyFrom(Hashes.sha256(request.getBody().toByteArray())))
          .setOutcome(applied ? AdminOutcome.ADMIN_OUTCOME_APPLIED
              : AdminOutcome.ADMIN_OUTCOME_REFUSED)
          .setReason(applied ? "" : "made up").setPolicySequence(999).build();
      replies.onNext(AdminReply.newBuilder().setBody(body.toByteString())
          .setSignature(ByteString.copyFrom(new byte[64])).build());
      replies.onCompleted();
    }
  }

  @Test
  void aServerRestartedBeforeAnActionTakesPartInIt() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      alice.put("x/1", bytes("v")); // every channel has carried traffic
      grid.stop(8);
      alice.put("x/2", bytes("v")); // ... and the ones to s8 have seen it gone
      grid.restart(8);
      alice.grant("x/", "bob", Right.READ);
      assertSamePolicyEverywhere(grid, 9);
    }
  }

  @Test
  void aServerDownDuringAnActionCatchesUpWhenItReturns() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      alice.grant("a/", "bob", Right.READ);
      grid.stop(5);
      alice.grant("b/", "carol", Right.WRITE); // decided while s5 is down
      grid.restart(5); // with an empty store: it has neither action
      // The restart asked the others for their logs: s5 took what f + 1 of them report alike.
      assertEquals(grid.server(0).core().policy(), grid.server(5).core().policy());
      assertEquals(2, grid.server(5).adminSequence());
      assertTrue(grid.server(5).core().policy().allows("carol", Right.WRITE, "b/x"));
      alice.revoke("a/", "bob", Right.READ); // and it takes part in the next one
      assertSamePolicyEverywhere(grid, 9);
    }
  }

  @Test
  void theAdminLogIsForServersOnly() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
        i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new)) {
      byte[] body = RequestBody.newBuilder().setClientId("alice").setServerId("s0")
          .setTimestampMillis(System.currentTimeMillis())
          .setNonce(ByteString.copyFrom(new byte[16]))
          .setAdminLog(AdminLogOp.newBuilder()).build().toByteArray();
      SignedRequest request = SignedRequest.newBuilder().setBody(ByteString.copyFrom(body))
          .setSignature(ByteString.copyFrom(grid.signingKey("alice").sign(body))).build();
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
          grid.server(0).port()).usePlaintext().build();
      try {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> KeystoreGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .adminLog(request));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("servers only"),
            refused.getStatus().getDescription());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void appliedActionsSurviveARestart(@TempDir Path dir) throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), CLIENTS, POLICY,
            i -> rocks(dir.resolve("s" + i)), i -> KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", DEADLINE)) {
      alice.grant("shared/", "bob", Right.READ);
      alice.grant("shared/", "carol", Right.ADMIN);
      assertSamePolicyEverywhere(grid, 9);
      grid.restart(2);
      assertEquals(grid.server(0).core().policy(), grid.server(2).core().policy());
      assertEquals(2, grid.server(2).adminSequence());
      assertTrue(grid.server(2).core().policy().allows("carol", Right.ADMIN, "shared/x"));
    }
  }

  /**
   * Every server holds server 0's policy. The client returns once f + 1 servers answered; the
   * others close the same slot within moments, so they are given a few seconds to.
   */
  private static void assertSamePolicyEverywhere(LocalGrid grid, int n)
      throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < until && !sameSequence(grid, n)) {
      Thread.sleep(20);
    }
    AccessPolicy first = grid.server(0).core().policy();
    for (int i = 1; i < n; i++) {
      assertEquals(first, grid.server(i).core().policy(), "server s" + i);
      assertEquals(grid.server(0).adminSequence(), grid.server(i).adminSequence(), "s" + i);
    }
  }

  private static boolean sameSequence(LocalGrid grid, int n) {
    for (int i = 1; i < n; i++) {
      if (grid.server(i).adminSequence() != grid.server(0).adminSequence()) {
        return false;
      }
    }
    return true;
  }

  private static RocksRecordStore rocks(Path path) {
    try {
      return RocksRecordStore.open(path, RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE);
    } catch (StoreException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
