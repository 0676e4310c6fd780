package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.PeerUnreachable;
import dev.meridian.transport.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The single-threaded shell that drives one {@link ProtocolCore} from real time and a real
 * {@link Transport}.
 *
 * <pre>{@code
 * NodeRuntime<Msg> node = NodeRuntime.<Msg>builder()
 *     .core(new MyCore(...))
 *     .transport(transport)               // owned by the runtime from now on
 *     .codec(new MyCodec())
 *     .onDeliver(value -> app.apply(value))
 *     .build();
 * node.start();                           // Event.Start, then frames and timers flow
 * node.submit(request).join();            // Event.Request; completes once the core handled it
 * node.close();
 * }</pre>
 *
 * <h2>Threading contract</h2>
 *
 * <ul>
 *   <li>One <em>core thread</em> ({@code meridian-node-<id>}) owns the core: every {@link
 *       ProtocolCore#handle} call, and every effect, happens on it, one event at a time. The core
 *       needs no locks.
 *   <li>Inputs reach the core thread through queues: frames from the transport (decoded there with
 *       the {@link WireCodec}), timers, and {@link #submit} from any thread.
 *   <li>Queued requests and frames are handled in <em>turns</em> of up to 256 of each, after which
 *       the runtime calls {@link ProtocolCore#flush}: under load, everything a turn sends to one
 *       peer can leave in one frame. A timer firing, and a message to itself, are turns too.
 *   <li>The delivery listener ({@link Builder#onDeliver}) runs on the core thread, in the order the
 *       core emitted deliveries. It <b>must not block</b>: the whole node waits while it runs. An
 *       exception from it is logged and counted; the node carries on.
 *   <li>The futures of {@link #submit} are completed on the core thread, so dependent stages
 *       without an executor ({@code thenRun} …) run there too and must not block either; use the
 *       {@code …Async} variants for anything slow.
 * </ul>
 *
 * <h2>Time</h2>
 *
 * Every event carries {@link Now}: wall time from {@link Instant#now()} in nanoseconds since the
 * epoch, monotonic time from {@link System#nanoTime()}. Timers ({@link Effect.SetTimer}) are
 * measured on the monotonic clock. These are the only clock readings in a node; cores read none.
 *
 * <h2>Failures</h2>
 *
 * <ul>
 *   <li>A frame that does not decode (the codec throws) is counted in {@link
 *       Stats#framesUndecodable} and dropped; the node carries on.
 *   <li>A frame that arrives while {@link Builder#maxPendingFrames} frames already wait for the
 *       core thread is dropped and counted: bounded memory under overload. Likewise a {@link
 *       Effect.Send} the transport refuses because the peer's queue is full. Both are losses the
 *       core's reliable links repair by retransmission.
 *   <li>A {@link Effect.Send} to this node itself is handed back to the core as a message, through
 *       the queue (never re-entrantly), without encoding.
 *   <li>A core that throws has broken its own invariants, so the node <em>fails stop</em>: the
 *       transport is closed, timers and queued inputs are dropped, pending and later {@link
 *       #submit}s fail, and {@link #failure()} returns the cause. Restarting means a new core — a
 *       new incarnation — in a new runtime.
 * </ul>
 *
 * @param <M> the protocol's message type
 */
public final class NodeRuntime<M> implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeRuntime.class.getName());
  /** The widest gap between the two monotonic reads around a wall-clock read that is accepted. */
  private static final long MAX_CLOCK_READ_SPREAD_NANOS = 20_000;
  /**
   * How far a {@link Now}'s wall reading may be from the wall clock at its monotonic reading: the
   * wall clock is read somewhere between two monotonic reads at most {@link
   * #MAX_CLOCK_READ_SPREAD_NANOS} apart, and stamped with their midpoint (plus 1 µs for the wall
   * clock's own resolution). A reference adds it to the error it vouches for.
   */
  static final long CLOCK_PAIRING_ERROR_NANOS = MAX_CLOCK_READ_SPREAD_NANOS / 2 + 1_000;
  /** Requests, and separately frames, handled per turn before timers get a turn. */
  private static final int MAX_INPUTS_PER_TURN = 256;

  private final NodeId self;
  private final ProtocolCore<M> core;
  private final Transport transport;
  private final WireCodec<M> codec;
  private final Consumer<Object> onDeliver;
  private final Consumer<Object> onDroppedRequest;
  private final int maxPendingFrames;
  private final boolean messagesAtArrival;
  private final long closeTimeoutNanos;
  private final ScheduledThreadPoolExecutor coreExecutor;
  private volatile Thread coreThread;

  // inbound frames: bounded, drained in batches on the core thread
  /** A frame and the monotonic time it arrived at. */
  private record Inbound(NodeId from, byte[] frame, long arrivedNanos) {}

  private final ConcurrentLinkedQueue<Inbound> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inboxSize = new AtomicInteger();

  // requests from the application, unbounded here: the layer above bounds what it has in flight;
  // done is null for requests given to offer()
  private record PendingRequest(Object request, CompletableFuture<Void> done) {}

  private final ConcurrentLinkedQueue<PendingRequest> requests = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean turnScheduled = new AtomicBoolean();
  private final Runnable turn = this::runTurn;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Throwable failure;

  // core thread only
  private final Map<String, ScheduledFuture<?>> timers = new HashMap<>();

  // counters
  private final LongAdder eventsHandled = new LongAdder();
  private final LongAdder framesReceived = new LongAdder();
  private final LongAdder framesDroppedInboxFull = new LongAdder();
  private final LongAdder framesUndecodable = new LongAdder();
  private final LongAdder framesSent = new LongAdder();
  private final LongAdder sendsRefused = new LongAdder();
  private final LongAdder sendsFailed = new LongAdder();
  private final LongAdder deliveries = new LongAdder();
  private final LongAdder listenerFailures = new LongAdder();
  private final LongAdder timersFired = new LongAdder();

  /**
   * A snapshot of a runtime's counters.
   *
   * @param eventsHandled events the core handled (start, messages, timers, requests)
   * @param framesReceived frames the transport handed up
   * @param framesDroppedInboxFull frames dropped because too many were waiting for the core
   * @param framesUndecodable frames dropped because the codec rejected them
   * @param framesSent frames the transport accepted
   * @param sendsRefused sends dropped because the transport's queue for the peer was full
   * @param sendsFailed sends dropped because encoding or the transport threw
   * @param deliveries values handed to the delivery listener
   * @param listenerFailures deliveries on which the listener threw
   * @param timersFired timers that fired
   */
  public record Stats(long eventsHandled, long framesReceived, long framesDroppedInboxFull,
      long framesUndecodable, long framesSent, long sendsRefused, long sendsFailed,
      long deliveries, long listenerFailures, long timersFired) {}

  private NodeRuntime(Builder<M> b) {
    this.core = b.core;
    this.transport = b.transport;
    this.self = b.transport.self();
    this.codec = b.codec;
    this.onDeliver = b.onDeliver;
    this.onDroppedRequest = b.onDroppedRequest;
    this.maxPendingFrames = b.maxPendingFrames;
    this.messagesAtArrival = b.messagesAtArrival;
    this.closeTimeoutNanos = b.closeTimeout.toNanos();
    this.coreExecutor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "meridian-node-" + self);
      t.setDaemon(true);
      coreThread = t;
      return t;
    });
    coreExecutor.setRemoveOnCancelPolicy(true); // timers reset often; don't let them pile up
    coreExecutor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    // Loaded now rather than by the transport's first hint that a peer crashed, when an idle
    // member has queued no request yet and the class load would add to failover time.
    new PendingRequest(null, null);
  }

  /** A builder; core, transport and codec are required. */
  public static <M> Builder<M> builder() {
    return new Builder<>();
  }

  /** This node's id (the transport's). */
  public NodeId self() {
    return self;
  }

  /**
   * Starts the transport and hands the core its {@link Event.Start}.
   *
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("runtime of " + self + " is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("runtime of " + self + " was already started");
    }
    // On the core thread, transport first: the Start event's own sends need a started transport,
    // and a frame that arrives meanwhile queues a turn behind this task, so Start comes first.
    Future<?> starting = coreExecutor.submit(() -> {
      transport.start(new Transport.FrameHandler() {
        @Override
        public void onFrame(NodeId from, byte[] frame) {
          NodeRuntime.this.onFrame(from, frame);
        }

        @Override
        public void onPeerUnreachable(NodeId peer) {
          offer(new PeerUnreachable(peer)); // dropped when the queue is full: only a hint
        }
      });
      handle(new Event.Start<>(now()));
      flushTurn();
    });
    try {
      starting.get();
    } catch (ExecutionException e) {
      close();
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("starting " + self + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while starting " + self, e);
    }
  }

  /**
   * Hands {@code request} to the core as an {@link Event.Request}, on the core thread.
   *
   * @return a future completed (on the core thread) once the core has handled the request and its
   *     effects have been carried out; completed exceptionally if the runtime is or gets closed or
   *     failed before that
   * @throws IllegalArgumentException if {@code request} is null
   * @throws IllegalStateException if the runtime was never started
   */
  public CompletableFuture<Void> submit(Object request) {
    if (request == null) {
      throw new IllegalArgumentException("request must not be null");
    }
    if (!started.get()) {
      throw new IllegalStateException("runtime of " + self + " was never started");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed.get() || failure != null) {
      done.completeExceptionally(stoppedException());
      return done;
    }
    requests.offer(new PendingRequest(request, done));
    if (closed.get() || failure != null) {
      failQueuedRequests(); // closed meanwhile: nobody else may ever drain the queue
    } else {
      scheduleTurn();
    }
    return done;
  }

  /**
   * Hands {@code request} to the core like {@link #submit}, without a future: for callers that
   * learn the outcome from the core's own deliveries. A request accepted here is either handled by
   * the core or, if the runtime closes or fails first (or the core fails on this very request),
   * handed to {@link Builder#onDroppedRequest}.
   *
   * @return false, queuing nothing, if the runtime is already closed or failed
   * @throws IllegalArgumentException if {@code request} is null
   * @throws IllegalStateException if the runtime was never started
   */
  public boolean offer(Object request) {
    if (request == null) {
      throw new IllegalArgumentException("request must not be null");
    }
    if (!started.get()) {
      throw new IllegalStateException("runtime of " + self + " was never started");
    }
    if (closed.get() || failure != null) {
      return false;
    }
    requests.offer(new PendingRequest(request, null));
    if (closed.get() || failure != null) {
      failQueuedRequests();
    } else {
      scheduleTurn();
    }
    return true;
  }

  /** Whether the caller runs on this runtime's core thread (in a listener or a future's stage). */
  public boolean onCoreThread() {
    return Thread.currentThread() == coreThread;
  }

  /** Why the node failed stop, if it did: what its core threw. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** Whether the runtime was started and is neither closed nor failed. */
  public boolean isRunning() {
    return started.get() && !closed.get() && failure == null;
  }

  /** A snapshot of this runtime's counters. */
  public Stats stats() {
    return new Stats(eventsHandled.sum(), framesReceived.sum(), framesDroppedInboxFull.sum(),
        framesUndecodable.sum(), framesSent.sum(), sendsRefused.sum(), sendsFailed.sum(),
        deliveries.sum(), listenerFailures.sum(), timersFired.sum());
  }

  /**
   * Closes the transport, cancels timers, drops queued inputs, fails pending {@link #submit}s and
   * stops the core thread, waiting for it up to the close timeout (default 5 s) unless called on
   * the core thread itself (from the delivery listener), where it returns at once. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      transport.close();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "closing the transport of " + self + " failed", e);
    }
    coreExecutor.shutdownNow();
    if (Thread.currentThread() != coreThread) {
      try {
        if (!coreExecutor.awaitTermination(closeTimeoutNanos, TimeUnit.NANOSECONDS)) {
          LOG.warning(() -> "core thread of " + self + " did not stop within the close timeout "
              + "(is the delivery listener blocking?)");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    failQueuedRequests();
    inbox.clear();
  }

  @Override
  public String toString() {
    return "NodeRuntime[" + self + (failure != null ? ", failed" : closed.get() ? ", closed" : "")
        + "]";
  }

  // ---- inputs ----

  /** The transport's handler: any transport thread; never blocks. */
  private void onFrame(NodeId from, byte[] frame) {
    if (closed.get() || failure != null) {
      return;
    }
    framesReceived.increment();
    if (inboxSize.incrementAndGet() > maxPendingFrames) {
      inboxSize.decrementAndGet();
      framesDroppedInboxFull.increment();
      return;
    }
    inbox.offer(new Inbound(from, frame, System.nanoTime()));
    scheduleTurn();
  }

  private void scheduleTurn() {
    if (turnScheduled.compareAndSet(false, true)) {
      try {
        coreExecutor.execute(turn);
      } catch (RejectedExecutionException closedMeanwhile) {
        // closing: queued inputs are dropped or failed by close()
      }
    }
  }

  /**
   * Core thread: one turn — up to {@link #MAX_INPUTS_PER_TURN} requests and as many frames, then
   * {@link ProtocolCore#flush}, so that everything the turn queued for a peer leaves in one frame.
   * Timers get their turns in between.
   */
  private void runTurn() {
    turnScheduled.set(false);
    List<CompletableFuture<Void>> handled = new ArrayList<>();
    // One clock reading for the turn: its events are handled within well under a millisecond,
    // and reading both clocks for each of hundreds of events was a measurable cost.
    Now now = now();
    for (int i = 0; i < MAX_INPUTS_PER_TURN; i++) {
      PendingRequest r = requests.poll();
      if (r == null) {
        break;
      }
      if (!handle(new Event.Request<>(r.request(), now))) {
        dropped(r);
        failQueuedRequests();
        failFutures(handled);
        return;
      }
      if (r.done() != null) {
        handled.add(r.done());
      }
    }
    for (int i = 0; i < MAX_INPUTS_PER_TURN; i++) {
      Inbound in = inbox.poll();
      if (in == null) {
        break;
      }
      inboxSize.decrementAndGet();
      now = notBefore(now, in);
      M message = decode(in);
      if (message != null
          && !handle(new Event.Message<>(in.from(), message, readingFor(now, in)))) {
        failFutures(handled);
        return;
      }
    }
    if (!flushTurn()) {
      failFutures(handled);
      return;
    }
    // Completed after the flush: "handled" includes carrying out the effects the turn held back.
    for (CompletableFuture<Void> f : handled) {
      f.complete(null);
    }
    if (!requests.isEmpty() || !inbox.isEmpty()) {
      scheduleTurn();
    }
  }

  private void failFutures(List<CompletableFuture<Void>> futures) {
    for (CompletableFuture<Void> f : futures) {
      f.completeExceptionally(stoppedException());
    }
  }

  /** Decodes a frame; null (counted, logged sparingly) if the codec refuses it. */
  private M decode(Inbound in) {
    try {
      M message = codec.decode(in.frame());
      if (message == null) {
        throw new IllegalArgumentException("codec returned null");
      }
      return message;
    } catch (RuntimeException e) {
      long n = framesUndecodable.sum() + 1;
      framesUndecodable.increment();
      // The first few in full, then every 1000th: a flood of garbage must not flood the log.
      if (n <= 10 || n % 1000 == 0) {
        LOG.warning(() -> self + " dropped an undecodable frame of " + in.frame().length
            + " bytes from " + in.from() + " (" + n + " so far): " + printable(e));
      }
      return null;
    }
  }

  private void fire(String name, ScheduledFuture<?>[] holder) {
    if (timers.get(name) != holder[0]) {
      return; // replaced or cancelled after it was queued to run
    }
    timers.remove(name);
    timersFired.increment();
    // Frames that arrived before the timer fired are handled first: a failure detector's tick
    // must not judge a peer silent while its heartbeats wait in the inbox behind a burst.
    Now now = now();
    for (int pending = inboxSize.get(); pending > 0; pending--) {
      Inbound in = inbox.poll();
      if (in == null) {
        break;
      }
      inboxSize.decrementAndGet();
      now = notBefore(now, in);
      M message = decode(in);
      if (message != null
          && !handle(new Event.Message<>(in.from(), message, readingFor(now, in)))) {
        return;
      }
    }
    if (handle(new Event.Timer<>(name, now))) {
      flushTurn();
    }
  }

  // ---- the core ----

  /** Core thread. Hands one event to the core and carries out its effects; false once failed. */
  private boolean handle(Event<M> event) {
    if (failure != null || closed.get()) {
      return false;
    }
    List<Effect<M>> effects;
    try {
      effects = core.handle(event);
      if (effects == null) {
        throw new IllegalStateException("core returned null instead of a list of effects");
      }
    } catch (Throwable t) {
      failStop(event.getClass().getSimpleName(), t);
      return false;
    }
    eventsHandled.increment();
    try {
      for (Effect<M> effect : effects) {
        apply(effect);
      }
    } catch (Throwable t) { // apply() contains what it expects; anything else is serious
      failStop(event.getClass().getSimpleName(), t);
      return false;
    }
    return true;
  }

  /** Core thread. Ends a turn: carries out what the core held back; false once failed. */
  private boolean flushTurn() {
    if (failure != null || closed.get()) {
      return false;
    }
    List<Effect<M>> effects;
    try {
      effects = core.flush();
      if (effects == null) {
        throw new IllegalStateException("core returned null instead of a list of effects");
      }
      for (Effect<M> effect : effects) {
        apply(effect);
      }
    } catch (Throwable t) {
      failStop("flush", t);
      return false;
    }
    return true;
  }

  private void apply(Effect<M> effect) {
    if (effect instanceof Effect.Send<M> send) {
      send(send.to(), send.payload());
    } else if (effect instanceof Effect.Deliver<M> deliver) {
      deliveries.increment();
      try {
        onDeliver.accept(deliver.value());
      } catch (RuntimeException e) {
        listenerFailures.increment();
        LOG.log(Level.SEVERE, "delivery listener of " + self + " threw", e);
      }
    } else if (effect instanceof Effect.SetTimer<M> set) {
      ScheduledFuture<?> old = timers.remove(set.name());
      if (old != null) {
        old.cancel(false);
      }
      ScheduledFuture<?>[] holder = new ScheduledFuture<?>[1];
      try {
        holder[0] = coreExecutor.schedule(() -> fire(set.name(), holder), set.delayNanos(),
            TimeUnit.NANOSECONDS);
        timers.put(set.name(), holder[0]);
      } catch (RejectedExecutionException closing) {
        // the runtime is closing; timers die with it
      }
    } else if (effect instanceof Effect.CancelTimer<M> cancel) {
      ScheduledFuture<?> old = timers.remove(cancel.name());
      if (old != null) {
        old.cancel(false);
      }
    }
  }

  private void send(NodeId to, M payload) {
    if (to.equals(self)) {
      try {
        coreExecutor.execute(() -> {
          if (handle(new Event.Message<>(self, payload, now()))) {
            flushTurn();
          }
        });
      } catch (RejectedExecutionException closing) {
        // the runtime is closing
      }
      return;
    }
    byte[] frame;
    try {
      frame = codec.encode(payload);
      if (transport.send(to, frame)) {
        framesSent.increment();
      } else {
        sendsRefused.increment();
      }
    } catch (RuntimeException e) {
      sendsFailed.increment();
      LOG.log(Level.SEVERE, self + " could not send a " + payload.getClass().getSimpleName()
          + " to " + to + "; dropped", e);
    }
  }

  private void failStop(String what, Throwable t) {
    failure = t;
    LOG.log(Level.SEVERE, "core of " + self + " threw on " + what
        + " (or an effect of it failed); the node stops (fail-stop)", t);
    for (ScheduledFuture<?> f : timers.values()) {
      f.cancel(false);
    }
    timers.clear();
    inbox.clear();
    try {
      transport.close();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "closing the transport of " + self + " failed", e);
    }
    failQueuedRequests();
  }

  /** Fails every request still queued; safe from any thread, any number of times. */
  private void failQueuedRequests() {
    for (PendingRequest r; (r = requests.poll()) != null; ) {
      dropped(r);
    }
  }

  private void dropped(PendingRequest r) {
    if (r.done() != null) {
      r.done().completeExceptionally(stoppedException());
      return;
    }
    try {
      onDroppedRequest.accept(r.request());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "dropped-request handler of " + self + " threw", e);
    }
  }

  private IllegalStateException stoppedException() {
    Throwable cause = failure;
    return cause != null
        ? new IllegalStateException("runtime of " + self + " failed: " + cause, cause)
        : new IllegalStateException("runtime of " + self + " is closed");
  }

  /** A codec's complaint about untrusted bytes, cut short and without control characters. */
  private static String printable(Throwable e) {
    String m = String.valueOf(e.getMessage());
    StringBuilder sb = new StringBuilder(Math.min(m.length(), 200));
    for (int i = 0; i < m.length() && i < 200; i++) {
      char c = m.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return (m.length() > 200 ? sb.append("...") : sb).toString();
  }

  /**
   * {@code turn}, or a fresh reading if the frame arrived after it was taken. A frame is never
   * handled with a reading older than its arrival: clock synchronization bounds round trips by
   * these readings, and a turn goes on taking frames that arrive while it runs.
   */
  private static Now notBefore(Now turn, Inbound in) {
    return in.arrivedNanos() - turn.monotonicNanos() > 0 ? now() : turn;
  }

  /** The readings a message is handled with: the turn's, or those of its arrival (see builder). */
  private Now readingFor(Now turn, Inbound in) {
    if (!messagesAtArrival) {
      return turn;
    }
    long waited = turn.monotonicNanos() - in.arrivedNanos(); // >= 0: turn is notBefore(in)
    return new Now(turn.wallNanos() - waited, in.arrivedNanos());
  }

  /**
   * Both clocks, read as one instant: the wall clock between two monotonic reads, retried when a
   * pause (GC, descheduling) fell between them. A torn pair would look like a wall-clock step to
   * clock synchronization, and would shift a reference's answers by the pause.
   */
  private static Now now() {
    for (int attempt = 1; ; attempt++) {
      long before = System.nanoTime();
      Instant wall = Instant.now();
      long after = System.nanoTime();
      if (after - before <= MAX_CLOCK_READ_SPREAD_NANOS || attempt == 5) {
        return new Now(wall.getEpochSecond() * 1_000_000_000L + wall.getNano(),
            before + (after - before) / 2);
      }
    }
  }

  /**
   * Builds a {@link NodeRuntime}.
   *
   * @param <M> the protocol's message type
   */
  public static final class Builder<M> {
    private ProtocolCore<M> core;
    private Transport transport;
    private WireCodec<M> codec;
    private Consumer<Object> onDeliver = value -> { };
    private Consumer<Object> onDroppedRequest = request -> { };
    private int maxPendingFrames = 65_536;
    private boolean messagesAtArrival;
    private Duration closeTimeout = Duration.ofSeconds(5);

    private Builder() {}

    /** The core to drive; from now on only the runtime may call it. Required. */
    public Builder<M> core(ProtocolCore<M> core) {
      this.core = require(core, "core");
      return this;
    }

    /** The transport, not yet started; the runtime starts and closes it. Required. */
    public Builder<M> transport(Transport transport) {
      this.transport = require(transport, "transport");
      return this;
    }

    /** The codec for the core's messages. Required. */
    public Builder<M> codec(WireCodec<M> codec) {
      this.codec = require(codec, "codec");
      return this;
    }

    /**
     * Receives every {@link Effect.Deliver}ed value, on the core thread; must not block. Default:
     * ignore them.
     */
    public Builder<M> onDeliver(Consumer<Object> listener) {
      this.onDeliver = require(listener, "delivery listener");
      return this;
    }

    /**
     * Receives each request accepted by {@link NodeRuntime#offer} that the runtime dropped
     * unhandled because it closed or failed first; on whichever thread noticed. Default: ignore.
     */
    public Builder<M> onDroppedRequest(Consumer<Object> handler) {
      this.onDroppedRequest = require(handler, "dropped-request handler");
      return this;
    }

    /** How many received frames may wait for the core thread before more are dropped. */
    /**
     * Hands each message to the core with the clock readings of its arrival (the monotonic time
     * the transport delivered it, the wall clock moved back by the same amount) instead of the
     * turn's. For clock synchronization: the time a frame waited for the core thread must not
     * count as network delay.
     */
    public Builder<M> messagesAtArrival() {
      this.messagesAtArrival = true;
      return this;
    }

    public Builder<M> maxPendingFrames(int frames) {
      if (frames < 1) {
        throw new IllegalArgumentException("maxPendingFrames must be >= 1, got " + frames);
      }
      this.maxPendingFrames = frames;
      return this;
    }

    /** How long {@link NodeRuntime#close} waits for the core thread (default 5 s). */
    public Builder<M> closeTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must be >= 0, got " + timeout);
      }
      this.closeTimeout = timeout;
      return this;
    }

    /**
     * Builds the runtime; starts nothing.
     *
     * @throws IllegalArgumentException if core, transport or codec is missing
     */
    public NodeRuntime<M> build() {
      List<String> missing = new ArrayList<>();
      if (core == null) {
        missing.add("core");
      }
      if (transport == null) {
        missing.add("transport");
      }
      if (codec == null) {
        missing.add("codec");
      }
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException("a runtime needs a core, a transport and a codec; "
            + "missing: " + String.join(", ", missing));
      }
      return new NodeRuntime<>(this);
    }

    private static <T> T require(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " must not be null");
      }
      return value;
    }
  }
}
