package dev.meridian.keystore.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.ConstantTime;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StatsBody;
import dev.meridian.proto.v1.StatsOp;
import dev.meridian.proto.v1.StatsReply;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks each server, in parallel, for its metrics (a signed {@code Stats} call, which needs the
 * admin right on some key prefix) and checks the answer: signed by the key the client has for
 * that server, naming that server, echoing this request's nonce. For {@code keystore status
 * --metrics} and for monitoring.
 *
 * <p>Guarantee: {@link Reply#stats()} is present only when the answer verified, so the figures
 * are that server's own, given now (a server may of course report false figures about itself).
 * Failure model: never throws for a server's failure; each becomes a one-line {@link
 * Reply#problem()} (the gRPC status code and description, or why the answer did not verify).
 * Every call has the given deadline.
 */
public final class ServerStats {
  /**
   * One server's answer.
   *
   * @param server the server asked
   * @param stats its verified metrics, or empty
   * @param problem empty when verified; otherwise what went wrong, one line
   */
  public record Reply(ServerEndpoint server, Optional<StatsBody> stats, String problem) {}

  private ServerStats() {}

  /** Asks every server at once, in plaintext; the replies are in the order of {@code servers}. */
  public static List<Reply> fetch(List<ServerEndpoint> servers, String clientId,
      SigningKey signingKey, Duration deadline) {
    return fetch(servers, clientId, signingKey, deadline, TransportSecurity.plaintext());
  }

  /** Asks every server at once over {@code security}; replies in the order of {@code servers}. */
  public static List<Reply> fetch(List<ServerEndpoint> servers, String clientId,
      SigningKey signingKey, Duration deadline, TransportSecurity security) {
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(security, "security");
    SecureRandom random = new SecureRandom();
    List<ManagedChannel> channels = new ArrayList<>();
    List<CompletableFuture<Reply>> replies = new ArrayList<>();
    try {
      for (ServerEndpoint server : servers) {
        ManagedChannel channel = security.dial(server.address());
        channels.add(channel);
        replies.add(fetchOne(channel, server, clientId, signingKey, deadline, random));
      }
      return replies.stream().map(CompletableFuture::join).toList();
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static CompletableFuture<Reply> fetchOne(ManagedChannel channel, ServerEndpoint server,
      String clientId, SigningKey signingKey, Duration deadline, SecureRandom random) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    byte[] body = RequestBody.newBuilder()
        .setClientId(clientId)
        .setTimestampMillis(System.currentTimeMillis())
        .setNonce(ByteString.copyFrom(nonce))
        .setServerId(server.id())
        .setStats(StatsOp.getDefaultInstance())
        .build().toByteArray();
    SignedRequest request = SignedRequest.newBuilder()
        .setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(signingKey.sign(body)))
        .build();
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    var answer = KeystoreGrpc.newFutureStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .stats(request);
    answer.addListener(() -> {
      try {
        reply.complete(verify(answer.get(), server, nonce));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reply.complete(new Reply(server, Optional.empty(), "interrupted"));
      } catch (Exception e) {
        Status status = Status.fromThrowable(e);
        reply.complete(new Reply(server, Optional.empty(), status.getCode()
            + (status.getDescription() == null ? ""
                : ": " + status.getDescription().lines().findFirst().orElse(""))));
      }
    }, Runnable::run);
    return reply;
  }

  /** The figures, if {@code reply} is {@code server}'s signed answer to the request. */
  static Reply verify(StatsReply reply, ServerEndpoint server, byte[] nonce) {
    if (!server.key().verify(reply.getBody().toByteArray(), reply.getSignature().toByteArray())) {
      return new Reply(server, Optional.empty(), "the answer's signature does not verify against"
          + " server." + server.id() + ".public-key");
    }
    StatsBody body;
    try {
      body = StatsBody.parseFrom(reply.getBody());
    } catch (InvalidProtocolBufferException e) {
      return new Reply(server, Optional.empty(), "the signed answer is not a StatsBody");
    }
    if (!body.getServerId().equals(server.id())
        || !ConstantTime.equal(body.getNonce().toByteArray(), nonce)) {
      return new Reply(server, Optional.empty(), "the signed answer is for another server or"
          + " request (server \"" + body.getServerId() + "\")");
    }
    return new Reply(server, Optional.of(body), "");
  }
}
