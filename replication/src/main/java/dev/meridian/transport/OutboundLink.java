package dev.meridian.transport;

import com.google.protobuf.UnsafeByteOperations;
import dev.meridian.NodeId;
import dev.meridian.proto.v1.LinkFrame;
import dev.meridian.proto.v1.MemberLinkGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

/**
 * The outgoing half of the link from one member to one peer: a bounded queue, the channel to the
 * peer, and at most one open {@code Exchange} stream.
 *
 * <p>Threading: {@link #offer} and {@link #queuedFrames} are thread-safe and lock-free. Everything
 * else — every field below the queue, and every call on the stream — is confined to the owning
 * transport's link thread; gRPC callbacks only post tasks to it.
 */
final class OutboundLink {
  /** Batches one drain may write before it yields the link thread to other peers. */
  private static final int MAX_BATCHES_PER_DRAIN = 16;

  /**
   * Pauses between listener probes of a broken stream's peer. A dying process's kernel may close
   * the stream's connection before its listening socket, which meanwhile still completes
   * handshakes: a probe that is accepted is repeated a few times before it counts as "alive".
   */
  private static final long[] PROBE_RETRY_DELAYS_MILLIS = {5, 20};

  /** Trailer by which a receiver tells a sender the epoch its next stream must exceed. */
  static final Metadata.Key<String> EPOCH_FLOOR_KEY =
      Metadata.Key.of("meridian-stream-epoch-floor", Metadata.ASCII_STRING_MARSHALLER);

  private final GrpcTransport owner;
  private final GrpcTransport.Settings settings;
  private final NodeId peer;
  private final String selfId;

  // ---- thread-safe: the queue ----
  private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedFrames = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  /** Whether "looks gone" was logged at INFO since the link was last up (once per outage). */
  private final AtomicBoolean goneLogged = new AtomicBoolean();
  private final Runnable drainTask = this::scheduledDrain;

  // ---- link thread only (address is also read, racily, by gRPC callbacks) ----
  private volatile InetSocketAddress address;
  private ManagedChannel channel;
  private MemberLinkGrpc.MemberLinkStub stub;
  private Stream current;
  private ScheduledFuture<?> reconnectTimer;
  private int failures; // drives the backoff; a refused probe jumps it to the longest
  private int attemptsSinceUp; // dials in a row without a stream becoming ready: for the warning
  private long lastEpoch;
  private long epochFloor;
  private boolean closed;
  private byte[][] batch = new byte[64][];

  /** One outgoing stream; identity matters: callbacks for a replaced stream are ignored. */
  private static final class Stream {
    final long epoch;
    ClientCallStreamObserver<LinkFrame> requests;
    // 0 until gRPC first reports the stream ready. Written on the link thread; volatile because a
    // gRPC callback reads it to decide whether a broken stream calls for a probe.
    volatile long readyAtNanos;
    boolean probeOwnsReconnect; // a listener probe runs for this broken stream; it dials again
    volatile boolean endedByUs; // reset, re-addressed or closed here: its end says nothing

    Stream(long epoch) {
      this.epoch = epoch;
    }
  }

  OutboundLink(GrpcTransport owner, NodeId peer, InetSocketAddress address, long epochBase) {
    this.owner = owner;
    this.settings = owner.settings();
    this.peer = peer;
    this.selfId = owner.self().value();
    this.address = address;
    this.lastEpoch = epochBase - 1;
  }

  /** Queues a frame unless the queue is full; any thread. */
  boolean offer(byte[] frame) {
    if (queuedBytes.addAndGet(frame.length) > settings.maxQueuedBytes()) {
      queuedBytes.addAndGet(-frame.length);
      return false;
    }
    if (queuedFrames.incrementAndGet() > settings.maxQueuedFrames()) {
      queuedFrames.decrementAndGet();
      queuedBytes.addAndGet(-frame.length);
      return false;
    }
    queue.offer(frame);
    scheduleDrain();
    return true;
  }

