package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.crypto.Envelope;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.shamir.Dealing;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.proto.v1.CompleteOp;
import dev.meridian.proto.v1.KeyVersion;
import dev.meridian.proto.v1.ReadOp;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRecord;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.Version;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** One server's checks, without gRPC: every refusal carries the right code and says why. */
class KeyServerCoreTest {
  private final SecureRandom random = new SecureRandom();
  private final SigningKey alice = SigningKey.generate(random);
  private final SigningKey carol = SigningKey.generate(random); // registered, may only read "pub/"
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final List<String> serverIds = IntStream.range(0, 9).mapToObj(i -> "s" + i).toList();
  private final KeyServerCore core = new KeyServerCore(KeyServerConfig.of(serverIds, 2,
      QuorumSystems.gridCr(9, 1), SigningKey.generate(random),
      Map.of("alice", alice.verifyingKey(), "carol", carol.verifyingKey()),
      AccessPolicy.of(List.of(
          new AccessPolicy.Rule("", Set.of(), Set.of(), Set.of("alice")),
          new AccessPolicy.Rule("pub/", Set.of("carol"), Set.of(), Set.of("alice"))))),
      new InMemoryRecordStore(), clock::get);
  private final FeldmanVss vss = FeldmanVss.secp256k1();

  private SignedRequest request(SigningKey key, String client, Function<RequestBody.Builder,
      RequestBody.Builder> op) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    RequestBody body = op.apply(RequestBody.newBuilder().setClientId(client)
        .setTimestampMillis(clock.get()).setNonce(ByteString.copyFrom(nonce)).setServerId("s2"))
        .build();
    return SignedRequest.newBuilder().setBody(body.toByteString())
        .setSignature(ByteString.copyFrom(key.sign(body.toByteArray()))).build();
  }

  private SignedRequest read(SigningKey key, String client, String k) {
    return request(key, client, b -> b.setRead(ReadOp.newBuilder().setKey(k).setShares(true)));
  }

  /** A valid write of {@code key} at {@code counter} by alice, with server 2's share. */
  private WriteRequest write(String key, long counter) {
    Dealing dealing = vss.deal(2, IntStream.rangeClosed(1, 9).boxed().toList(), random);
    byte[] sealed = Envelope.seal(dealing.secret().dataKey(), new byte[] {1, 2, 3}, new byte[0],
        random);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    RecordBody body = RecordBody.newBuilder().setKey(key)
        .setVersion(Version.newBuilder().setCounter(counter).setClientId("alice"))
        .setN(9).setT(2)
        .setCommitments(ByteString.copyFrom(dealing.commitments().encode()))
        .setCiphertextSha256(ByteString.copyFrom(Hashes.sha256(sealed)))
        .setTimestampMillis(clock.get()).setNonce(ByteString.copyFrom(nonce)).build();
    return WriteRequest.newBuilder()
        .setRecord(SignedRecord.newBuilder().setBody(body.toByteString())
            .setSignature(ByteString.copyFrom(alice.sign(body.toByteArray())))
            .setCiphertext(ByteString.copyFrom(sealed)))
        .setShare(ByteString.copyFrom(dealing.shares().get(2).yBytes()))
        .build();
  }

  private static Rejection refused(Status.Code code, Runnable call) {
    Rejection r = assertThrows(Rejection.class, call::run);
    assertEquals(code, r.code(), r.getMessage());
    return r;
  }

  @Test
  void aWrittenVersionIsReadBackWithThisServersShare() {
    WriteRequest w = write("k", 1);
    core.write(w);
    ReadReply reply = core.read(read(alice, "alice", "k"));
    assertEquals(1, reply.getVersionsCount());
    assertEquals(w.getShare(), reply.getVersions(0).getShare());
    assertEquals("s2", reply.getServerId());
  }

  @Test
  void aReplayedRequestOrWriteIsRefused() {
    SignedRequest r = read(alice, "alice", "k");
    core.read(r);
    Rejection replay = refused(Status.Code.UNAUTHENTICATED, () -> core.read(r));
    assertTrue(replay.getMessage().contains("replayed"), replay.getMessage());
    WriteRequest w = write("k", 1);
    core.write(w);
    refused(Status.Code.UNAUTHENTICATED, () -> core.write(w));
  }

  @Test
  void aStaleOrFutureTimestampIsRefused() {
    SignedRequest r = read(alice, "alice", "k");
    clock.addAndGet(31_000);
    Rejection stale = refused(Status.Code.UNAUTHENTICATED, () -> core.read(r));
    assertTrue(stale.getMessage().contains("stale or from the future"), stale.getMessage());
    clock.addAndGet(-62_000);
    refused(Status.Code.UNAUTHENTICATED, () -> core.read(r));
  }

  @Test
  void aWrongSignatureOrAnUnknownClientIsRefused() {
    Rejection forged = refused(Status.Code.UNAUTHENTICATED,
        () -> core.read(read(carol, "alice", "k")));
    assertTrue(forged.getMessage().contains("signature does not verify"), forged.getMessage());
    Rejection unknown = refused(Status.Code.UNAUTHENTICATED,
        () -> core.read(read(carol, "dave", "k")));
    assertTrue(unknown.getMessage().contains("unknown client dave"), unknown.getMessage());
  }

  @Test
  void theAccessPolicyDecidesWhoMayReadAndWrite() {
    core.write(write("pub/x", 1));
    core.read(read(carol, "carol", "pub/x")); // allowed
    Rejection denied = refused(Status.Code.PERMISSION_DENIED,
        () -> core.read(read(carol, "carol", "private")));
    assertTrue(denied.getMessage().contains("carol may not read key private"),
        denied.getMessage());
  }

  @Test
  void malformedBodiesSharesAndAddressesAreInvalidArguments() {
    SignedRequest garbage = SignedRequest.newBuilder()
        .setBody(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x01}))
        .setSignature(ByteString.copyFrom(new byte[64])).build();
    refused(Status.Code.INVALID_ARGUMENT, () -> core.read(garbage));
    SignedRequest elsewhere = request(alice, "alice", b -> b.setServerId("s7")
        .setRead(ReadOp.newBuilder().setKey("k").setShares(true)));
    Rejection wrongServer = refused(Status.Code.INVALID_ARGUMENT, () -> core.read(elsewhere));
    assertTrue(wrongServer.getMessage().contains("addressed to server \"s7\""),
        wrongServer.getMessage());
    WriteRequest w = write("k", 1);
    byte[] y = w.getShare().toByteArray();
    y[5] ^= 1;
    Rejection badShare = refused(Status.Code.INVALID_ARGUMENT,
        () -> core.write(w.toBuilder().setShare(ByteString.copyFrom(y)).build()));
    assertTrue(badShare.getMessage().contains("does not match the commitments"),
        badShare.getMessage());
    assertFalse(badShare.getMessage().contains(ByteString.copyFrom(y).toStringUtf8()));
  }

  @Test
  void aDifferentRecordForAVersionHeldIsRefused() {
    core.write(write("k", 1));
    refused(Status.Code.ALREADY_EXISTS, () -> core.write(write("k", 1)));
  }

  @Test
  void completingAVersionDropsOlderOnesOnly() {
    core.write(write("k", 1));
    core.write(write("k", 2));
    core.write(write("k", 3));
    assertEquals(3, core.read(read(alice, "alice", "k")).getVersionsCount());
    core.complete(request(alice, "alice", b -> b.setComplete(CompleteOp.newBuilder()
        .addVersions(KeyVersion.newBuilder().setKey("k")
            .setVersion(Version.newBuilder().setCounter(2).setClientId("alice"))))));
    ReadReply after = core.read(read(alice, "alice", "k"));
    assertEquals(2, after.getVersionsCount()); // 3 (pending) and 2 (complete), newest first
    assertEquals(3, RecordBodyOf.counter(after, 0));
    assertEquals(2, RecordBodyOf.counter(after, 1));
    // A late write of version 1 is acknowledged but not stored: 2 supersedes it.
    core.write(write("k", 1));
    assertEquals(2, core.read(read(alice, "alice", "k")).getVersionsCount());
  }

  /** Reads a reply's record counters. */
  static final class RecordBodyOf {
    static long counter(ReadReply reply, int i) {
      try {
        return RecordBody.parseFrom(reply.getVersions(i).getRecord().getBody()).getVersion()
            .getCounter();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
  }
}
