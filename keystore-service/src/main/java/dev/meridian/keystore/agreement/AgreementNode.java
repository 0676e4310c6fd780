package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.SigningKey;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
 * <p>Transport: one unary gRPC method taking an {@link AgreementCodec} message, plaintext, on
 * the given address (127.0.0.1 in tests and the benchmark). Messages over 1 MiB are refused by
 * gRPC; undecodable ones are counted and dropped.
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
  static final MethodDescriptor<byte[], byte[]> ROUND = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("meridian.v1.Agreement/Round")
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();
  private static final byte[] EMPTY = new byte[0];

  private final int self;
  private final SigningKey key;
  private final long roundNanos;
  private final LongSupplier clock;
  private final Server server;
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
    return new AgreementNode(self, key, listen, roundLength, clock);
  }

  private AgreementNode(int self, SigningKey key, InetSocketAddress listen, long roundLength,
      LongSupplier clock) throws IOException {
    if (roundLength <= 0) {
      throw new IllegalArgumentException("the round length must be positive, got "
          + roundLength + " ns");
    }
    this.self = self;
    this.key = Objects.requireNonNull(key, "key");
    this.roundNanos = roundLength;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rounds = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "agreement-p" + self);
      t.setDaemon(true);
      return t;
    });
    ServerServiceDefinition service = ServerServiceDefinition.builder("meridian.v1.Agreement")
        .addMethod(ROUND, ServerCalls.asyncUnaryCall((bytes, reply) -> {
          onMessage(bytes);
          reply.onNext(EMPTY);
          reply.onCompleted();
        }))
        .build();
    this.server = NettyServerBuilder.forAddress(listen)
        .addService(service)
        .maxInboundMessageSize(1 << 20)
        .directExecutor()
        .build()
        .start();
    this.address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  private volatile ManagedChannel[] channels = new ManagedChannel[0];

  /** The address the server is bound to. */
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
        c[i] = NettyChannelBuilder.forAddress(addresses.get(i)).usePlaintext()
            .directExecutor().build();
        c[i].getState(true); // dial now: a first message must not pay for the connection
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
   * of round f + 1.
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
      long made = core.signaturesMade();
      DolevStrong.Step step = core.endRound(round);
      signaturesMade.add(core.signaturesMade() - made);
      if (step.decision().isPresent()) {
        instances.remove(ByteBuffer.wrap(config.instance()));
        decided.complete(step.decision().get());
        return;
      }
      send(step.broadcast());
      List<RoundMessage> now = new ArrayList<>();
      early.removeIf(m -> m.round() == core.round() && now.add(m));
      now.forEach(this::take);
      scheduleEnd(round + 1);
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
        ClientCalls.futureUnaryCall(c[i].newCall(ROUND, CallOptions.DEFAULT
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
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "AgreementNode[p" + self + " at " + address() + ", Δ=" + roundNanos / 1_000_000.0
        + " ms]";
  }
}