  int queuedFrames() {
    return queuedFrames.get();
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      owner.onLinkThread(drainTask);
    }
  }

  private void scheduledDrain() {
    // Cleared before draining: a frame offered from now on schedules the next drain itself.
    drainScheduled.set(false);
    drain();
  }

  /** Opens a stream if none is open and the peer's address is known. Link thread. */
  void connect() {
    if (closed || owner.isClosed() || !owner.isStarted() || current != null || address == null) {
      return;
    }
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
      reconnectTimer = null;
    }
    if (channel == null) {
      try {
        channel = owner.newChannel(address);
      } catch (RuntimeException e) {
        GrpcTransport.LOG.log(Level.WARNING, "cannot create a channel to " + peer + " at "
            + address, e);
        scheduleReconnect(Status.UNAVAILABLE.withDescription("no channel: " + e), 0);
        return;
      }
      stub = MemberLinkGrpc.newStub(channel);
    } else if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      // Our own backoff decides when to try again, not the channel's (which grows to 2 min).
      channel.resetConnectBackoff();
    }
    lastEpoch = Math.max(lastEpoch + 1, epochFloor + 1);
    Stream s = new Stream(lastEpoch);
    current = s;
    owner.counters().streamsOpened.increment();
    stub.exchange(new ClientResponseObserver<LinkFrame, LinkFrame>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<LinkFrame> requests) {
        s.requests = requests;
        requests.setOnReadyHandler(() -> owner.onLinkThread(() -> onReady(s)));
      }

      @Override
      public void onNext(LinkFrame ignored) {
        // The receiving side never answers on this stream.
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        Metadata trailers = Status.trailersFromThrowable(t);
        endedOnGrpcThread(s, status, trailers);
      }

      @Override
      public void onCompleted() {
        endedOnGrpcThread(s, Status.UNAVAILABLE.withDescription("the peer ended the stream"),
            null);
      }
    });
  }

  private boolean everReady; // a stream to the peer was up at least once. Link thread.

  private void onReady(Stream s) {
    if (s != current) {
      return;
    }
    if (s.readyAtNanos == 0) {
      s.readyAtNanos = System.nanoTime();
      everReady = true;
      attemptsSinceUp = 0;
      goneLogged.set(false);
      if (failures > 0) {
        GrpcTransport.LOG.info(() -> "link " + selfId + " -> " + peer + " is up again at "
            + address + " (stream epoch " + s.epoch + ")");
      }
    }
    drain();
  }

  /** Writes queued frames as batches while the stream is ready. Link thread. */
  private void drain() {
    Stream s = current;
    if (s == null || s.requests == null) {
      return; // connect() or onReady() drains once a stream is up
    }
    int batches = 0;
    while (s.requests.isReady()) {
      if (batches == MAX_BATCHES_PER_DRAIN) {
        scheduleDrain(); // let other peers' drains run first
        return;
      }
      int count = 0;
      int packedBytes = 0;
      long frameBytes = 0;
      for (byte[] next = queue.peek(); next != null; next = queue.peek()) {
        int size = EnvelopePacking.packedSize(next);
        if (count > 0 && packedBytes + size > settings.maxBatchBytes()) {
          break;
        }
        queue.poll();
        if (count == batch.length) {
          batch = Arrays.copyOf(batch, count * 2);
        }
        batch[count++] = next;
        packedBytes += size;
        frameBytes += next.length;
      }
      if (count == 0) {
        return;
      }
      queuedFrames.addAndGet(-count);
      queuedBytes.addAndGet(-frameBytes);
      byte[] packed = EnvelopePacking.pack(batch, count, packedBytes);
      Arrays.fill(batch, 0, count, null);
      LinkFrame frame = LinkFrame.newBuilder()
          .setFromNode(selfId)
          .setFromIncarnation(owner.incarnation())
          .setStreamEpoch(s.epoch)
          .setPackedEnvelopes(UnsafeByteOperations.unsafeWrap(packed))
          .build();
      try {
        s.requests.onNext(frame);
      } catch (RuntimeException e) {
        // The call ended under us; its end callback is on its way and will reconnect.
        GrpcTransport.LOG.log(Level.FINE, "write to " + peer + " failed; batch lost", e);
        return;
      }
      owner.counters().framesSent.add(count);
      owner.counters().batchesSent.increment();
      batches++;
    }
  }

  private void ended(Stream s, Status status, Metadata trailers) {
    if (s != current) {
      return;
    }
    current = null;
    owner.counters().streamsEnded.increment();
    if (closed || owner.isClosed()) {
      return;
    }
    if (trailers != null && status.getCode() == Status.Code.ABORTED) {
      String floor = trailers.get(EPOCH_FLOOR_KEY);
      if (floor != null) {
        try {
          long f = Long.parseLong(floor);
          if (f > 0 && f < Long.MAX_VALUE / 2) { // a peer that sends nonsense gets no say
            epochFloor = Math.max(epochFloor, f);
          }
        } catch (NumberFormatException ignored) {
          // likewise
        }
      }
    }
    if (s.readyAtNanos != 0
        && System.nanoTime() - s.readyAtNanos >= settings.reconnectMaxNanos()) {
      failures = 0; // it had been healthy for a while: a fresh failure, so start fast again
    }
    if (s.probeOwnsReconnect) {
      return; // the probe's verdict, which follows this on the link thread, dials again
    }
    // A reconnection refused after the link had been up: the peer's process is gone (at
    // start-up the port is closed only because the peer is not running yet: no hint then).
    if (everReady && s.readyAtNanos == 0 && status.getCode() == Status.Code.UNAVAILABLE) {
      peerLooksGone("connection refused after it had been up (" + status.getDescription() + ")");
    }
    scheduleReconnect(status, s.epoch);
  }

  /**
   * A stream's end as gRPC reports it, on a gRPC thread. If the stream had been up and broke
   * (its connection closed or reset), the peer's address is probed at once, from here: the link
   * thread may be busy for milliseconds (a reconnection elsewhere), and failover time is what
   * this probe is for.
   */
  private void endedOnGrpcThread(Stream s, Status status, Metadata trailers) {
    // UNAVAILABLE: the connection closed or reset; CANCELLED not by us: the peer's server reset
    // the stream, as it does when it shuts down.
    boolean probe = s.readyAtNanos != 0 && !s.endedByUs && !owner.isClosed() && address != null
        && (status.getCode() == Status.Code.UNAVAILABLE
            || status.getCode() == Status.Code.CANCELLED);
    if (!probe) {
      owner.onLinkThread(() -> ended(s, status, trailers));
      return;
    }
    InetSocketAddress target = address; // a stale address (just moved) only wastes the probe
    owner.onLinkThread(() -> {
      s.probeOwnsReconnect = true; // before ended(): it leaves the next dial to the probe
      ended(s, status, trailers);
    });
    boolean submitted = owner.onProbeThread(() -> {
      boolean refused = GrpcTransport.refusesConnectionsWithin(target, PROBE_RETRY_DELAYS_MILLIS);
      if (refused) {
        // Straight from this thread: nothing on the link can have come back meanwhile, since
        // the link dials again only after this verdict.
        peerLooksGone(target, "its stream broke and its port refuses connections");
      }
      owner.onLinkThread(() -> afterProbe(s, refused, status));
    });
    if (!submitted) {
      owner.onLinkThread(() -> afterProbe(s, false, status)); // closing; dial as usual
    }
  }

  /**
   * Dials again after a probe: at the longest backoff if nobody listens there (dialling sooner
   * would only keep this thread busy while the group reconfigures), else at once. Link thread.
   */
  private void afterProbe(Stream s, boolean refused, Status status) {
    if (!s.probeOwnsReconnect) {
      return; // ended() took its usual course (the stream had been replaced), or done already
    }
    s.probeOwnsReconnect = false;
    if (closed || owner.isClosed() || current != null || reconnectTimer != null) {
      return;
    }
    if (refused) {
      while (backoffBaseNanos(failures) < settings.reconnectMaxNanos()) {
        failures++;
      }
    }
    scheduleReconnect(status, s.epoch);
  }

  private void peerLooksGone(String why) {
    peerLooksGone(address, why);
  }

  /** Tells the handler the peer looks gone. Any thread the transport owns. */
  private void peerLooksGone(InetSocketAddress at, String why) {
    Transport.FrameHandler handler = owner.handler();
    if (handler != null) {
      // The hint now, the log record later: formatting and writing one takes milliseconds of
      // CPU on a failure path that runs cold, and on a small machine that CPU is taken from the
      // view change the hint starts.
      // The hint goes out at every refused dial (cheap, and a runtime may have missed one); the
      // INFO record once per outage, not at every redial for as long as the peer stays down.
      handler.onPeerUnreachable(peer);
      Level level = goneLogged.compareAndSet(false, true) ? Level.INFO : Level.FINE;
      owner.logLater(level, () -> "link " + selfId + " -> " + peer + " at " + at + ": "
          + why + "; told the runtime the peer looks gone");
    }
  }

  /** Dials again after the backoff that the number of failures in a row calls for. */
  private void scheduleReconnect(Status status, long epoch) {
    long delay = backoffNanos(failures);
    failures++;
    attemptsSinceUp++;
    // A stream ending once is routine (a peer restarting or shutting down); a peer that stays
    // unreachable through ten attempts in a row (seconds of backoff) is worth a warning. Counted
    // apart from the backoff's failures, which a refused probe sets to the longest at once: the
    // warning came at every crash, written by this thread while the view change needed it.
    if (attemptsSinceUp == 10 || GrpcTransport.LOG.isLoggable(Level.FINE)) {
      Level level = attemptsSinceUp == 10 ? Level.WARNING : Level.FINE;
      String what = "link " + selfId + " -> " + peer + " at " + address
          + (epoch == 0 ? "" : ": stream epoch " + epoch) + " ended with " + status.getCode()
          + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")")
          + "; reconnecting in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms (attempt "
          + attemptsSinceUp + ")";
      GrpcTransport.LOG.log(level, what);
    }
    reconnectTimer = owner.linkThread().schedule(owner.guarded(this::connect), delay,
        TimeUnit.NANOSECONDS);
  }

  private long backoffNanos(int attempt) {
    long d = backoffBaseNanos(attempt);
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Math.max(1, (long) (d * jitter));
  }

  /** The backoff before {@code attempt}, without jitter: doubling from the initial to the max. */
  private long backoffBaseNanos(int attempt) {
    long d = settings.reconnectInitialNanos();
    for (int i = 0; i < attempt && d < settings.reconnectMaxNanos(); i++) {
      d *= 2;
    }
    return Math.min(d, settings.reconnectMaxNanos());
  }

  /** Ends the current stream as a failure would. Link thread. */
  void reset() {
    Stream s = current;
    if (s == null) {
      return;
    }
    s.endedByUs = true;
    s.requests.cancel("stream reset on request", null);
    ended(s, Status.CANCELLED.withDescription("stream reset on request"), null);
  }

  /** Points the link at a new address: drops the old channel and dials at once. Link thread. */
  void setAddress(InetSocketAddress newAddress) {
    if (closed || newAddress.equals(address)) {
      return;
    }
    InetSocketAddress old = address;
    address = newAddress;
    Stream s = current;
    current = null;
    if (s != null) {
      s.endedByUs = true;
      s.requests.cancel("peer address changed from " + old + " to " + newAddress, null);
    }
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
      stub = null;
    }
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
      reconnectTimer = null;
    }
    failures = 0;
    attemptsSinceUp = 0;
    goneLogged.set(false);
    connect();
  }

  /**
   * Half-closes the stream, shuts the channel down and drops what is queued. Link thread.
   *
   * @return the channel to await, or null
   */
  ManagedChannel close() {
    closed = true;
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
      reconnectTimer = null;
    }
    Stream s = current;
    current = null;
    if (s != null) {
      s.endedByUs = true;
      try {
        s.requests.onCompleted();
      } catch (RuntimeException alreadyEnded) {
        // nothing to half-close
      }
    }
    queue.clear();
    queuedFrames.set(0);
    queuedBytes.set(0);
    ManagedChannel ch = channel;
    channel = null;
    stub = null;
    if (ch != null) {
      ch.shutdown();
    }
    return ch;
  }
}
