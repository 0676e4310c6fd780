package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.meridian.proto.v1.CompleteOp;
import dev.meridian.proto.v1.KeyVersion;
import dev.meridian.proto.v1.ReadOp;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.Version;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log of one server on 127.0.0.1, fed by real gRPC requests: allowed and denied
 * decisions with the right client, key, version and reason; authentication failures left out;
 * no secret, share, ciphertext or signature in any form; hostile key names escaped; and a log
 * that cannot be written makes the server refuse what it would allow (fail-closed).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditLogTest {
  @TempDir Path dir;

  private static Status.Code refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private static List<Map<String, Object>> events(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      out.add(Json.object(line));
    }
    return out;
  }

  private static Map<String, Object> version(long counter, String client) {
    return Map.of("counter", counter, "client", client);
  }

  private static void assertEvent(Map<String, Object> e, String client, String op, String key,
      Map<String, Object> version, String decision, String reason) {
    String shown = e.toString();
    assertEquals("s2", e.get("server"), shown);
    assertEquals("access", e.get("kind"), shown);
    assertEquals(client, e.get("client"), shown);
    assertEquals(op, e.get("op"), shown);
    assertEquals(key, e.get("key"), shown);
    assertEquals(version, e.get("version"), shown);
    assertEquals(decision, e.get("decision"), shown);
    assertEquals(reason, e.get("reason"), shown);
    assertTrue(((String) e.get("time")).endsWith("Z"), shown);
  }

  @Test
  void allowedAndDeniedDecisionsAreRecordedAndAuthenticationFailuresAreNot() throws Exception {
    Path file = dir.resolve("s2.audit.jsonl");
    byte[] secret = "audit me".getBytes(StandardCharsets.UTF_8);
    try (OneServer s = new OneServer(FileAuditLog.open(file))) {
      WriteRequest w = s.write("private/k", 1, secret);
      s.stub().write(w);
      assertEquals(Status.Code.UNAUTHENTICATED, refused(() -> s.stub().write(w))); // replay
      assertEquals(Status.Code.PERMISSION_DENIED,
          refused(() -> s.stub().read(s.read(s.carol, "carol", "private/k"))));
      s.stub().read(s.read(s.dave, "dave", "private/k"));
      assertEquals(Status.Code.UNAUTHENTICATED,
          refused(() -> s.stub().read(s.read(s.carol, "alice", "private/k")))); // forged
      assertEquals(Status.Code.INVALID_ARGUMENT,
          refused(() -> s.stub().write(OneServer.withBadShare(s.write("private/k", 2, secret)))));
      // Complete: one event per version named; carol may not write, so she may not complete.
      CompleteOp v1 = CompleteOp.newBuilder().addVersions(KeyVersion.newBuilder()
          .setKey("private/k").setVersion(Version.newBuilder().setCounter(1).setClientId("alice")))
          .build();
      assertEquals(Status.Code.PERMISSION_DENIED, refused(() -> s.stub().complete(
          s.request(s.carol, "carol", b -> b.setComplete(v1)))));
      assertEquals(1, s.stub().complete(s.request(s.alice, "alice", b -> b.setComplete(v1)))
          .getAccepted());
      s.stub().read(s.request(s.alice, "alice",
          b -> b.setRead(ReadOp.newBuilder().setKey("private/k").setShares(false))));
    }
    List<Map<String, Object>> events = events(file);
    assertEquals(7, events.size(), events::toString);
    assertEvent(events.get(0), "alice", "write", "private/k", version(1, "alice"), "allowed",
        "ok");
    assertEvent(events.get(1), "carol", "read", "private/k", null, "denied", "denied");
    assertTrue(((String) events.get(1).get("detail")).contains("carol may not read"),
        events.get(1)::toString);
    assertEvent(events.get(2), "dave", "read", "private/k", null, "allowed", "ok");
    assertEvent(events.get(3), "alice", "write", "private/k", version(2, "alice"), "denied",
        "bad-share");
    assertEvent(events.get(4), "carol", "complete", "private/k", version(1, "alice"), "denied",
        "denied");
    assertEvent(events.get(5), "alice", "complete", "private/k", version(1, "alice"), "allowed",
        "ok");
    assertEvent(events.get(6), "alice", "read-records", "private/k", null, "allowed", "ok");
  }

  @Test
  void theLogNeverHoldsTheSecretShareCiphertextOrSignatureInAnyForm() throws Exception {
    Path file = dir.resolve("s2.audit.jsonl");
    byte[] secret = new byte[48];
    List<byte[]> forbidden = new ArrayList<>();
    try (OneServer s = new OneServer(FileAuditLog.open(file))) {
      s.random.nextBytes(secret);
      WriteRequest w = s.write("db/password", 1, secret);
      s.stub().write(w);
      ReadReply read = s.stub().read(s.read(s.alice, "alice", "db/password"));
      assertEquals(w.getShare(), read.getVersions(0).getShare(), "the read carried the share");
      s.stub().read(s.read(s.dave, "dave", "db/password"));
      forbidden.add(secret);
      forbidden.add(w.getShare().toByteArray());
      forbidden.add(w.getRecord().getCiphertext().toByteArray());
      forbidden.add(w.getRecord().getSignature().toByteArray());
    }
    byte[] log = Files.readAllBytes(file);
    assertEquals(3, events(file).size());
    for (byte[] value : forbidden) {
      // 12-byte windows: any sizeable piece of the value, not just the whole of it.
      for (int from = 0; from + 12 <= value.length; from += 4) {
        byte[] piece = java.util.Arrays.copyOfRange(value, from, from + 12);
        String hex = HexFormat.of().formatHex(piece);
        for (byte[] form : List.of(piece, ascii(hex), ascii(hex.toUpperCase(Locale.ROOT)),
            ascii(Base64.getEncoder().withoutPadding().encodeToString(piece)),
            ascii(Base64.getUrlEncoder().withoutPadding().encodeToString(piece)))) {
          assertFalse(contains(log, form), "the audit log holds " + new String(form,
              StandardCharsets.ISO_8859_1));
        }
      }
      String whole = Base64.getEncoder().encodeToString(value);
      assertFalse(contains(log, ascii(whole)), "base64 of a secret value");
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void keyNamesThatWouldBreakJsonOrLinesAreEscaped() throws Exception {
    Path file = dir.resolve("s2.audit.jsonl");
    String hostile = "x\",\"decision\":\"allowed\"}\n{\"y\\\u0000\u2028\u00e9\ud800";
    String tooLong = "k".repeat(FileAuditLog.MAX_CHARS + 100);
    try (OneServer s = new OneServer(FileAuditLog.open(file))) {
      for (String key : List.of(hostile, tooLong)) {
        assertEquals(Status.Code.INVALID_ARGUMENT,
            refused(() -> s.stub().read(s.read(s.alice, "alice", key))));
      }
    }
    byte[] bytes = Files.readAllBytes(file);
    for (byte b : bytes) {
      assertTrue(b == '\n' || (b >= 0x20 && b < 0x7f), "printable ASCII only, found " + b);
    }
    List<Map<String, Object>> events = events(file);
    assertEquals(2, events.size(), "one line per event: " + new String(bytes,
        StandardCharsets.US_ASCII));
    // The invalid UTF-16 (a lone surrogate) did not survive protobuf's UTF-8; the rest did.
    String sent = (String) events.get(0).get("key");
    assertTrue(sent.startsWith(hostile.substring(0, hostile.length() - 1)), sent);
    assertEvent(events.get(0), "alice", "read", sent, null, "denied", "invalid");
    assertEquals(tooLong.substring(0, FileAuditLog.MAX_CHARS) + "...", events.get(1).get("key"));
  }

  @Test
  void aLogThatCannotBeWrittenMakesTheServerRefuseWhatItWouldAllow() throws Exception {
    Path full = Path.of("/dev/full"); // every write fails with ENOSPC
    assumeTrue(Files.isWritable(full), "needs Linux's /dev/full");
    FileAuditLog audit = FileAuditLog.open(full);
    Logger logger = Logger.getLogger(FileAuditLog.class.getName());
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        logged.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(handler);
    try (OneServer s = new OneServer(audit)) {
      assertEquals(Status.Code.UNAVAILABLE,
          refused(() -> s.stub().write(s.write("k", 1, new byte[] {1}))));
      assertEquals(Status.Code.UNAVAILABLE,
          refused(() -> s.stub().read(s.read(s.alice, "alice", "k"))));
      // Denied stays denied, with its own code.
      assertEquals(Status.Code.PERMISSION_DENIED,
          refused(() -> s.stub().read(s.read(s.carol, "carol", "k"))));
      assertEquals(3, audit.failures());
      ServerMetrics.Snapshot m = s.server.metrics().snapshot();
      assertEquals(2, m.rejections().get(Rejection.Reason.AUDIT_FAILED), m::toString);
      assertEquals(0, m.operations().get(ServerMetrics.Operation.READ).ok(), m::toString);
    } finally {
      logger.removeHandler(handler);
    }
    // Logged once for the outage, not once per request.
    assertEquals(1, logged.stream().filter(r -> r.getLevel() == Level.SEVERE).count(),
        logged::toString);
  }

  @Test
  void aClosedLogFailsAndCountsInsteadOfWriting() throws Exception {
    FileAuditLog audit = FileAuditLog.open(dir.resolve("a.jsonl"));
    audit.close();
    AuditLog.Event e = new AuditLog.Event(0, "s0", "alice", "read", "k", null,
        AuditLog.Decision.ALLOWED, "ok", "");
    assertThrows(AuditException.class, () -> audit.accessDecision(e));
    assertEquals(1, audit.failures());
    assertEquals(0, Files.size(dir.resolve("a.jsonl")));
  }

  @Test
  void adminActionsAreWrittenAsAdminEvents() throws Exception {
    Path file = dir.resolve("a.jsonl");
    try (FileAuditLog audit = FileAuditLog.open(file)) {
      audit.adminAction(new AuditLog.Event(1_700_000_000_000L, "s0", "ops", "grant", "pub/",
          null, AuditLog.Decision.ALLOWED, "ok", ""));
    }
    Map<String, Object> e = events(file).get(0);
    assertEquals("admin", e.get("kind"));
    assertEquals("grant", e.get("op"));
    assertEquals("pub/", e.get("key"));
    assertEquals("2023-11-14T22:13:20Z", e.get("time"));
  }
}
