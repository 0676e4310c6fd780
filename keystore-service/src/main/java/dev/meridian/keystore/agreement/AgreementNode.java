package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.tls.TransportSecurity;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One process of {@link DolevStrong} broadcasts over gRPC, with rounds driven by a clock: round r
 * of an instance that starts at time T ends at T + r·Δ. Many instances may run at once.
 *
 * <p>Failure model: the synchronous one the protocol needs. Every process's clock must agree
 * with the others' within ε, and a message sent at the start of a round must arrive within
 * Δ − 2ε; a message that arrives after its round ended is refused as late (counted in {@link
 * #lateMessages()}), and a process that misses a correct sender's value that way may decide ⊥.
 * So Δ must cover the network's worst delay plus twice the clock uncertainty (with Meridian's
 * synchronized clocks, the interval's half-width). A message that arrives a little early (the
 * receiver's clock behind) waits for its round. Up to f processes may be Byzantine in what they
 * send; the node itself trusts only signatures ({@link DolevStrong} checks every chain).
 *
 * <p>Transport: one unary gRPC method taking an {@link AgreementCodec} message on the given
 * address (127.0.0.1 in tests and the benchmark), plaintext or mutual TLS ({@link
 * TransportSecurity}): with TLS a process accepts connections only from holders of a certificate
 * from the trusted CA and dials only peers whose certificates name the address dialled. TLS does
 * not replace the signature chains: a peer with a valid certificate is still only believed
 * through signatures. A TLS handshake takes a round trip or two more on the first message, which
 * {@link #awaitConnected} pays before any round. Messages over 1 MiB are refused by gRPC;
 * undecodable ones are counted and dropped.
 */
public final class AgreementNode implements AutoCloseable {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw Status.INTERNAL.withDescription("reading a round message: " + e.getMessage())
                .asRuntimeException();
          }
        }
      };
  static final MethodDescriptor<byte[], byte[]> ROUND = unaryBytes("Round");
  /** Opaque notices between the embedding runtimes (see {@link #broadcastNotice}). */
  static final MethodDescriptor<byte[], byte[]> NOTICE = unaryBytes("Notice");
  private static final byte[] EMPTY = new byte[0];

  /** A unary method of the agreement service carrying raw bytes each way. */
  private static MethodDescriptor<byte[], byte[]> unaryBytes(String name) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("meridian.v1.Agreement/" + name)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }
  private volatile java.util.function.Consumer<byte[]> notices = bytes -> { };

  private final int self;
  private final SigningKey key;
  private final long roundNanos;
  private final LongSupplier clock;
  private final Server server;
  private final TransportSecurity security;
  private final InetSocketAddress address;
  private final ScheduledExecutorService rounds;
  private final Map<ByteBuffer, Instance> instances = new ConcurrentHashMap<>();
  private final LongAdder late = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder signaturesVerified = new LongAdder();
  private final LongAdder signaturesMade = new LongAdder();

  /**
   * Starts process {@code self}, listening on {@code addresses.get(self)} (use port 0 there only
   * if the others learn the real port some other way; see {@link #address()}).
   *
   * @param roundLength Δ, in nanoseconds of {@code clock}
   * @param clock synchronized time in nanoseconds (within ε of every other process's)
   */
  public static AgreementNode start(int self, SigningKey key, InetSocketAddress listen,
      long roundLength, LongSupplier clock) throws IOException {
    return start(self, key, listen, roundLength, clock, TransportSecurity.plaintext());
  }

  /**
   * Starts process {@code self} as {@link #start(int, SigningKey, InetSocketAddress, long,
   * LongSupplier)} does, listening and dialling with {@code security} (every process of an
   * instance must use the same kind, and, for TLS, certificates from CAs the others trust).
   */
  public static AgreementNode start(int self, SigningKey key, InetSocketAddress listen,
      long roundLength, LongSupplier clock, TransportSecurity security) throws IOException {
    return new AgreementNode(self, key, listen, roundLength, clock, security);
  }

  /**
   * A process without a server of its own: whoever embeds it adds {@link #service()} to a gRPC
   * server it runs (a key server does, so agreement shares its port and its TLS), and calls
   * {@link #connect} with the addresses of the others' servers, which it dials with {@code
   * security}.
   */
  public static AgreementNode embedded(int self, SigningKey key, long roundLength,
      LongSupplier clock, TransportSecurity security) {
    try {
      return new AgreementNode(self, key, null, roundLength, clock, security);
    } catch (IOException e) {
      throw new AssertionError("no server to start", e);
    }
  }

  /**
   * Where the node learns of instances it was not told to {@link #join}: asked with the instance
   * id of the first message of an unknown instance, it answers with the instance's schedule if
   * this process should take part (the node then joins without a value), or empty to drop the
   * message. It must answer empty for instances whose last round is over, or that are far in the
   * future, so that a flood of made-up ids costs nothing.
   */
  @FunctionalInterface
  public interface InstanceDirectory {
    /** The schedule of instance {@code instance}, if this process takes part in it now. */
    Optional<Joining> lookup(byte[] instance);
  }

  /** An instance joined on its first message, and where its decision goes. */
  public record Joining(AgreementConfig config, long startNanos,
      java.util.function.Consumer<Decision> decided) {}

  private volatile InstanceDirectory directory = instance -> Optional.empty();

  /** Sets where unknown instances are looked up (by default: nowhere, they are dropped). */
  public void directory(InstanceDirectory directory) {
    this.directory = Objects.requireNonNull(directory, "directory");
  }

  /** The agreement service, for a node made by {@link #embedded}. */
  public ServerServiceDefinition service() {
    return service;
  }

  private AgreementNode(int self, SigningKey key, InetSocketAddress listen, long roundLength,
      LongSupplier clock, TransportSecurity security) throws IOException {
    if (roundLength <= 0) {
      throw new IllegalArgumentException("the round length must be positive, got "
          + roundLength + " ns");
    }
    this.self = self;
    this.key = Objects.requireNonNull(key, "key");
    this.roundNanos = roundLength;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.security = Objects.requireNonNull(security, "security");
    this.rounds = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "agreement-p" + self);
      t.setDaemon(true);
      return t;
    });
    this.service = ServerServiceDefinition.builder("meridian.v1.Agreement")
        .addMethod(ROUND, ServerCalls.asyncUnaryCall((bytes, reply) -> {
          onMessage(bytes);
          reply.onNext(EMPTY);
          reply.onCompleted();
        }))
        .addMethod(NOTICE, ServerCalls.asyncUnaryCall((bytes, reply) -> {
          try {
            notices.accept(bytes);
          } catch (RuntimeException e) {
            refused.increment(); // the handler's to judge; a bad notice costs the sender only
          }
          reply.onNext(EMPTY);
          reply.onCompleted();
        }))
        .build();
    if (listen == null) {
      this.server = null;
      this.address = null;
      return;
    }
    this.server = NettyServerBuilder.forAddress(listen, security.serverCredentials())
        .addService(service)
        .maxInboundMessageSize(1 << 20)
        .directExecutor()
        .build()
        .start();
    this.address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  private final ServerServiceDefinition service;

  private volatile ManagedChannel[] channels = new ManagedChannel[0];

  /** The address the server is bound to (null for an {@link #embedded} node). */
  public InetSocketAddress address() {
    return address;
  }

  /** Connects to every process (index order, this one's own address included and unused). */
  public synchronized void connect(List<InetSocketAddress> addresses) {
    if (self >= addresses.size()) {
      throw new IllegalArgumentException("p" + self + " is not among the " + addresses.size()
          + " addresses");
    }
    ManagedChannel[] c = new ManagedChannel[addresses.size()];
    for (int i = 0; i < c.length; i++) {
      if (i != self) {
        c[i] = security.dial(addresses.get(i));
        if (server != null) {
          c[i].getState(true); // dial now: a first message must not pay for the connection
        } // embedded (rare admin actions): connect on first use, not n² connections at start
      }
    }
    channels = c;
  }

  /**
   * Waits until every channel to the other processes is connected and has carried one empty
   * call, or {@code timeoutNanos} passed; returns how many answered. A round message sent on a
   * channel still connecting, or the first call of a cold JVM, may miss its round.
   */
  public int awaitConnected(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      int ready = 0;
      for (ManagedChannel c : channels) {
        if (c != null && c.getState(true) == io.grpc.ConnectivityState.READY) {
          ready++;
        }
      }
      int wanted = channels.length - 1;
      if (ready >= wanted || System.nanoTime() - deadline > 0) {
        break;
      }
      Thread.sleep(5);
    }
    // One empty call each way first: the first call in a JVM loads and links gRPC's call path
    // (measured: ~165 ms), which would make the first round messages miss their round.
    int answered = 0;
    for (ManagedChannel c : channels) {
      if (c == null) {
        continue;
      }
      try {
        ClientCalls.blockingUnaryCall(c, ROUND, CallOptions.DEFAULT.withDeadlineAfter(
            Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), EMPTY);
        answered++;
      } catch (RuntimeException unreachable) {
        // counted as not connected
      }
    }
    return answered;
  }

  /**
   * Takes part in instance {@code config}, which starts at {@code startNanos} on the clock; the
   * sender passes its value, the others null. Completes with this process's decision at the end
   * of round f + 1, or earlier in the early-deciding mode ({@link AgreementConfig#earlyDecision}).
   *
   * @throws IllegalArgumentException if the instance is already running here, or the value is
   *     given to a non-sender or missing at the sender
   */
  public CompletableFuture<Decision> join(AgreementConfig config, long startNanos, Value value) {
    if ((config.sender() == self) != (value != null)) {
      throw new IllegalArgumentException("p" + self + (config.sender() == self
          ? " is the sender and needs a value" : " is not the sender and takes no value"));
    }
    Instance instance = new Instance(new DolevStrong(config, self, key), config, startNanos);
    if (instances.putIfAbsent(ByteBuffer.wrap(config.instance()), instance) != null) {
      throw new IllegalArgumentException("instance already running at p" + self);
    }
    rounds.schedule(() -> instance.begin(value), delayUntil(startNanos), TimeUnit.NANOSECONDS);
    return instance.decided;
  }

  /**
   * Joins, without a value, an instance first heard of in a message: the rounds that already
   * ended here are ended at once (nothing was received in them), then the clock drives the rest.
   */
  private synchronized Instance joinLate(Joining joining) {
    AgreementConfig config = joining.config();
    ByteBuffer id = ByteBuffer.wrap(config.instance());
    Instance running = instances.get(id);
    if (running != null) {
      return running; // another thread joined it first
    }
    if (config.sender() == self) {
      return null; // our own instances we start ourselves; a message claiming one is made up
    }
    Instance instance = new Instance(new DolevStrong(config, self, key), config,
        joining.startNanos());
    instance.decided.thenAccept(joining.decided());
    // Caught up before anyone can see it, so a message is never judged against a stale round.
    if (!instance.catchUp()) {
      return null; // its last round is over: nothing left to take part in
    }
    instances.put(id, instance);
    return instance;
  }

  private long delayUntil(long at) {
    return Math.max(0, at - clock.getAsLong());
  }

  private void onMessage(byte[] bytes) {
    if (bytes.length == 0) {
      return; // a ping (awaitConnected)
    }
    RoundMessage message;
    try {
      message = AgreementCodec.decode(bytes);
    } catch (IllegalArgumentException e) {
      refused.increment();
      return;
    }
    Instance instance = instances.get(ByteBuffer.wrap(message.instance()));
    if (instance == null) {
      instance = directory.lookup(message.instance()).map(this::joinLate).orElse(null);
    }
    if (instance == null) {
      late.increment(); // decided and gone, or never joined here
      return;
    }
    instance.receive(message);
  }

  /** One instance at this process: the core, and messages that came before their round. */
  private final class Instance {
    final DolevStrong core;
    final AgreementConfig config;
    final long startNanos;
    final List<RoundMessage> early = new ArrayList<>();
    final CompletableFuture<Decision> decided = new CompletableFuture<>();

    Instance(DolevStrong core, AgreementConfig config, long startNanos) {
      this.core = core;
      this.config = config;
      this.startNanos = startNanos;
    }

    synchronized void begin(Value value) {
      if (value != null) {
        send(core.start(value).broadcast());
        signaturesMade.increment();
      }
      scheduleEnd(1);
    }

    /**
     * For a late join: ends the rounds already over here (nothing was received in them, so
     * nothing is relayed), then lets the clock drive the rest. False if the instance is over.
     */
    synchronized boolean catchUp() {
      long now = clock.getAsLong();
      int round = 1;
      while (startNanos + round * roundNanos <= now) {
        if (!endOne(round)) {
          return false;
        }
        round++;
      }
      scheduleEnd(round);
      return true;
    }

    void scheduleEnd(int round) {
      rounds.schedule(() -> end(round), delayUntil(startNanos + round * roundNanos),
          TimeUnit.NANOSECONDS);
    }

    synchronized void receive(RoundMessage message) {
      if (core.decision().isPresent() || message.round() < core.round()) {
        late.increment();
      } else if (message.round() == core.round() + 1 && early.size() < 2 * config.n()) {
        early.add(message); // our clock is a little behind: keep it for its round
      } else if (message.round() > core.round()) {
        refused.increment(); // rounds ahead, or a flood: not what a correct process sends
      } else {
        take(message);
      }
    }

    private void take(RoundMessage message) {
      long before = core.signaturesVerified();
      if (core.receive(message).isPresent()) {
        refused.increment();
      }
      signaturesVerified.add(core.signaturesVerified() - before);
    }

    synchronized void end(int round) {
      if (endOne(round)) {
        scheduleEnd(round + 1);
      }
    }

    /** Ends one round: relays, or the decision; true if more rounds follow. */
    private boolean endOne(int round) {
      long made = core.signaturesMade();
      DolevStrong.Step step = core.endRound(round);
      signaturesMade.add(core.signaturesMade() - made);
      // An early decision still carries one last message (the echoes it must relay): sent in
      // the next round like any other, after which this node takes nothing more for the instance.
      send(step.broadcast());
      if (step.decision().isPresent()) {
        instances.remove(ByteBuffer.wrap(config.instance()));
        decided.complete(step.decision().get());
        return false;
      }
      List<RoundMessage> now = new ArrayList<>();
      early.removeIf(m -> m.round() == core.round() && now.add(m));
      now.forEach(this::take);
      return true;
    }
  }

  private void send(Optional<RoundMessage> message) {
    if (message.isEmpty()) {
      return;
    }
    byte[] bytes = AgreementCodec.encode(message.get());
    ManagedChannel[] c = channels;
    for (int i = 0; i < c.length; i++) {
      if (c[i] != null) {
        sent.increment();
        if (c[i].getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
          // A peer that was down may be back: try now rather than after gRPC's backoff
          // (up to two minutes), or it misses every round until then.
          c[i].resetConnectBackoff();
        }
        // Wait for a connection still being made (within the deadline) rather than fail at once.
        ClientCalls.futureUnaryCall(c[i].newCall(ROUND, CallOptions.DEFAULT.withWaitForReady()
            .withDeadlineAfter(Math.max(1, 4 * roundNanos), TimeUnit.NANOSECONDS)), bytes);

      }
    }
  }

  /**
   * Hands every notice another process sends ({@link #broadcastNotice}) to {@code handler}, on a
   * gRPC thread. Notices are opaque here: the handler authenticates them.
   */
  public void onNotice(java.util.function.Consumer<byte[]> handler) {
    this.notices = Objects.requireNonNull(handler, "handler");
  }

  /**
   * Sends {@code bytes} to every other process's notice handler, once and without waiting (a
   * process that is down misses it). For the embedding runtime's own messages, which ride on the
   * agreement's connections; they are not part of any instance and count as messages sent.
   */
  public void broadcastNotice(byte[] bytes) {
    ManagedChannel[] c = channels;
    for (int i = 0; i < c.length; i++) {
      if (c[i] != null) {
        sent.increment();
        ClientCalls.futureUnaryCall(c[i].newCall(NOTICE, CallOptions.DEFAULT
            .withDeadlineAfter(Math.max(1, 4 * roundNanos), TimeUnit.NANOSECONDS)), bytes);
      }
    }
  }

  /** Messages that arrived after their round ended (or after the instance decided). */
  public long lateMessages() {
    return late.sum();
  }

  /** Messages refused: undecodable, or a relay the core refused (bad signature, chain...). */
  public long refusedMessages() {
    return refused.sum();
  }

  /** Messages sent (one per peer per broadcast). */
  public long messagesSent() {
    return sent.sum();
  }

  /** Signature checks made by this process's cores. */
  public long signaturesVerified() {
    return signaturesVerified.sum();
  }

  /** Signatures made by this process's cores. */
  public long signaturesMade() {
    return signaturesMade.sum();
  }

  /** Stops the server, the channels and the round timer; running instances never decide. */
  @Override
  public void close() {
    rounds.shutdownNow();
    for (ManagedChannel c : channels) {
      if (c != null) {
        c.shutdownNow();
      }
    }
    if (server == null) {
      return; // embedded: the embedding server stops the service
    }
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "AgreementNode[p" + self + (address == null ? " embedded" : " at " + address)
        + ", Δ=" + roundNanos / 1_000_000.0
        + " ms]";
  }
}
