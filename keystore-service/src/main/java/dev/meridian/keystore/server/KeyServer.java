package dev.meridian.keystore.server;

import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.proto.v1.KeystoreGrpc;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A running key server: a {@link KeyServerCore} behind a gRPC server on one address. Requests
 * larger than {@link #MAX_REQUEST_BYTES} are refused by gRPC itself (RESOURCE_EXHAUSTED) before
 * they are parsed. {@link #close()} stops serving, then closes the store and the audit log.
 *
 * <p>Transport: plaintext, or mutual TLS ({@link TransportSecurity}), chosen at start. Under TLS a
 * connection is refused in the handshake unless the caller presents a certificate from the
 * trusted CA; requests are then authenticated by their signatures or session MACs exactly as in
 * plaintext. Agreement among the servers on admin actions shares the port and the TLS.
 *
 * <p>Health: the server also answers the standard gRPC health service ({@code
 * grpc.health.v1.Health}), for the whole server ({@code ""}) and for {@link #HEALTH_SERVICE}:
 * {@code SERVING} from start until {@link #close()}, which first turns both to {@code
 * NOT_SERVING} for good (a watcher is told before the server stops taking calls), then stops.
 * Health says only that this process is up and serving; it needs no signature (under TLS, a
 * health checker still needs a client certificate) and says nothing about whether the server is
 * honest (only signed answers do).
 */
public final class KeyServer implements AutoCloseable {
  /** Largest request accepted: a 64 KiB secret with its record and share fits many times. */
  public static final int MAX_REQUEST_BYTES = 1 << 20;

  /**
   * How the servers agree on admin actions ({@link AdminAgreement}).
   *
   * @param serverKeys every server's public key, in index order (signatures in agreement)
   * @param roundLength Δ: must cover the network's worst delay between servers plus twice the
   *     clocks' disagreement; an action takes about (f + 2)·Δ to decide
   */
  public record AdminSettings(List<VerifyingKey> serverKeys, Duration roundLength) {
    /**
     * 500 ms rounds: room for a loaded host (on two busy cores a round message was seen to take
     * 400–650 ms) or a LAN with NTP; an action then takes 1.5–2 s at f = 1.
     */
    public static AdminSettings of(List<VerifyingKey> serverKeys) {
      return new AdminSettings(serverKeys, DEFAULT_ROUND);
    }

    /** The default round length Δ. */
    public static final Duration DEFAULT_ROUND = Duration.ofMillis(500);

    public AdminSettings {
      serverKeys = List.copyOf(serverKeys);
      if (roundLength.isNegative() || roundLength.isZero()
          || roundLength.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("the agreement round length must be in (0, 1 min], was "
            + roundLength);
      }
    }
  }

  /** The service name whose health the server reports besides the whole server's ({@code ""}). */
  public static final String HEALTH_SERVICE = KeystoreGrpc.SERVICE_NAME;

  private final KeyServerCore core;
  private final RecordStore store;
  private final Server server;
  private final AdminAgreement admin; // null: no admin actions
  private final TransportSecurity security;
  private final HealthStatusManager health;
  /** Read once at start: gRPC forgets it when the server terminates (a restart needs it). */
  private final InetSocketAddress address;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KeyServer(KeyServerCore core, RecordStore store, Server server, AdminAgreement admin,
      HealthStatusManager health, TransportSecurity security) {
    this.security = security;
    this.core = core;
    this.store = store;
    this.server = server;
    this.admin = admin;
    this.health = health;
    this.address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  /**
   * Starts serving {@code config}'s server on {@code address} (port 0: any free port), storing in
   * {@code store}, which the server owns from now on.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address) throws IOException {
    return start(config, store, address, KeystoreGrpcService::new);
  }

  /**
   * Starts serving as {@link #start(KeyServerConfig, RecordStore, InetSocketAddress)} does, with
   * {@code security}: under mutual TLS, a connection without a client certificate from the
   * trusted CA is refused in the handshake, before any request is read.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, TransportSecurity security) throws IOException {
    return start(config, store, address, KeystoreGrpcService::new, security);
  }

  /**
   * Starts a server whose gRPC face {@code face} makes from its core: the honest {@link
   * KeystoreGrpcService}, or (in tests) one that misbehaves on purpose.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face)
      throws IOException {
    return start(config, store, address, face, TransportSecurity.plaintext());
  }

  /** Starts a server with gRPC face {@code face} and transport {@code security}. */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face,
      TransportSecurity security) throws IOException {
    return start(config, store, address, face, AuditLog.none(), security, null);
  }

  /**
   * Starts a server as {@link #start(KeyServerConfig, RecordStore, InetSocketAddress, Function)}
   * does, recording every access decision in {@code audit} (fail-closed, see {@link AuditLog}),
   * which the server owns from now on, like the store: both are closed if it fails to start.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face, AuditLog audit)
      throws IOException {
    return start(config, store, address, face, audit, TransportSecurity.plaintext(), null);
  }

  /** As with an audit log, and admin actions as {@code admin} says (null: none). */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face,
      AdminSettings admin) throws IOException {
    return start(config, store, address, face, AuditLog.none(), TransportSecurity.plaintext(),
        admin);
  }

  /**
   * Starts a server that records its decisions in {@code audit}, serves over {@code security},
   * and also takes admin actions, ordered by agreement with the other servers as {@code admin}
   * says (null: none; the servers dial each other with {@code security} too); call {@link
   * #connectServers} once their addresses are known.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face, AuditLog audit,
      TransportSecurity security, AdminSettings admin) throws IOException {
    KeyServerCore core = new KeyServerCore(config, store, System::currentTimeMillis, audit);
    AdminAgreement agreement = null;
    if (admin != null) {
      if (admin.serverKeys().size() != config.serverIds().size()) {
        store.close();
        audit.close();
        throw new IllegalArgumentException("admin settings list " + admin.serverKeys().size()
            + " server keys for " + config.serverIds().size() + " servers");
      }
      try {
        agreement = new AdminAgreement(config.index(), config.serverIds(), config.signingKey(),
            admin.serverKeys(),
            config.quorums().f(), admin.roundLength(), WALL_CLOCK_NANOS, security,
            new AdminLedger(config.policy(), config.clients(), config.freshness()), store,
            core::usePolicy, core::auditAdminAction);
      } catch (StoreException | RuntimeException e) {
        store.close();
        audit.close();
        throw new IOException("server " + config.serverId() + ": " + e.getMessage(), e);
      }
      agreement.useRefresher(new ShareRefresher(config.index(), config.serverIds(),
          config.signingKey(), admin.serverKeys(), config.quorums().f(), core,
          admin.roundLength().toMillis()));
      agreement.useHandoff(new GridHandoff(config.index(), config.serverIds(),
          config.signingKey(), admin.serverKeys(), config.quorums(), core,
          admin.roundLength().toMillis()));
      core.useAdmin(agreement);
    }
    HealthStatusManager health = new HealthStatusManager();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address,
        security.serverCredentials());
    if (agreement != null) {
      builder.addService(agreement.node().service());
    }
    Server server = builder
        .addService(MalformedRequests.tolerant(face.apply(core).bindService()))
        .addService(health.getHealthService())
        .maxInboundMessageSize(MAX_REQUEST_BYTES)
        // Handlers run on the transport's threads: they compute (a signature or HMAC check, a
        // Feldman check) and write a store that does not fsync by default, and never wait on
        // anything else, so a handoff to another pool would only add context switches.
        .directExecutor()
        .build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      if (agreement != null) {
        agreement.close();
      }
      store.close();
      audit.close();
      throw e;
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    health.setStatus(HEALTH_SERVICE, ServingStatus.SERVING);
    return new KeyServer(core, store, server, agreement, health, security);
  }

  /**
   * Wall-clock time in nanoseconds, steady between adjustments: the servers' rounds of agreement
   * run on it, so their clocks must agree (NTP) within the margin the round length leaves.
   */
  private static final LongSupplier WALL_CLOCK_NANOS = new LongSupplier() {
    private final long offset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

    @Override
    public long getAsLong() {
      return offset + System.nanoTime();
    }
  };

  /**
   * Connects agreement to every server's address (index order, this one's included and unused),
   * then catches up with the admin actions the others decided while this one was away (waits up
   * to 3 s for their logs; see {@code AdminAgreement.catchUp}).
   *
   * @throws IllegalStateException if this server takes no admin actions
   */
  public void connectServers(List<InetSocketAddress> servers) {
    if (admin == null) {
      throw new IllegalStateException("server " + core.config().serverId()
          + " was started without admin settings");
    }
    admin.connect(servers);
    // A server that was down (or restarted without its store) missed the actions decided
    // meanwhile: it takes the log f + 1 others report alike. Peers not up yet have no vote.
    admin.catchUp(servers, security, Duration.ofSeconds(3));
  }

  /** Agreement messages this server has sent to the others so far (0 without admin settings). */
  public long agreementMessagesSent() {
    return admin == null ? 0 : admin.node().messagesSent();
  }

  /** Admin actions applied at this server so far (0 without admin settings). */
  public long adminSequence() {
    return admin == null ? 0 : admin.sequence();
  }

  /** The address actually bound (still known once the server is closed). */
  public InetSocketAddress address() {
    return address;
  }

  /** The port actually bound. */
  public int port() {
    return address().getPort();
  }

  /** The server's logic (tests wrap it in Byzantine behaviours). */
  public KeyServerCore core() {
    return core;
  }

  /**
   * Operation counts, latencies and refusals by reason since this server started (the same
   * figures the {@code Stats} RPC gives an administrator).
   */
  public ServerMetrics metrics() {
    return core.metrics();
  }

  /**
   * Reports NOT_SERVING, stops serving (waits up to 5 s for calls in progress, health watches
   * included), then closes the store and the audit log.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Before shutdown(): watchers (load balancers, `keystore status`) learn it while their
    // stream is still open, and stop sending new work here.
    health.enterTerminalState();
    if (admin != null) {
      admin.close();
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      store.close();
      core.audit().close();
    }
  }
}
