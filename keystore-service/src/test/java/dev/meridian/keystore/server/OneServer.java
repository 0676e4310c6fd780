package dev.meridian.keystore.server;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.crypto.Envelope;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.shamir.Dealing;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadOp;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRecord;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.Version;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Server s2 of a 3x3 grid-cr (f = 1, t = 2), alone on 127.0.0.1, and hand-made requests to it:
 * what a test needs to send a server exactly the request it wants (a replay, a bad share) and
 * read its answer over real gRPC. Clients: alice administers every key; carol may only read
 * {@code pub/}; dave may read and write every key but administers none.
 */
final class OneServer implements AutoCloseable {
  final SecureRandom random = new SecureRandom();
  final SigningKey alice = SigningKey.generate(random);
  final SigningKey carol = SigningKey.generate(random);
  final SigningKey dave = SigningKey.generate(random);
  final SigningKey serverKey = SigningKey.generate(random);
  final KeyServerConfig config = KeyServerConfig.of(
      IntStream.range(0, 9).mapToObj(i -> "s" + i).toList(), 2, QuorumSystems.gridCr(9, 1),
      serverKey,
      Map.of("alice", alice.verifyingKey(), "carol", carol.verifyingKey(),
          "dave", dave.verifyingKey()),
      AccessPolicy.of(List.of(
          new AccessPolicy.Rule("", Set.of("dave"), Set.of("dave"), Set.of("alice")),
          new AccessPolicy.Rule("pub/", Set.of("carol"), Set.of(), Set.of("alice")))));
  final KeyServer server;
  final ManagedChannel channel;
  private final FeldmanVss vss = FeldmanVss.secp256k1();

  OneServer() throws IOException {
    this(AuditLog.none());
  }

  OneServer(AuditLog audit) throws IOException {
    server = KeyServer.start(config, new InMemoryRecordStore(),
        new InetSocketAddress("127.0.0.1", 0), KeystoreGrpcService::new, audit);
    channel = NettyChannelBuilder.forAddress(server.address()).usePlaintext().build();
  }

  /** A blocking stub whose every call has a 10 s deadline. */
  KeystoreGrpc.KeystoreBlockingStub stub() {
    return KeystoreGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** A fresh request of {@code client} signed with {@code key}, addressed to s2. */
  SignedRequest request(SigningKey key, String client,
      Function<RequestBody.Builder, RequestBody.Builder> op) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    RequestBody body = op.apply(RequestBody.newBuilder().setClientId(client)
        .setTimestampMillis(System.currentTimeMillis()).setNonce(ByteString.copyFrom(nonce))
        .setServerId("s2")).build();
    return SignedRequest.newBuilder().setBody(body.toByteString())
        .setSignature(ByteString.copyFrom(key.sign(body.toByteArray()))).build();
  }

  /** A read of {@code key} with s2's shares. */
  SignedRequest read(SigningKey key, String client, String k) {
    return request(key, client, b -> b.setRead(ReadOp.newBuilder().setKey(k).setShares(true)));
  }

  /** A valid write by alice of {@code secret} under {@code key} at {@code counter}. */
  WriteRequest write(String key, long counter, byte[] secret) {
    Dealing dealing = vss.deal(2, IntStream.rangeClosed(1, 9).boxed().toList(), random);
    byte[] sealed = Envelope.seal(dealing.secret().dataKey(), secret, new byte[0], random);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    RecordBody body = RecordBody.newBuilder().setKey(key)
        .setVersion(Version.newBuilder().setCounter(counter).setClientId("alice"))
        .setN(9).setT(2)
        .setCommitments(ByteString.copyFrom(dealing.commitments().encode()))
        .setCiphertextSha256(ByteString.copyFrom(Hashes.sha256(sealed)))
        .setTimestampMillis(System.currentTimeMillis()).setNonce(ByteString.copyFrom(nonce))
        .build();
    return WriteRequest.newBuilder()
        .setRecord(SignedRecord.newBuilder().setBody(body.toByteString())
            .setSignature(ByteString.copyFrom(alice.sign(body.toByteArray())))
            .setCiphertext(ByteString.copyFrom(sealed)))
        .setShare(ByteString.copyFrom(dealing.shares().get(2).yBytes()))
        .build();
  }

  /** {@code w} with one bit of its share flipped: it no longer matches the commitments. */
  static WriteRequest withBadShare(WriteRequest w) {
    byte[] y = w.getShare().toByteArray();
    y[5] ^= 1;
    return w.toBuilder().setShare(ByteString.copyFrom(y)).build();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
