package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ServerProbe;
import dev.meridian.keystore.config.ClientSettings;
import dev.meridian.keystore.config.GridDirectory;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.tls.TlsCertificates;
import dev.meridian.keystore.tls.TransportSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grid on 127.0.0.1 with mutual TLS, as {@code keystore local-grid} runs it: clients with the
 * grid's certificates work; a client trusting another CA, a plaintext client, and a connection
 * without a client certificate are all refused promptly with a failure that says so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsGridTest {
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final QuorumSystem QUORUMS = QuorumSystems.gridCr(9, 1);

  @TempDir Path dir;
  private GridDirectory grid;
  private ClientSettings alice;

  @BeforeEach
  void start() throws Exception {
    grid = GridDirectory.start(dir, QUORUMS, List.of("alice", "bob"), false, true);
    alice = ClientSettings.load(grid.clientConfigs().get("alice"));
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Alice's identity and servers with {@code security} instead of her TLS files. */
  private ClientSettings aliceWith(TransportSecurity security) {
    return new ClientSettings(alice.clientId(), alice.signingKey(), alice.quorums(),
        alice.servers(), DEADLINE, alice.writers(), security);
  }

  @Test
  void clientsWithTheGridsCertificatesWriteAndRead() throws Exception {
    assertTrue(alice.transportSecurity().isTls(), "the written client config names TLS files");
    ClientSettings bob = ClientSettings.load(grid.clientConfigs().get("bob"));
    try (KeystoreClient a = alice.connect(); KeystoreClient b = bob.connect()) {
      a.put("db/password", utf8("hunter2"));
      assertArrayEquals(utf8("hunter2"), b.get("db/password").value());
    }
  }

  @Test
  void statusSeesEveryServerServingOverTls() {
    List<ServerProbe.Reply> replies = ServerProbe.probe(alice.servers(), "alice",
        alice.signingKey(), DEADLINE, alice.transportSecurity());
    for (ServerProbe.Reply r : replies) {
      assertEquals(ServerProbe.Outcome.ANSWERED, r.outcome(), r::toString);
      assertEquals("SERVING", r.health(), r::toString);
    }
  }

  @Test
  void aClientTrustingAnotherCaIsRefusedWithATlsError() throws Exception {
    Path other = Files.createDirectory(dir.resolve("other"));
    SecureRandom random = new SecureRandom();
    TlsCertificates.writeCa(other.resolve("ca"), "another CA", Duration.ofDays(1), random);
    TlsCertificates.issue(other.resolve("ca"), other.resolve("alice"), "alice", List.of(),
        Duration.ofDays(1), random);
    TransportSecurity foreign = TransportSecurity.mutualTls(
        TlsCertificates.certificateFile(other.resolve("alice")),
        TlsCertificates.privateKeyFile(other.resolve("alice")),
        TlsCertificates.certificateFile(other.resolve("ca")));
    try (KeystoreClient c = aliceWith(foreign).connect()) {
      KeystoreException e = assertThrows(KeystoreException.class,
          () -> c.put("k", utf8("v")));
      assertEquals(Status.Code.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
    }
  }

  @Test
  void aPlaintextClientIsRefused() throws Exception {
    try (KeystoreClient c = aliceWith(TransportSecurity.plaintext()).connect()) {
      KeystoreException e = assertThrows(KeystoreException.class, () -> c.get("k"));
      assertEquals(Status.Code.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("only 0 of 9 servers answered"), e.getMessage());
      assertTrue(e.getMessage().contains("This client dials in plaintext"), e.getMessage());
    }
  }

  @Test
  void aConnectionWithoutAClientCertificateIsRefused() throws Exception {
    Path ca = grid.trustedCa().orElseThrow();
    // Trusts the servers' CA, so the server's certificate checks out; presents none of its own.
    ManagedChannel anonymous = NettyChannelBuilder.forAddress(alice.servers().get(0).address(),
        TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build()).build();
    ManagedChannel withCertificate = NettyChannelBuilder.forAddress(
        alice.servers().get(0).address(), alice.transportSecurity().channelCredentials()).build();
    try {
      HealthCheckRequest all = HealthCheckRequest.newBuilder().setService("").build();
      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(withCertificate)
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).check(all).getStatus());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> HealthGrpc.newBlockingStub(anonymous)
              .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).check(all));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e::toString);
    } finally {
      anonymous.shutdownNow();
      withCertificate.shutdownNow();
    }
  }
}
