package dev.meridian.keystore.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.ConstantTime;
import dev.meridian.keystore.crypto.SessionCrypto;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.OpenSessionOp;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SessionGrantBody;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.keystore.tls.TransportSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks each server, in parallel, to open a session (a signed {@code OpenSession} call, which
 * needs no access right) and checks that the grant is signed by the key the client has for that
 * server: the cheapest call that shows a server is up, knows this client, and is who the client
 * thinks it is. For {@code keystore status}. A server that answers is asked twice: the first
 * call also sets up the connection, and the round trip reported is the second's.
 *
 * <p>Guarantee: {@link Outcome#ANSWERED} only when the answer verified against the server's
 * public key. Failure model: never throws for a server's failure; each one becomes an outcome
 * with a one-line detail (the gRPC status code and description). Every call has the given
 * deadline; {@link #probe} returns within about that long. The session opened is never used;
 * the server forgets it after its idle timeout.
 *
 * <p>Each server is also asked the standard gRPC health check (for the whole server), reported
 * as {@link Reply#health()}. That answer is unsigned: it says a process is up and serving, not
 * that it is the server it should be (only {@link Outcome#ANSWERED} says that).
 */
public final class ServerProbe {
  /** What a server did when probed. */
  public enum Outcome {
    /** Answered with a session grant signed by its configured key. */
    ANSWERED,
    /** Answered, but refused the request (e.g. UNAUTHENTICATED: it does not know this client). */
    REFUSED,
    /** Answered with a grant that does not verify against its configured public key. */
    UNVERIFIED,
    /** No answer within the deadline, or not reachable. */
    SILENT
  }

  /**
   * One server's answer.
   *
   * @param server the server probed
   * @param outcome what it did
   * @param roundTripMicros from sending the call to its answer (or failure)
   * @param detail empty when answered; otherwise the status or problem, one line
   * @param health the health service's answer: {@code SERVING}, {@code NOT_SERVING}, … or, when
   *     the check failed, its status code and reason (one line)
   */
  public record Reply(ServerEndpoint server, Outcome outcome, long roundTripMicros,
      String detail, String health) {}

  private ServerProbe() {}

  /** Probes every server at once, in plaintext; replies in the order of {@code servers}. */
  public static List<Reply> probe(List<ServerEndpoint> servers, String clientId,
      SigningKey signingKey, Duration deadline) {
    return probe(servers, clientId, signingKey, deadline, TransportSecurity.plaintext());
  }

  /** Probes every server at once over {@code security}; replies in the order of {@code servers}. */
  public static List<Reply> probe(List<ServerEndpoint> servers, String clientId,
      SigningKey signingKey, Duration deadline, TransportSecurity security) {
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(security, "security");
    SecureRandom random = new SecureRandom();
    List<ManagedChannel> channels = new ArrayList<>();
    List<CompletableFuture<Reply>> replies = new ArrayList<>();
    List<CompletableFuture<String>> health = new ArrayList<>();
    try {
      for (ServerEndpoint server : servers) {
        ManagedChannel channel = security.dial(server.address());
        channels.add(channel);
        health.add(health(channel, deadline));
        replies.add(probeOne(channel, server, clientId, signingKey, deadline, random));
      }
      // The first call also connects (and warms up a fresh JVM); a server that answered it is
      // asked again, and that second round trip is the one reported.
      List<CompletableFuture<Reply>> again = new ArrayList<>();
      for (int i = 0; i < servers.size(); i++) {
        Reply first = replies.get(i).join();
        again.add(first.outcome() == Outcome.ANSWERED
            ? probeOne(channels.get(i), servers.get(i), clientId, signingKey, deadline, random)
            : CompletableFuture.completedFuture(first));
      }
      List<Reply> out = new ArrayList<>();
      for (int i = 0; i < servers.size(); i++) {
        Reply r = again.get(i).join();
        out.add(new Reply(r.server(), r.outcome(), r.roundTripMicros(), r.detail(),
            health.get(i).join()));
      }
      return out;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static CompletableFuture<Reply> probeOne(ManagedChannel channel, ServerEndpoint server,
      String clientId, SigningKey signingKey, Duration deadline, SecureRandom random) {
    byte[] ephemeral = SessionCrypto.newPrivateKey(random);
    byte[] myShare = SessionCrypto.publicKey(ephemeral);
    Arrays.fill(ephemeral, (byte) 0);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    byte[] body = RequestBody.newBuilder()
        .setClientId(clientId)
        .setTimestampMillis(System.currentTimeMillis())
        .setNonce(ByteString.copyFrom(nonce))
        .setServerId(server.id())
        .setOpenSession(OpenSessionOp.newBuilder().setClientShare(ByteString.copyFrom(myShare)))
        .build().toByteArray();
    SignedRequest request = SignedRequest.newBuilder()
        .setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(signingKey.sign(body)))
        .build();
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    long start = System.nanoTime();
    var answer = KeystoreGrpc.newFutureStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .openSession(request);
    answer.addListener(() -> {
      long micros = (System.nanoTime() - start) / 1000;
      try {
        SessionGrant grant = answer.get();
        reply.complete(new Reply(server, verifies(grant, server, clientId, myShare)
            ? Outcome.ANSWERED : Outcome.UNVERIFIED, micros, "", ""));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reply.complete(new Reply(server, Outcome.SILENT, micros, "interrupted", ""));
      } catch (Exception e) {
        Status status = Status.fromThrowable(e);
        boolean silent = status.getCode() == Status.Code.UNAVAILABLE
            || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
        reply.complete(new Reply(server, silent ? Outcome.SILENT : Outcome.REFUSED, micros,
            describe(status), ""));
      }
    }, Runnable::run);
    return reply;
  }

  /** The whole server's health, as the status name or the failed check's code and reason. */
  private static CompletableFuture<String> health(ManagedChannel channel, Duration deadline) {
    CompletableFuture<String> out = new CompletableFuture<>();
    var answer = HealthGrpc.newFutureStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .check(HealthCheckRequest.newBuilder().setService("").build());
    answer.addListener(() -> {
      try {
        HealthCheckResponse response = answer.get();
        out.complete(response.getStatus().name());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        out.complete("interrupted");
      } catch (Exception e) {
        out.complete(describe(Status.fromThrowable(e)));
      }
    }, Runnable::run);
    return out;
  }

  /** A status in one line (a failed TLS handshake says so). */
  private static String describe(Status status) {
    return TransportSecurity.explain(status);
  }

  private static boolean verifies(SessionGrant grant, ServerEndpoint server, String clientId,
      byte[] myShare) {
    try {
      SessionGrantBody body = SessionGrantBody.parseFrom(grant.getBody());
      return server.key().verify(grant.getBody().toByteArray(), grant.getSignature().toByteArray())
          && body.getServerId().equals(server.id()) && body.getClientId().equals(clientId)
          && ConstantTime.equal(body.getClientShare().toByteArray(), myShare);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
