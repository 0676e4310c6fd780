package dev.meridian.transport;

import dev.meridian.NodeId;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link Transport} over gRPC (Netty, HTTP/2): the {@code MemberLink.Exchange} service of
 * {@code meridian/v1/link.proto}.
 *
 * <pre>{@code
 * GrpcTransport t = GrpcTransport.builder(NodeId.of("a"))
 *     .listen(new InetSocketAddress("127.0.0.1", 0))       // port 0: any free port
 *     .peer(NodeId.of("b"), new InetSocketAddress("127.0.0.1", 7002))
 *     .peer(NodeId.of("c"))                                // address known later
 *     .build();
 * t.start((from, frame) -> inbox.offer(from, frame));
 * int port = t.port();                                     // the bound port
 * t.setPeerAddress(NodeId.of("c"), new InetSocketAddress("127.0.0.1", 7003));
 * t.send(NodeId.of("b"), bytes);                           // false: b's queue is full
 * }</pre>
 *
 * <h2>One stream per direction: who dials</h2>
 *
 * Every member dials every peer for its <em>outgoing</em> frames: frames from a to b travel on the
 * {@code Exchange} stream that a opened to b's server, frames from b to a on the stream b opened
 * to a. The response half of each stream stays unused. This is the simplest design that is
 * correct under every failure: the side that has frames to send is the side that notices a broken
 * stream, owns the queue, and reconnects; no tie-break decides who dials, no two simultaneous
 * dials need reconciling, and a restarted member simply dials again. Its cost is two HTTP/2
 * connections per pair instead of one, which is nothing for the groups of a few to a few dozen
 * members this library targets.
 *
 * <h2>Batching, flow control and back-pressure</h2>
 *
 * Each peer has a bounded FIFO queue ({@link Builder#maxQueuedFrames} frames and {@link
 * Builder#maxQueuedBytes} bytes); {@link #send} returns {@code false} when it is full, which is
 * what happens while a peer is down. Sending is adaptive batching: whenever the peer's stream is
 * ready (gRPC's {@code isReady()}; HTTP/2 flow control has room), the link thread drains whatever
 * is queued — up to {@link Builder#maxBatchBytes} — into <em>one</em> {@code LinkFrame} whose
 * {@code packed_envelopes} holds each frame as a varint length plus its bytes. At low load a batch
 * is one frame and latency is one thread hand-off; under load, frames pile up while a batch is on
 * its way, and batches grow. When the stream is not ready the link stops and waits for gRPC's
 * on-ready callback, so at most one batch beyond the flow-control window is ever buffered in gRPC.
 *
 * <h2>Streams, resets and reconnection</h2>
 *
 * A stream that fails — the peer restarts, the connection drops, keep-alive pings go unanswered,
 * the peer rejects it — is replaced after an exponential backoff (from {@link
 * Builder#reconnectBackoff}'s initial delay, doubling to its maximum, with ±20 % jitter; reset once
 * a stream has stayed up for the maximum delay). Frames still queued are sent on the new stream;
 * the batch that was in flight may be lost. Every stream a member opens carries a larger {@code
 * stream_epoch}, and a receiver only delivers frames of the newest stream it has seen from each
 * sender (ordered by {@code (from_incarnation, stream_epoch)}), under a per-sender lock, so frames
 * from an abandoned stream are never delivered after, or interleaved with, those of its successor:
 * what arrives from one sender is always a subsequence of what it sent, in order, without
 * duplicates.
 *
 * <h2>Validation</h2>
 *
 * Inbound frames are checked before anything is delivered; a bad stream is closed with a {@code
 * Status} and a log line, and the node carries on: {@code from_node} not a valid id ({@code
 * INVALID_ARGUMENT}) or not a peer ({@code PERMISSION_DENIED}); identity changing within a stream
 * ({@code INVALID_ARGUMENT}); {@code packed_envelopes} malformed — bad varint, length past the end
 * ({@code INVALID_ARGUMENT}, nothing of that frame delivered); a message over {@link
 * Builder#maxMessageBytes} (gRPC's own {@code RESOURCE_EXHAUSTED}); a stream superseded by a newer
 * one of the same sender ({@code ABORTED}) or from an older incarnation ({@code
 * FAILED_PRECONDITION}).
 *
 * <h2>Threading</h2>
 *
 * <ul>
 *   <li>{@link #send} is lock-free and may be called from any thread.
 *   <li>One <em>link thread</em> per transport ({@code meridian-grpc-<id>}) owns every outgoing
 *       stream: it opens them, drains queues into them, and runs the reconnect timers. gRPC's
 *       callbacks (on-ready, stream ended) only post a task to it.
 *   <li>Server and channels use {@code directExecutor()}, as {@code shared/BENCHMARKING.md}
 *       measured: inbound frames are validated, unpacked and handed to the {@link FrameHandler} on
 *       a Netty event-loop thread, without a thread hand-off. This is safe because nothing on that
 *       path blocks — provided the handler does not block either, which the {@link Transport}
 *       contract forbids.
 * </ul>
 *
 * <h2>Security</h2>
 *
 * Plaintext by default, meant for loopback and trusted networks; {@link Builder#tls} enables TLS,
 * mutual by default. Peers are identified by the {@code from_node} they claim; TLS does not bind a
 * certificate to a node id, so any holder of a trusted certificate can claim any member's id.
 */
public final class GrpcTransport implements Transport {
  static final Logger LOG = Logger.getLogger(GrpcTransport.class.getName());

  /** Room in a message for everything but the packed envelopes: ids, numbers, tags, lengths. */
  static final int FRAME_OVERHEAD_BYTES = 256;

  private static final InetAddress IPV4_LOOPBACK = ipv4Loopback();

  private final NodeId self;
  private final long incarnation;
  private final InetSocketAddress listenAddress;
  private final Set<NodeId> peers;
  private final Map<NodeId, OutboundLink> links;
  private final Settings settings;
  private final ScheduledThreadPoolExecutor linkThread;
  private final ThreadPoolExecutor probeThread;
  /** A throwaway transport ({@link CrashRehearsal}): logs nothing, warms nothing up. */
  private final boolean quiet;

  /** How long a listener probe waits for a connection to be accepted or refused. */
  static final int PROBE_TIMEOUT_MILLIS = 200;
  private final Counters counters = new Counters();
  private final Object lifecycle = new Object();

  private volatile FrameHandler handler;
  private volatile ChannelCredentials channelCredentials;
  private volatile Server server;
  private volatile boolean started;
  private volatile boolean closed;

  /** Tunables, fixed at build time. */
  record Settings(int maxMessageBytes, int maxBatchBytes, int maxQueuedFrames,
      long maxQueuedBytes, long reconnectInitialNanos, long reconnectMaxNanos,
      long keepAliveNanos, long keepAliveTimeoutNanos, int flowControlWindowBytes,
      long closeTimeoutNanos, TlsConfig tls) {

    int maxFrameBytes() {
      return maxMessageBytes - FRAME_OVERHEAD_BYTES;
    }
  }

  /** Counters; cheap to update from any thread. */
  static final class Counters {
    final LongAdder framesQueued = new LongAdder();
    final LongAdder framesRefused = new LongAdder();
    final LongAdder framesSent = new LongAdder();
    final LongAdder batchesSent = new LongAdder();
    final LongAdder framesReceived = new LongAdder();
    final LongAdder batchesReceived = new LongAdder();
    final LongAdder streamsOpened = new LongAdder();
    final LongAdder streamsEnded = new LongAdder();
    final LongAdder inboundRejected = new LongAdder();
  }

  /**
   * A snapshot of a transport's counters.
   *
   * @param framesQueued frames {@link #send} accepted
   * @param framesRefused frames {@link #send} refused because the peer's queue was full or the
   *     transport closed
   * @param framesSent frames written to a stream (in a batch)
   * @param batchesSent {@code LinkFrame}s written; {@code framesSent / batchesSent} is the mean
   *     batch size
   * @param framesReceived frames handed to the handler
   * @param batchesReceived {@code LinkFrame}s accepted
   * @param streamsOpened outgoing streams opened (the first per peer and every reconnect)
   * @param streamsEnded outgoing streams that failed or were reset
   * @param inboundRejected inbound streams closed for bad or stale input
   */
  public record Stats(long framesQueued, long framesRefused, long framesSent, long batchesSent,
      long framesReceived, long batchesReceived, long streamsOpened, long streamsEnded,
      long inboundRejected) {}

  private GrpcTransport(Builder b) {
    this.self = b.self;
    this.incarnation = b.incarnation;
    this.listenAddress = b.listen;
    this.quiet = b.quiet;
    this.settings = new Settings(b.maxMessageBytes, b.maxBatchBytes, b.maxQueuedFrames,
        b.maxQueuedBytes, b.reconnectInitial.toNanos(), b.reconnectMax.toNanos(),
        b.keepAlive.toNanos(), b.keepAliveTimeout.toNanos(), b.flowControlWindowBytes,
        b.closeTimeout.toNanos(), b.tls);
    this.linkThread = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "meridian-grpc-" + self);
      t.setDaemon(true);
      return t;
    });
    linkThread.setRemoveOnCancelPolicy(true);
    linkThread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    // At most one thread, only while probes run: a probe blocks for up to PROBE_TIMEOUT, which
    // the link thread must never do. One probe per link at a time bounds the queue.
    // One thread, kept for the transport's life: a probe runs right after a peer died, and a
    // thread that timed out idle would first have to be created and scheduled (failover time).
    this.probeThread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "meridian-probe-" + self);
          t.setDaemon(true);
          return t;
        });
    // The epoch of a member's first stream comes from its wall clock, so that even a member that
    // restarts with the same incarnation number opens streams newer than its predecessor's.
    long epochBase = Math.max(1, System.currentTimeMillis() * 1000);
    Map<NodeId, OutboundLink> l = new LinkedHashMap<>();
    for (Map.Entry<NodeId, InetSocketAddress> e : b.peers.entrySet()) {
      l.put(e.getKey(), new OutboundLink(this, e.getKey(), e.getValue(), epochBase));
    }
    this.links = Collections.unmodifiableMap(l);
    this.peers = Collections.unmodifiableSet(b.peers.keySet());
  }

  /** A builder for the transport of member {@code self}. */
  public static Builder builder(NodeId self) {
    return new Builder(self);
  }

  @Override
  public NodeId self() {
    return self;
  }

  @Override
  public Set<NodeId> peers() {
    return peers;
  }

  /** This member's incarnation, sent with every frame. */
  public long incarnation() {
    return incarnation;
  }

  /**
   * Starts the server on the listen address and dials every peer whose address is known.
   *
   * @throws UncheckedIOException if the listen address cannot be bound
   */
  @Override
  public void start(FrameHandler handler) {
    if (handler == null) {
      throw new IllegalArgumentException("handler must not be null");
    }
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("transport of " + self + " is closed");
      }
      if (started) {
        throw new IllegalStateException("transport of " + self + " was already started");
      }
      // Both credentials are built now, so that unreadable TLS files fail start(), not a dial.
      ServerCredentials credentials = settings.tls() == null
          ? InsecureServerCredentials.create() : settings.tls().serverCredentials();
      this.channelCredentials = settings.tls() == null
          ? InsecureChannelCredentials.create() : settings.tls().channelCredentials();
      this.handler = handler;
      Server s = NettyServerBuilder.forAddress(listenAddress, credentials)
          .directExecutor()
          .maxInboundMessageSize(settings.maxMessageBytes())
          .flowControlWindow(settings.flowControlWindowBytes())
          .permitKeepAliveTime(1, TimeUnit.SECONDS)
          .addService(new InboundService(this))
          .build();
      try {
        s.start();
      } catch (IOException e) {
        throw new UncheckedIOException("transport of " + self + " cannot listen on "
            + listenAddress + ": " + e.getMessage(), e);
      }
      this.server = s;
      this.started = true;
    }
    // INFO, not FINE: besides telling the operator where the node listens, this is the JVM's
    // first log record, and the first one costs tens of milliseconds of CPU (the formatter's
    // classes, its date and pattern code). Paid here, not by the first record after a peer dies
    // (peerLooksGone), where on a small machine it competes with the view change for the cores:
    // measured in bench failover traces, 2026-11-24.
    if (!quiet) {
      LOG.info(() -> self + " listening on " + localAddress() + (settings.tls() == null
          ? " (plaintext)" : " (TLS)"));
    }
    onLinkThread(() -> links.values().forEach(OutboundLink::connect));
    if (!quiet) {
      // The first refused connection in a JVM costs tens of ms (class loading); pay it now
      // rather than in the first probe after a peer crashes, where it adds straight to failover
      // time. Likewise the rest of the failure path, once per JVM, in the background.
      onProbeThread(GrpcTransport::warmUpProbe);
      CrashRehearsal.startOnce();
    }
  }

  /** Probes a loopback port that was just free, so that the refusal path has run once. */
  private static void warmUpProbe() {
    InetSocketAddress closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, ipv4Loopback())) {
      closed = new InetSocketAddress(ipv4Loopback(), s.getLocalPort());
    } catch (IOException e) {
      return; // only a warm-up
    }
    refusesConnections(closed);
  }

  /**
   * The port the server is bound to (the real one when the listen port was 0).
   *
   * @throws IllegalStateException before {@link #start}
   */
  public int port() {
    Server s = server;
    if (s == null) {
      throw new IllegalStateException("transport of " + self + " is not started");
    }
    return s.getPort();
  }

  /** The address the server is bound to: the listen host with the {@link #port()}. */
  public InetSocketAddress localAddress() {
    return new InetSocketAddress(listenAddress.getAddress(), port());
  }

  /**
   * Sets or changes where {@code peer} listens. A changed address closes the current stream and
   * dials the new address at once; frames still queued go there.
   *
   * @throws IllegalArgumentException if {@code peer} is not a peer or {@code address} is null or
   *     unresolved
   */
  public void setPeerAddress(NodeId peer, InetSocketAddress address) {
    OutboundLink link = link(peer);
    requireResolved(address, "address of " + peer);
    onLinkThread(() -> link.setAddress(address));
  }

  @Override
  public boolean send(NodeId to, byte[] frame) {
    OutboundLink link = links.get(to);
    if (link == null) {
      throw new IllegalArgumentException(self + " cannot send to " + to + "; its peers are "
          + peers);
    }
    if (frame == null) {
      throw new IllegalArgumentException("frame must not be null");
    }
    if (frame.length > settings.maxFrameBytes()) {
      throw new IllegalArgumentException("frame of " + frame.length + " bytes to " + to
          + " exceeds the maximum of " + settings.maxFrameBytes() + " (maxMessageBytes "
          + settings.maxMessageBytes() + " minus " + FRAME_OVERHEAD_BYTES + ")");
    }
    if (!started) {
      throw new IllegalStateException("transport of " + self + " was never started");
    }
    if (closed || !link.offer(frame)) {
      counters.framesRefused.increment();
      return false;
    }
    counters.framesQueued.increment();
    return true;
  }

  /**
   * Frames queued for {@code peer} and not yet written to a stream.
   *
   * @throws IllegalArgumentException if {@code peer} is not a peer
   */
  public int queuedFrames(NodeId peer) {
    return link(peer).queuedFrames();
  }

  /** A snapshot of this transport's counters. */
  public Stats stats() {
    Counters c = counters;
    return new Stats(c.framesQueued.sum(), c.framesRefused.sum(), c.framesSent.sum(),
        c.batchesSent.sum(), c.framesReceived.sum(), c.batchesReceived.sum(),
        c.streamsOpened.sum(), c.streamsEnded.sum(), c.inboundRejected.sum());
  }

  /**
   * Closes the outgoing stream to {@code peer} as a failure would, so that tests can check that
   * the link reconnects and keeps delivering. Frames in flight on it may be lost.
   */
  void resetStream(NodeId peer) {
    OutboundLink link = link(peer);
    onLinkThread(link::reset);
  }

  /**
   * Half-closes every outgoing stream, stops the server, and waits up to the close timeout
   * (default 5 s) for channels, server and the link thread to terminate, forcing them after that.
   * Queued frames are dropped. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long deadline = System.nanoTime() + settings.closeTimeoutNanos();
    Server s = server;
    if (s != null) {
      s.shutdownNow();
    }
    // Filled on the link thread; read here even if that thread overran the deadline.
    List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
    try {
      Future<?> f = linkThread.submit(() -> {
        for (OutboundLink link : links.values()) {
          ManagedChannel ch = link.close();
          if (ch != null) {
            channels.add(ch);
          }
        }
      });
      f.get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      LOG.log(Level.WARNING, "closing the links of " + self + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      for (ManagedChannel ch : channels) {
        if (!ch.awaitTermination(remaining(deadline), TimeUnit.NANOSECONDS)) {
          ch.shutdownNow();
        }
      }
      if (s != null && !s.awaitTermination(remaining(deadline), TimeUnit.NANOSECONDS)) {
        LOG.warning(() -> "server of " + self + " did not terminate within the close timeout");
      }
      linkThread.shutdownNow();
      probeThread.shutdownNow();
      if (!linkThread.awaitTermination(remaining(deadline), TimeUnit.NANOSECONDS)) {
        LOG.warning(() -> "link thread of " + self + " did not stop within the close timeout");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      linkThread.shutdownNow();
      probeThread.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "GrpcTransport[" + self + "#" + incarnation + (server == null ? "" : " @" + port())
        + (closed ? ", closed" : "") + "]";
  }

  // ---- plumbing shared with OutboundLink and InboundService ----

  Settings settings() {
    return settings;
  }

  Counters counters() {
    return counters;
  }

  boolean isClosed() {
    return closed;
  }

  boolean isStarted() {
    return started;
  }

  FrameHandler handler() {
    return handler;
  }

  ScheduledThreadPoolExecutor linkThread() {
    return linkThread;
  }

  /**
   * How long after a link failure its log records wait: past the view change the failure starts
   * (tens of ms on loopback), so that formatting and writing them does not compete with it for
   * the CPU (measured: several ms of CPU per record on the cold failure path, 2026-11-25).
   */
  static final long LOG_LATER_MILLIS = 250;

  /**
   * Logs {@code message} at {@code level} {@link #LOG_LATER_MILLIS} from now, on the link
   * thread; dropped if the transport closes first. For records about failures, whose timing
   * matters less than the failover they would slow down. Any thread.
   */
  void logLater(Level level, java.util.function.Supplier<String> message) {
    if (!LOG.isLoggable(level)) {
      return;
    }
    try {
      // A quiet transport schedules the task too, without writing it: its rehearsal then links
      // this lambda, which a real crash would otherwise do.
      linkThread.schedule(guarded(() -> {
        if (!quiet) {
          LOG.log(level, message);
        }
      }), LOG_LATER_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closedMeanwhile) {
      // closing: the record is dropped with the transport
    }
  }

  /** Runs {@code task} on the probe thread; false (not run) once the transport is closed. */
  boolean onProbeThread(Runnable task) {
    try {
      probeThread.execute(guarded(task));
      return true;
    } catch (RejectedExecutionException closedMeanwhile) {
      return false;
    }
  }

  /**
   * Whether a bare TCP connection to {@code address} is refused: true only on a refusal (nobody
   * listens there); false if it is accepted (and closed at once, before any byte is sent), times
   * out after {@link #PROBE_TIMEOUT_MILLIS}, or fails otherwise — none of which says the peer is
   * gone. Blocks; never on the link thread.
   */
  static boolean refusesConnections(InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(address, PROBE_TIMEOUT_MILLIS);
      return false;
    } catch (ConnectException refused) {
      return true;
    } catch (IOException | RuntimeException noEvidence) {
      return false;
    }
  }

  /**
   * Whether {@code address} refuses a connection now or after any of the given pauses: a probe
   * that is accepted is repeated after each pause, and only a refusal counts. Blocks for at most
   * the pauses plus one {@link #PROBE_TIMEOUT_MILLIS} per attempt; never on the link thread.
   */
  static boolean refusesConnectionsWithin(InetSocketAddress address, long[] pausesMillis) {
    if (refusesConnections(address)) {
      return true;
    }
    for (long pause : pausesMillis) {
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // closing
        return false;
      }
      if (refusesConnections(address)) {
        return true;
      }
    }
    return false;
  }

  /** Runs {@code task} on the link thread; dropped once the transport is closed. */
  void onLinkThread(Runnable task) {
    try {
      linkThread.execute(guarded(task));
    } catch (RejectedExecutionException closedMeanwhile) {
      // the transport is closing; nothing left to do
    }
  }

  /**
   * {@code task}, logging what it throws: an executor would otherwise swallow it silently and a
   * link would stall without a trace.
   */
  Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (Throwable t) {
        LOG.log(Level.SEVERE, "link thread of " + self + " failed; this is a bug", t);
        if (t instanceof Error e && !(t instanceof AssertionError)) {
          throw e;
        }
      }
    };
  }

  ManagedChannel newChannel(InetSocketAddress address) {
    return NettyChannelBuilder.forAddress(address, channelCredentials)
        .directExecutor()
        .maxInboundMessageSize(settings.maxMessageBytes())
        .flowControlWindow(settings.flowControlWindowBytes())
        .keepAliveTime(settings.keepAliveNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(settings.keepAliveTimeoutNanos(), TimeUnit.NANOSECONDS)
        .disableRetry()
        .build();
  }

  private OutboundLink link(NodeId peer) {
    OutboundLink link = links.get(peer);
    if (link == null) {
      throw new IllegalArgumentException(peer + " is not a peer of " + self + "; its peers are "
          + peers);
    }
    return link;
  }

  private static InetAddress ipv4Loopback() {
    try {
      return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
    } catch (java.net.UnknownHostException impossible) {
      throw new AssertionError(impossible);
    }
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  private static void requireResolved(InetSocketAddress address, String what) {
    if (address == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (address.isUnresolved()) {
      throw new IllegalArgumentException(what + " " + address + " is unresolved; resolve it first "
          + "(the transport never looks names up)");
    }
  }

  /**
   * Builds a {@link GrpcTransport}. Every setting has a default except the members; {@link
   * #build} validates them together.
   */
  public static final class Builder {
    private final NodeId self;
    private long incarnation = 1;
    private InetSocketAddress listen = new InetSocketAddress(IPV4_LOOPBACK, 0);
    private final Map<NodeId, InetSocketAddress> peers = new TreeMap<>();
    private int maxMessageBytes = 16 * 1024 * 1024;
    private int maxBatchBytes = 1024 * 1024;
    private int maxQueuedFrames = 65_536;
    private long maxQueuedBytes = 64L * 1024 * 1024;
    private Duration reconnectInitial = Duration.ofMillis(20);
    private Duration reconnectMax = Duration.ofSeconds(2);
    private Duration keepAlive = Duration.ofSeconds(10);
    private Duration keepAliveTimeout = Duration.ofSeconds(5);
    private int flowControlWindowBytes = NettyServerBuilder.DEFAULT_FLOW_CONTROL_WINDOW;
    private Duration closeTimeout = Duration.ofSeconds(5);
    private TlsConfig tls;
    private boolean quiet;

    private Builder(NodeId self) {
      if (self == null) {
        throw new IllegalArgumentException("self must not be null");
      }
      this.self = self;
    }

    /**
     * This member's incarnation (default 1), sent with every frame. A restarted member should
     * use a larger one: receivers refuse streams from an incarnation older than one they have
     * seen.
     */
    public Builder incarnation(long incarnation) {
      if (incarnation < 0) {
        throw new IllegalArgumentException("incarnation must be >= 0, got " + incarnation);
      }
      this.incarnation = incarnation;
      return this;
    }

    /** Where the server listens (default 127.0.0.1 port 0: any free port on the loopback). */
    public Builder listen(InetSocketAddress address) {
      requireResolved(address, "listen address");
      this.listen = address;
      return this;
    }

    /** Adds a peer whose address is known. */
    public Builder peer(NodeId id, InetSocketAddress address) {
      requireResolved(address, "address of peer " + id);
      addPeer(id, address);
      return this;
    }

    /** Adds a peer whose address will be given later by {@link GrpcTransport#setPeerAddress}. */
    public Builder peer(NodeId id) {
      addPeer(id, null);
      return this;
    }

    private void addPeer(NodeId id, InetSocketAddress address) {
      if (id == null) {
        throw new IllegalArgumentException("peer id must not be null");
      }
      if (id.equals(self)) {
        throw new IllegalArgumentException("peer " + id + " is this member itself");
      }
      if (peers.containsKey(id)) {
        throw new IllegalArgumentException("peer " + id + " was already added (address "
            + peers.get(id) + ")");
      }
      peers.put(id, address);
    }

    /**
     * The largest gRPC message accepted, in bytes (default 16 MiB, at least 4 KiB). Inbound
     * messages above it are refused with {@code RESOURCE_EXHAUSTED}; a single frame may be at
     * most this minus {@value GrpcTransport#FRAME_OVERHEAD_BYTES}. All members should agree.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("maxMessageBytes must be >= 4096, got " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * How many bytes of frames one batch carries at most (default 1 MiB); a single larger frame
     * travels alone. Must not exceed {@code maxMessageBytes} minus {@value
     * GrpcTransport#FRAME_OVERHEAD_BYTES}.
     */
    public Builder maxBatchBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBatchBytes must be >= 1, got " + bytes);
      }
      this.maxBatchBytes = bytes;
      return this;
    }

    /** Bound of each peer's outgoing queue in frames (default 65,536). */
    public Builder maxQueuedFrames(int frames) {
      if (frames < 1) {
        throw new IllegalArgumentException("maxQueuedFrames must be >= 1, got " + frames);
      }
      this.maxQueuedFrames = frames;
      return this;
    }

    /** Bound of each peer's outgoing queue in bytes (default 64 MiB). */
    public Builder maxQueuedBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxQueuedBytes must be >= 1, got " + bytes);
      }
      this.maxQueuedBytes = bytes;
      return this;
    }

    /** First and largest delay before a failed stream is reopened (default 20 ms and 2 s). */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      if (initial == null || max == null || initial.isNegative() || initial.isZero()
          || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("reconnect backoff needs 0 < initial <= max, got "
            + initial + " and " + max);
      }
      this.reconnectInitial = initial;
      this.reconnectMax = max;
      return this;
    }

    /**
     * How often an idle connection is pinged, and how long a ping may go unanswered before the
     * connection counts as broken (default 10 s and 5 s). This is what detects a peer that
     * vanished without closing its connection.
     */
    public Builder keepAlive(Duration interval, Duration timeout) {
      if (interval == null || timeout == null || interval.compareTo(Duration.ofSeconds(1)) < 0
          || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("keep-alive needs interval >= 1 s and timeout > 0, got "
            + interval + " and " + timeout);
      }
      this.keepAlive = interval;
      this.keepAliveTimeout = timeout;
      return this;
    }

    /** HTTP/2 flow-control window per stream, in bytes (default Netty's 1 MiB). */
    public Builder flowControlWindowBytes(int bytes) {
      if (bytes < 65_535) {
        throw new IllegalArgumentException("flowControlWindowBytes must be >= 65535, got "
            + bytes);
      }
      this.flowControlWindowBytes = bytes;
      return this;
    }

    /** How long {@link GrpcTransport#close} waits before forcing things (default 5 s). */
    public Builder closeTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must be >= 0, got " + timeout);
      }
      this.closeTimeout = timeout;
      return this;
    }

    /** TLS for server and channels; {@code null} (the default) is plaintext. */
    public Builder tls(TlsConfig tls) {
      this.tls = tls;
      return this;
    }

    /** A throwaway transport of this package ({@link CrashRehearsal}): no log records. */
    Builder quiet() {
      this.quiet = true;
      return this;
    }

    /**
     * Builds the transport. Binds nothing and starts no thread; {@link GrpcTransport#start}
     * does.
     *
     * @throws IllegalArgumentException if there is no peer, or {@code maxBatchBytes} exceeds
     *     what a message can hold
     */
    public GrpcTransport build() {
      if (peers.isEmpty()) {
        throw new IllegalArgumentException("transport of " + self + " needs at least one peer");
      }
      if (maxBatchBytes > maxMessageBytes - FRAME_OVERHEAD_BYTES) {
        throw new IllegalArgumentException("maxBatchBytes " + maxBatchBytes
            + " exceeds maxMessageBytes " + maxMessageBytes + " minus " + FRAME_OVERHEAD_BYTES
            + " bytes of frame overhead");
      }
      return new GrpcTransport(this);
    }
  }
}
