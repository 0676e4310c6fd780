package dev.meridian.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.NodeId;
import dev.meridian.proto.v1.LinkFrame;
import dev.meridian.proto.v1.MemberLinkGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gRPC transport on 127.0.0.1 only (port 0, bound ports read back), every test bounded in time
 * and everything closed afterwards.
 */
class GrpcTransportTest {
  static final InetAddress LOOPBACK = loopback();
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");

  private final List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void closeEverything() throws Exception {
    List<AutoCloseable> all = new ArrayList<>(toClose);
    Collections.reverse(all);
    for (AutoCloseable c : all) {
      c.close();
    }
  }

  // ---- helpers ----

  static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private GrpcTransport transport(NodeId self, UnaryOperator<GrpcTransport.Builder> tune,
      NodeId... peers) {
    GrpcTransport.Builder b = GrpcTransport.builder(self)
        .listen(new InetSocketAddress(LOOPBACK, 0))
        .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200))
        .closeTimeout(Duration.ofSeconds(3));
    for (NodeId p : peers) {
      b.peer(p);
    }
    GrpcTransport t = tune.apply(b).build();
    toClose.add(t);
    return t;
  }

  /** Tells every transport where each of its peers among {@code ts} listens. */
  private static void introduce(GrpcTransport... ts) {
    for (GrpcTransport t : ts) {
      for (GrpcTransport u : ts) {
        if (t.peers().contains(u.self())) {
          t.setPeerAddress(u.self(), u.localAddress());
        }
      }
    }
  }

  /** Sends numbered frames 1, 2, ... from one transport to one peer, waiting while refused. */
  private final class Pump implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;
    private volatile long sent;

    Pump(Transport t, NodeId to, long limit, int frameSize) {
      thread = new Thread(() -> {
        for (long seq = 1; seq <= limit && !stop; ) {
          if (t.send(to, SequenceRecorder.frame(seq, frameSize))) {
            sent = seq++;
          } else {
            LockSupport.parkNanos(20_000); // back-pressure: the peer's queue is full
          }
        }
      }, "test-pump-" + t.self() + "-" + to);
      thread.setDaemon(true);
      toClose.add(this);
      thread.start();
    }

    long sent() {
      return sent;
    }

    @Override
    public void close() {
      stop = true;
      try {
        thread.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A bare client stream to a transport's server, for sending frames a real member never would. */
  private final class RawStream implements StreamObserver<LinkFrame> {
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    final StreamObserver<LinkFrame> requests;

    RawStream(GrpcTransport target) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(target.localAddress())
          .usePlaintext()
          .build();
      toClose.add(() -> channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS));
      requests = MemberLinkGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .exchange(this);
    }

    /** Sends {@code frame} and returns the status the server ended the stream with. */
    Status sendAndAwaitEnd(LinkFrame frame) throws Exception {
      requests.onNext(frame);
      return Status.fromThrowable(ended.get(5, TimeUnit.SECONDS));
    }

    @Override
    public void onNext(LinkFrame value) {}

    @Override
    public void onError(Throwable t) {
      ended.complete(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(Status.OK.asRuntimeException());
    }
  }

  private static LinkFrame rawFrame(String from, long incarnation, long epoch, byte[] packed) {
    return LinkFrame.newBuilder().setFromNode(from).setFromIncarnation(incarnation)
        .setStreamEpoch(epoch).setPackedEnvelopes(ByteString.copyFrom(packed)).build();
  }

  /** Checks that {@code a} and {@code b} still exchange frames both ways. */
  private static void assertStillConnected(GrpcTransport a, SequenceRecorder atA, GrpcTransport b,
      SequenceRecorder atB, long seq) throws InterruptedException {
    assertTrue(a.send(b.self(), SequenceRecorder.frame(seq, 16)));
    assertTrue(b.send(a.self(), SequenceRecorder.frame(seq, 16)));
    assertTrue(atB.await(r -> r.last(a.self()) == seq, 5_000), "b stopped hearing from a");
    assertTrue(atA.await(r -> r.last(b.self()) == seq, 5_000), "a stopped hearing from b");
  }

  // ---- tests ----

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void threeMembersExchange50000FramesInOrderBetweenEveryPair() throws Exception {
    int n = 50_000;
    GrpcTransport a = transport(A, b -> b, B, C);
    GrpcTransport b = transport(B, x -> x, A, C);
    GrpcTransport c = transport(C, x -> x, A, B);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    SequenceRecorder atC = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    c.start(atC);
    introduce(a, b, c);
    long t0 = System.nanoTime();
    for (GrpcTransport from : List.of(a, b, c)) {
      for (NodeId to : from.peers()) {
        new Pump(from, to, n, 24);
      }
    }
    assertTrue(atA.await(r -> r.total() == 2L * n, 15_000), "a got " + atA.total());
    assertTrue(atB.await(r -> r.total() == 2L * n, 15_000), "b got " + atB.total());
    assertTrue(atC.await(r -> r.total() == 2L * n, 15_000), "c got " + atC.total());
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    for (SequenceRecorder r : List.of(atA, atB, atC)) {
      assertEquals(List.of(), r.violations());
    }
    for (NodeId from : List.of(B, C)) {
      assertEquals(n, atA.count(from));
      assertEquals(n, atA.last(from));
    }
    GrpcTransport.Stats s = a.stats();
    assertEquals(2L * n, s.framesSent());
    assertEquals(2L * n, s.framesReceived());
    assertTrue(s.batchesSent() <= s.framesSent());
    System.out.printf("3 members, 6 x %,d frames in %d ms; a: %,d frames in %,d batches (%.1f"
        + " per batch)%n", n, millis, s.framesSent(), s.batchesSent(),
        (double) s.framesSent() / s.batchesSent());
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void deliveryResumesAfterStreamResetsWithoutDuplicatesOrReordering() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x, A);
    SequenceRecorder atB = new SequenceRecorder();
    a.start(new SequenceRecorder());
    b.start(atB);
    introduce(a, b);
    Pump pump = new Pump(a, B, Long.MAX_VALUE, 16);
    assertTrue(atB.await(r -> r.last(A) >= 5_000, 5_000));
    for (int reset = 1; reset <= 3; reset++) {
      a.resetStream(B);
      long sentBeforeReset = pump.sent();
      long target = sentBeforeReset + 10_000;
      assertTrue(atB.await(r -> r.last(A) >= target, 5_000),
          "after reset " + reset + ", b is stuck at " + atB.last(A) + " (wanted " + target + ")");
    }
    pump.close();
    assertEquals(List.of(), atB.violations(), "frames duplicated, reordered or corrupted");
    GrpcTransport.Stats s = a.stats();
    assertTrue(s.streamsEnded() >= 3, s.toString());
    assertTrue(s.streamsOpened() >= 4, s.toString());
    System.out.printf("3 resets: %,d frames sent, %,d received, %,d lost in flight%n",
        pump.sent(), atB.count(A), atB.last(A) - atB.count(A));
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void aPeerThatRestartsOnAnotherPortWithANewIncarnationIsReachedAgain() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b1 = transport(B, x -> x.incarnation(1), A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB1 = new SequenceRecorder();
    a.start(atA);
    b1.start(atB1);
    introduce(a, b1);
    Pump pump = new Pump(a, B, Long.MAX_VALUE, 16);
    assertTrue(b1.send(A, SequenceRecorder.frame(1, 16)));
    assertTrue(atB1.await(r -> r.last(A) >= 2_000, 5_000));
    assertTrue(atA.await(r -> r.last(B) == 1, 5_000));

    b1.close(); // b "crashes"; a keeps sending into its bounded queue
    GrpcTransport b2 = transport(B, x -> x.incarnation(2), A);
    SequenceRecorder atB2 = new SequenceRecorder();
    b2.start(atB2);
    introduce(a, b2);
    long sentAtRestart = pump.sent();
    assertTrue(atB2.await(r -> r.last(A) >= sentAtRestart + 5_000, 10_000),
        "the restarted b got only up to " + atB2.last(A));
    assertTrue(b2.send(A, SequenceRecorder.frame(2, 16)));
    assertTrue(atA.await(r -> r.last(B) == 2, 5_000), "a refused the new incarnation of b");
    pump.close();
    assertEquals(List.of(), atB2.violations());
    assertEquals(List.of(), atA.violations());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void malformedPackedEnvelopesAreRejectedAndTheNodeKeepsWorking() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x, A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    assertStillConnected(a, atA, b, atB, 1);

    byte[][] garbage = {
        {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, // varint
        {0x05, 1, 2},                       // length beyond the buffer
        {0x01, 0x07, (byte) 0x80},          // one good envelope, then a cut-off varint
    };
    for (byte[] packed : garbage) {
      Status status = new RawStream(a).sendAndAwaitEnd(rawFrame("b", 1, Long.MAX_VALUE, packed));
      assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("malformed packed_envelopes"),
          status.getDescription());
    }
    assertEquals(1, atA.count(B), "nothing of a malformed batch may be delivered");
    assertEquals(3, a.stats().inboundRejected());
    assertStillConnected(a, atA, b, atB, 2);
    assertEquals(List.of(), atA.violations());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void framesFromUnknownOrInvalidNodesAreRejected() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x, A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    byte[] oneEnvelope = {0x08, 0, 0, 0, 0, 0, 0, 0, 1};

    Status unknown = new RawStream(a).sendAndAwaitEnd(rawFrame("mallory", 1, 1, oneEnvelope));
    assertEquals(Status.Code.PERMISSION_DENIED, unknown.getCode(), unknown.toString());
    assertTrue(unknown.getDescription().contains("mallory is not a peer of a"));

    Status itself = new RawStream(a).sendAndAwaitEnd(rawFrame("a", 1, 1, oneEnvelope));
    assertEquals(Status.Code.PERMISSION_DENIED, itself.getCode(), itself.toString());

    Status invalid = new RawStream(a).sendAndAwaitEnd(rawFrame("no spaces!", 1, 1, oneEnvelope));
    assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getCode(), invalid.toString());

    Status empty = new RawStream(a).sendAndAwaitEnd(rawFrame("", 1, 1, oneEnvelope));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getCode(), empty.toString());

    assertEquals(0, atA.total(), "nothing from a rejected stream may be delivered");
    assertStillConnected(a, atA, b, atB, 1);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aStreamChangingItsIdentityOrOlderThanTheSendersCurrentOneIsRejected() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x.incarnation(5), A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    assertStillConnected(a, atA, b, atB, 1);

    // The same incarnation as b's real stream, with an older epoch: a stale stream.
    RawStream stale = new RawStream(a);
    stale.requests.onNext(rawFrame("b", 5, 1, new byte[0]));
    Throwable t = stale.ended.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.ABORTED, Status.fromThrowable(t).getCode(), t.toString());
    Metadata trailers = Status.trailersFromThrowable(t);
    assertNotNull(trailers);
    assertNotNull(trailers.get(OutboundLink.EPOCH_FLOOR_KEY), "the receiver names the floor");

    Status older = new RawStream(a).sendAndAwaitEnd(rawFrame("b", 4, Long.MAX_VALUE, new byte[0]));
    assertEquals(Status.Code.FAILED_PRECONDITION, older.getCode(), older.toString());

    RawStream shifty = new RawStream(a);
    shifty.requests.onNext(rawFrame("b", 6, 1, new byte[0]));
    Status changed = shifty.sendAndAwaitEnd(rawFrame("b", 6, 2, new byte[0]));
    assertEquals(Status.Code.INVALID_ARGUMENT, changed.getCode(), changed.toString());
    // 'shifty' made incarnation 6 b's newest stream (no authentication: see GrpcTransport), so
    // b's real stream is now superseded; b is refused until it restarts with a newer incarnation.
    assertEquals(1, atA.count(B));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aSenderToldItsStreamIsSupersededJumpsPastTheReceiversEpochAndRecovers() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x.incarnation(5), A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    assertStillConnected(a, atA, b, atB, 1);

    // A stream of b's own incarnation with a far larger epoch (as from a predecessor of b whose
    // wall clock was far ahead) becomes b's newest stream at a ...
    RawStream ahead = new RawStream(a);
    ahead.requests.onNext(rawFrame("b", 5, Long.MAX_VALUE / 4,
        new byte[] {0x08, 0, 0, 0, 0, 0, 0, 0, 100}));
    assertTrue(atA.await(r -> r.last(B) == 100, 5_000));
    // ... so b's real stream is refused with the epoch to beat, and b's next stream beats it.
    long seq = 101;
    while (!atA.await(r -> r.last(B) > 100, 50)) {
      assertTrue(b.send(A, SequenceRecorder.frame(seq++, 16)));
    }
    assertEquals(List.of(), atA.violations());
    assertTrue(b.stats().streamsEnded() >= 1, b.stats().toString());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void oversizedMessagesAreRejectedAndTheNodeKeepsWorking() throws Exception {
    GrpcTransport a = transport(A, x -> x.maxMessageBytes(64 * 1024).maxBatchBytes(16 * 1024), B);
    GrpcTransport b = transport(B, x -> x.maxMessageBytes(64 * 1024).maxBatchBytes(16 * 1024), A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    byte[][] oneBigEnvelope = {new byte[100 * 1024]}; // well-formed, only too large
    byte[] big = EnvelopePacking.pack(oneBigEnvelope, 1,
        EnvelopePacking.packedSize(oneBigEnvelope[0]));
    Status status = new RawStream(a).sendAndAwaitEnd(rawFrame("b", 1, Long.MAX_VALUE, big));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());

    assertThrows(IllegalArgumentException.class,
        () -> b.send(A, new byte[64 * 1024]), "a frame that cannot fit a message is refused");
    // Frames up to the limit go through, one per batch when they exceed maxBatchBytes.
    byte[] largest = SequenceRecorder.frame(1, 64 * 1024 - GrpcTransport.FRAME_OVERHEAD_BYTES);
    assertTrue(b.send(A, largest));
    assertTrue(atA.await(r -> r.last(B) == 1, 5_000));
    assertStillConnected(a, atA, b, atB, 2);
    assertEquals(List.of(), atA.violations());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void sendReturnsFalseWhenAPeersQueueIsFullAndTheQueueDrainsOnceItIsUp() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      deadPort = s.getLocalPort(); // nothing listens here once it is closed
    }
    GrpcTransport a = transport(A, x -> x.maxQueuedFrames(100), B);
    a.start(new SequenceRecorder());
    a.setPeerAddress(B, new InetSocketAddress(LOOPBACK, deadPort));
    for (int seq = 1; seq <= 100; seq++) {
      assertTrue(a.send(B, SequenceRecorder.frame(seq, 16)), "frame " + seq);
    }
    assertFalse(a.send(B, SequenceRecorder.frame(101, 16)), "the queue holds 100 frames");
    assertEquals(100, a.queuedFrames(B));
    assertEquals(1, a.stats().framesRefused());

    GrpcTransport b = transport(B, x -> x, A);
    SequenceRecorder atB = new SequenceRecorder();
    b.start(atB);
    a.setPeerAddress(B, b.localAddress());
    assertTrue(atB.await(r -> r.count(A) == 100, 5_000), "b got " + atB.count(A));
    assertEquals(100, atB.last(A));
    assertTrue(a.send(B, SequenceRecorder.frame(102, 16)));
    assertTrue(atB.await(r -> r.last(A) == 102, 5_000));
    assertEquals(List.of(), atB.violations());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void theQueueIsAlsoBoundedInBytes() {
    GrpcTransport a = transport(A, x -> x.maxQueuedBytes(1_000), B); // b's address never given
    a.start(new SequenceRecorder());
    for (int i = 1; i <= 10; i++) {
      assertTrue(a.send(B, new byte[100]), "frame " + i);
    }
    assertFalse(a.send(B, new byte[1]));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void closeIsIdempotentAndReleasesThePortAndThreads() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    GrpcTransport b = transport(B, x -> x, A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    assertStillConnected(a, atA, b, atB, 1);
    int port = a.port();
    long t0 = System.nanoTime();
    a.close();
    a.close();
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "close took too long");
    assertFalse(a.send(B, new byte[1]), "a closed transport sends nothing");
    try (ServerSocket again = new ServerSocket(port, 1, LOOPBACK)) {
      assertEquals(port, again.getLocalPort());
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      assertFalse(t.getName().equals("meridian-grpc-a") && t.isAlive(), "link thread left over");
    }
    assertThrows(IllegalStateException.class, () -> a.start(atA));
  }

  @Test
  void validatesItsConfigurationAndArguments() {
    assertThrows(IllegalArgumentException.class, () -> GrpcTransport.builder(A).build(),
        "no peers");
    assertThrows(IllegalArgumentException.class, () -> GrpcTransport.builder(A).peer(A));
    assertThrows(IllegalArgumentException.class,
        () -> GrpcTransport.builder(A).peer(B).peer(B));
    assertThrows(IllegalArgumentException.class,
        () -> GrpcTransport.builder(A).peer(B, InetSocketAddress.createUnresolved("x", 1)));
    assertThrows(IllegalArgumentException.class,
        () -> GrpcTransport.builder(A).peer(B).maxMessageBytes(8192).maxBatchBytes(8192).build());
    assertThrows(IllegalArgumentException.class, () -> GrpcTransport.builder(A)
        .reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    GrpcTransport a = transport(A, x -> x, B);
    assertThrows(IllegalStateException.class, () -> a.send(B, new byte[1]), "not started");
    assertThrows(IllegalStateException.class, a::port, "not started");
    assertThrows(IllegalArgumentException.class, () -> a.send(C, new byte[1]), "not a peer");
    assertThrows(IllegalArgumentException.class,
        () -> a.setPeerAddress(C, new InetSocketAddress(LOOPBACK, 1)));
    IllegalArgumentException tls = assertThrows(IllegalArgumentException.class,
        () -> TlsConfig.mutual(java.nio.file.Path.of("/nonexistent/cert.pem"),
            java.nio.file.Path.of("/nonexistent/key.pem"),
            java.nio.file.Path.of("/nonexistent/ca.pem")));
    assertTrue(tls.getMessage().contains("certChain"), tls.getMessage());
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void mutualTlsLinksCarryFrames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    TlsConfig tls = TestCertificates.selfSignedFor127001(dir);
    GrpcTransport a = transport(A, x -> x.tls(tls), B);
    GrpcTransport b = transport(B, x -> x.tls(tls), A);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    new Pump(a, B, 5_000, 32);
    new Pump(b, A, 5_000, 32);
    assertTrue(atB.await(r -> r.last(A) == 5_000, 10_000), "b got " + atB.count(A));
    assertTrue(atA.await(r -> r.last(B) == 5_000, 10_000), "a got " + atA.count(B));
    assertEquals(List.of(), atA.violations());
    assertEquals(List.of(), atB.violations());

    // A plaintext client cannot talk to a TLS member.
    Status plaintext = new RawStream(a).sendAndAwaitEnd(rawFrame("b", 1, 1, new byte[0]));
    assertEquals(Status.Code.UNAVAILABLE, plaintext.getCode(), plaintext.toString());
  }

  /** Records unreachable hints, with the time of the first one per peer. */
  private static final class HintRecorder implements Transport.FrameHandler {
    final java.util.concurrent.ConcurrentHashMap<NodeId, Long> firstHintNanos =
        new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicInteger frames =
        new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void onFrame(NodeId from, byte[] frame) {
      frames.incrementAndGet();
    }

    @Override
    public void onPeerUnreachable(NodeId peer) {
      firstHintNanos.putIfAbsent(peer, System.nanoTime());
    }

    boolean awaitHint(NodeId peer, long millis) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (!firstHintNanos.containsKey(peer) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      return firstHintNanos.containsKey(peer);
    }
  }

  /** Starts a (recording hints) and b, and returns a's recorder once a frame went a -> b. */
  private static HintRecorder startWithLinkUp(GrpcTransport a, GrpcTransport b)
      throws InterruptedException {
    HintRecorder atA = new HintRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);
    introduce(a, b);
    assertTrue(a.send(B, SequenceRecorder.frame(1, 16)));
    assertTrue(atB.await(r -> r.last(A) == 1, 5_000), "the link a -> b never came up");
    return atA;
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void aBrokenStreamToAPortNobodyListensOnAnyMoreIsReportedWithoutWaitingForAReconnection()
      throws Exception {
    // Reconnections 5 s apart: a hint within 3 s can only come from the probe.
    GrpcTransport a = transport(A, x -> x.reconnectBackoff(Duration.ofSeconds(5),
        Duration.ofSeconds(5)), B);
    GrpcTransport b = transport(B, x -> x, A);
    HintRecorder atA = startWithLinkUp(a, b);
    assertTrue(atA.firstHintNanos.isEmpty(), "no hint while b is up");

    long closedAt = System.nanoTime();
    b.close(); // its port closes, as a crashed process's would
    assertTrue(atA.awaitHint(B, 3_000), "a was never told that b looks gone");
    assertTrue(atA.firstHintNanos.get(B) - closedAt < TimeUnit.SECONDS.toNanos(3));
  }

  /** Log records of the transport's logger, with the nanoTime each was published at. */
  private static final class RecordedLogs extends java.util.logging.Handler {
    record Entry(long nanos, java.util.logging.Level level, String message) {}

    final List<Entry> entries = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void publish(java.util.logging.LogRecord r) {
      entries.add(new Entry(System.nanoTime(), r.getLevel(), r.getMessage()));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    List<Entry> matching(java.util.logging.Level level, String part) {
      synchronized (entries) {
        return entries.stream().filter(e -> e.level().equals(level)
            && e.message() != null && e.message().contains(part)).toList();
      }
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void aCrashedPeerIsLoggedAfterItsHintAndWarnedAboutOnlyAfterTenRefusedDialsInARow()
      throws Exception {
    RecordedLogs logs = new RecordedLogs();
    GrpcTransport.LOG.addHandler(logs);
    try {
      // Backoff 1 ms doubling to 256 ms: a refused probe jumps the backoff to 256 ms at once,
      // which used to count as nine failures and warn "attempt 10" right at the crash.
      GrpcTransport a = transport(A, x -> x.reconnectBackoff(Duration.ofMillis(1),
          Duration.ofMillis(256)), B);
      GrpcTransport b = transport(B, x -> x, A);
      HintRecorder atA = startWithLinkUp(a, b);

      b.close(); // its port closes, as a crashed process's would
      assertTrue(atA.awaitHint(B, 3_000), "a was never told that b looks gone");
      long hintAt = atA.firstHintNanos.get(B);

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (logs.matching(java.util.logging.Level.WARNING, "a -> b").isEmpty()
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      List<RecordedLogs.Entry> gone = logs.matching(java.util.logging.Level.INFO, "looks gone");
      assertEquals(1, gone.size(), "one record that b looks gone: " + logs.entries);
      assertTrue(gone.get(0).nanos() >= hintAt, "the record came before the hint");
      List<RecordedLogs.Entry> warnings =
          logs.matching(java.util.logging.Level.WARNING, "a -> b");
      assertEquals(1, warnings.size(), "one warning: " + logs.entries);
      assertTrue(warnings.get(0).message().contains("(attempt 10)"), warnings.get(0).message());
      // Nine dials at 256 ms (jitter down to 0.8x) come first: at least 1.8 s after the hint.
      long after = warnings.get(0).nanos() - hintAt;
      assertTrue(after >= TimeUnit.MILLISECONDS.toNanos(1_800),
          "warned " + TimeUnit.NANOSECONDS.toMillis(after) + " ms after the crash");
    } finally {
      GrpcTransport.LOG.removeHandler(logs);
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void theStartUpCrashRehearsalGoesAsACrashDoesAndLogsNothing() throws Exception {
    RecordedLogs logs = new RecordedLogs();
    GrpcTransport.LOG.addHandler(logs);
    try {
      assertTrue(CrashRehearsal.run(), "frames both ways, then the survivor's hint");
      Thread.sleep(GrpcTransport.LOG_LATER_MILLIS + 100); // records written later would show
      synchronized (logs.entries) {
        assertEquals(List.of(), logs.entries.stream()
            .filter(e -> e.message() != null && e.message().contains("rehearsal")).toList());
      }
    } finally {
      GrpcTransport.LOG.removeHandler(logs);
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void aPeerThatNeverCameUpIsNotReportedGone() throws Exception {
    GrpcTransport a = transport(A, x -> x, B);
    HintRecorder atA = new HintRecorder();
    a.start(atA);
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      a.setPeerAddress(B, new InetSocketAddress(LOOPBACK, s.getLocalPort()));
    } // now closed: every dial is refused, but the link was never up, so b may be starting
    assertTrue(a.send(B, SequenceRecorder.frame(1, 16)));
    Thread.sleep(500); // many refused dials at 10..200 ms backoff
    assertTrue(atA.firstHintNanos.isEmpty(), "hinted " + atA.firstHintNanos.keySet());
  }

  @Test
  void aProbeTellsARefusedPortFromAListeningOne() throws Exception {
    try (ServerSocket listening = new ServerSocket(0, 1, LOOPBACK)) {
      assertFalse(GrpcTransport.refusesConnections(
          new InetSocketAddress(LOOPBACK, listening.getLocalPort())));
    }
    int freed;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      freed = s.getLocalPort();
    }
    assertTrue(GrpcTransport.refusesConnections(new InetSocketAddress(LOOPBACK, freed)));
  }
}
