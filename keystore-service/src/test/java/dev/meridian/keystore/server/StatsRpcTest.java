package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.client.ServerStats;
import com.google.protobuf.ByteString;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SessionCrypto;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.wire.Sessions;
import dev.meridian.proto.v1.OpenSessionOp;
import dev.meridian.proto.v1.OperationStats;
import dev.meridian.proto.v1.ReasonCount;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SessionGrantBody;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StatsBody;
import dev.meridian.proto.v1.StatsOp;
import dev.meridian.proto.v1.StatsReply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Stats RPC over real gRPC on 127.0.0.1: refused to clients without an admin right,
 * answered to an administrator with figures that match what the server did, signed so that the
 * client can check it came from that server, and audited like every decision.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatsRpcTest {
  @TempDir Path dir;

  private static ServerStats.Reply fetch(OneServer s, String client, SigningKey key,
      SigningKey serverKey) {
    ServerEndpoint endpoint = new ServerEndpoint("s2", s.server.address(),
        serverKey.verifyingKey());
    return ServerStats.fetch(List.of(endpoint), client, key, Duration.ofSeconds(10)).get(0);
  }

  @Test
  void aStatsRequestOverASessionIsAnsweredWithAMacUnderThatSession() throws Exception {
    try (OneServer s = new OneServer()) {
      byte[] ephemeral = SessionCrypto.newPrivateKey(s.random);
      SessionGrant grant = s.stub().openSession(s.request(s.alice, "alice",
          b -> b.setOpenSession(OpenSessionOp.newBuilder().setClientShare(
              ByteString.copyFrom(SessionCrypto.publicKey(ephemeral))))));
      SessionGrantBody g = SessionGrantBody.parseFrom(grant.getBody());
      byte[] sessionKey = SessionCrypto.deriveKey(
          SessionCrypto.agree(ephemeral, g.getServerShare().toByteArray()),
          Hashes.sha256(grant.getBody().toByteArray()), Sessions.KEY_INFO);
      SignedRequest signed = s.request(s.alice, "alice", b -> b.setStats(StatsOp.newBuilder()));
      SignedRequest maced = SignedRequest.newBuilder().setBody(signed.getBody())
          .setSessionId(g.getSessionId())
          .setMac(ByteString.copyFrom(SessionCrypto.hmac(sessionKey,
              signed.getBody().toByteArray())))
          .build();
      StatsReply reply = s.stub().stats(maced);
      assertTrue(reply.getSignature().isEmpty(), "a session answer is MACed, not signed");
      assertTrue(SessionCrypto.verifyHmac(sessionKey, reply.getBody().toByteArray(),
          reply.getMac().toByteArray()));
      StatsBody stats = StatsBody.parseFrom(reply.getBody());
      assertEquals(RequestBody.parseFrom(signed.getBody()).getNonce(), stats.getNonce());
      assertEquals(1, stats.getOperationsList().stream()
          .filter(o -> o.getOperation().equals("open-session")).findFirst().orElseThrow()
          .getOk(), stats::toString);
    }
  }

  @Test
  void statsAreRefusedToNonAdminsAndAnsweredSignedToAnAdmin() throws Exception {
    Path file = dir.resolve("s2.audit.jsonl");
    try (OneServer s = new OneServer(FileAuditLog.open(file))) {
      s.stub().write(s.write("k", 1, "v".getBytes(StandardCharsets.UTF_8)));
      s.stub().read(s.read(s.dave, "dave", "k"));
      assertThrows(StatusRuntimeException.class,
          () -> s.stub().read(s.read(s.carol, "carol", "k")));

      // carol reads pub/ only, dave reads and writes everything: neither administers anything.
      for (String client : List.of("carol", "dave")) {
        SigningKey key = client.equals("carol") ? s.carol : s.dave;
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> s.stub().stats(s.request(key, client, b -> b.setStats(StatsOp.newBuilder()))));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), client);
        assertTrue(e.getStatus().getDescription().contains("may not read server metrics"),
            e.getStatus().getDescription());
        ServerStats.Reply refused = fetch(s, client, key, s.serverKey);
        assertTrue(refused.stats().isEmpty());
        assertTrue(refused.problem().startsWith("PERMISSION_DENIED"), refused.problem());
      }

      ServerStats.Reply reply = fetch(s, "alice", s.alice, s.serverKey);
      assertEquals("", reply.problem());
      StatsBody stats = reply.stats().orElseThrow();
      assertEquals("s2", stats.getServerId());
      Map<String, OperationStats> ops = stats.getOperationsList().stream()
          .collect(Collectors.toMap(OperationStats::getOperation, o -> o));
      assertEquals(1, ops.get("write").getOk(), stats::toString);
      assertEquals(1, ops.get("read").getOk(), stats::toString);
      assertEquals(1, ops.get("read").getRejected(), stats::toString);
      assertEquals(4, ops.get("stats").getRejected(), stats::toString);
      Map<String, Long> reasons = stats.getRejectionsList().stream()
          .collect(Collectors.toMap(ReasonCount::getReason, ReasonCount::getCount));
      assertEquals(5, reasons.get("denied"), stats::toString);
      assertEquals(Rejection.Reason.values().length, reasons.size());
      assertEquals(0, stats.getAuditFailures());

      // An answer checked against another key is not trusted.
      ServerStats.Reply impostor = fetch(s, "alice", s.alice, s.alice);
      assertTrue(impostor.stats().isEmpty());
      assertTrue(impostor.problem().contains("does not verify"), impostor.problem());
    }
    List<String> statsLines = Files.readAllLines(file).stream()
        .filter(l -> l.contains("\"op\":\"stats\"")).toList();
    assertEquals(6, statsLines.size(), statsLines::toString);
    assertEquals(2, statsLines.stream().filter(l -> l.contains("\"decision\":\"allowed\""))
        .filter(l -> l.contains("\"client\":\"alice\"")).count(), statsLines::toString);
  }
}
