package dev.meridian.keystore.server;

import dev.meridian.keystore.store.RecordStore;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A running key server: a {@link KeyServerCore} behind a gRPC server on one address. Requests
 * larger than {@link #MAX_REQUEST_BYTES} are refused by gRPC itself (RESOURCE_EXHAUSTED) before
 * they are parsed. {@link #close()} stops serving and closes the store.
 */
public final class KeyServer implements AutoCloseable {
  /** Largest request accepted: a 64 KiB secret with its record and share fits many times. */
  public static final int MAX_REQUEST_BYTES = 1 << 20;

  private final KeyServerCore core;
  private final RecordStore store;
  private final Server server;
  /** Read once at start: gRPC forgets it when the server terminates (a restart needs it). */
  private final InetSocketAddress address;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KeyServer(KeyServerCore core, RecordStore store, Server server) {
    this.core = core;
    this.store = store;
    this.server = server;
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
   * Starts a server whose gRPC face {@code face} makes from its core: the honest {@link
   * KeystoreGrpcService}, or (in tests) one that misbehaves on purpose.
   */
  public static KeyServer start(KeyServerConfig config, RecordStore store,
      InetSocketAddress address, Function<KeyServerCore, BindableService> face)
      throws IOException {
    KeyServerCore core = new KeyServerCore(config, store, System::currentTimeMillis);
    Server server = NettyServerBuilder.forAddress(address)
        .addService(MalformedRequests.tolerant(face.apply(core).bindService()))
        .maxInboundMessageSize(MAX_REQUEST_BYTES)
        // Handlers run on the transport's threads: they compute (a signature or HMAC check, a
        // Feldman check) and write a store that does not fsync by default, and never wait on
        // anything else, so a handoff to another pool would only add context switches.
        .directExecutor()
        .build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    return new KeyServer(core, store, server);
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

  /** Stops serving (waits up to 5 s for calls in progress) and closes the store. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
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
    }
  }
}
