package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalSettings;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.replica.ReplicaCore;
import dev.meridian.replica.Delivered;
import dev.meridian.replica.Replica;
import dev.meridian.replica.ReplicaConfig;
import dev.meridian.replica.ReplicaOverloadedException;
import dev.meridian.replica.ReplicatedState;
import dev.meridian.transport.GrpcTransport;
import dev.meridian.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine's {@link Replica}: a {@link ReplicaCore} over {@link CausalMulticastCore}, driven by a
 * {@link NodeRuntime} over gRPC ({@code host:port} addresses) or an in-memory network ({@code
 * memory:<group>}).
 */
final class CausalReplica<S extends ReplicatedState<O>, O> implements Replica<S, O> {
  private static final Logger LOG = Logger.getLogger(CausalReplica.class.getName());

  private final ReplicaConfig config;
  private final Transport transport;
  private final NodeRuntime<LinkFrame<CausalWire>> runtime;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Consumer<Delivered<O>>> subscribers = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  CausalReplica(ReplicaConfig config, S state) {
    this.config = config;
    List<NodeId> members = new ArrayList<>(new TreeSet<>(config.peers().keySet()));
    members.add(config.nodeId());
    members.sort(null); // one order at every member
    int incarnation = Transports.timeBasedIncarnation(); // grows across restarts
    this.transport = Transports.of(config.nodeId(), config.listenAddress(), config.peers(),
        members, incarnation);
    CausalSettings settings = new CausalSettings(
        new LinkSettings(config.sendBufferPerPeer(), 256, config.retransmitInterval().toNanos()),
        config.pendingCapacity(), config.stabilityCapacity(), config.gossipInterval().toNanos());
    ReplicaCore<S, O> core = new ReplicaCore<>(
        new CausalMulticastCore(config.nodeId(), incarnation, members, settings,
            CausalMulticastCore.Variant.CORRECT),
        state, config.maxClockOffset().toNanos());
    this.runtime = NodeRuntime.<LinkFrame<CausalWire>>builder()
        .core(core)
        .transport(transport)
        .codec(new CausalFrameCodec(members.size(), 64 << 20))
        .onDeliver(this::onDeliver)
        .onDroppedRequest(this::onDropped)
        .build();
    runtime.start();
  }

  @SuppressWarnings("unchecked")
  private void onDeliver(Object value) {
    if (value instanceof Delivered<?> d) { // the common case first
      for (Consumer<Delivered<O>> s : subscribers) {
        try {
          s.accept((Delivered<O>) d);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a delivery listener of " + config.nodeId() + " threw", e);
        }
      }
    } else if (value instanceof ReplicaCore.Applied a) {
      inFlight.decrementAndGet();
      ((CompletableFuture<Void>) a.token()).complete(null);
    } else if (value instanceof ReplicaCore.SubmitFailed f) {
      inFlight.decrementAndGet();
      ((CompletableFuture<Void>) f.token()).completeExceptionally(f.cause());
    } else if (value instanceof ReplicaCore.ReadDone r) {
      CompletableFuture<Object> future = (CompletableFuture<Object>) r.token();
      if (r.failure() != null) {
        future.completeExceptionally(r.failure());
      } else {
        future.complete(r.result());
      }
    } else if (value instanceof ReplicaCore.UndecodableOperation u) {
      LOG.warning("skipped an operation the state could not decode: " + u);
    }
  }

  @Override
  public NodeId id() {
    return config.nodeId();
  }

  @Override
  public CompletableFuture<Void> submit(O op) {
    if (op == null) {
      throw new IllegalArgumentException("op must not be null");
    }
    CompletableFuture<Void> applied = new CompletableFuture<>();
    if (closed.get()) {
      applied.completeExceptionally(new IllegalStateException(config.nodeId() + " is closed"));
      return applied;
    }
    if (inFlight.incrementAndGet() > config.maxQueuedSubmits()) {
      inFlight.decrementAndGet();
      applied.completeExceptionally(new ReplicaOverloadedException(config.nodeId() + " already has "
          + config.maxQueuedSubmits() + " submits in flight (maxQueuedSubmits)"));
      return applied;
    }
    if (!runtime.offer(new ReplicaCore.SubmitOp<>(op, applied))) {
      inFlight.decrementAndGet();
      applied.completeExceptionally(stopped());
    }
    return applied;
  }

  /** A submit the runtime dropped unhandled (closed or failed meanwhile) fails, never hangs. */
  private void onDropped(Object request) {
    if (request instanceof ReplicaCore.SubmitOp<?> s
        && ((CompletableFuture<?>) s.token()).completeExceptionally(stopped())) {
      inFlight.decrementAndGet();
    }
  }

  private IllegalStateException stopped() {
    return MemberCalls.stopped(runtime, config.nodeId());
  }

  @Override
  public <R> R read(Function<? super S, R> reader) {
    if (reader == null) {
      throw new IllegalArgumentException("reader must not be null");
    }
    CompletableFuture<Object> result = new CompletableFuture<>();
    runtime.submit(new ReplicaCore.Read<S>(reader, result)).whenComplete((ok, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
      }
    });
    return MemberCalls.awaitRead(result, config.readTimeout(), config.nodeId());
  }

  @Override
  public AutoCloseable subscribe(Consumer<Delivered<O>> listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener must not be null");
    }
    subscribers.add(listener);
    return () -> subscribers.remove(listener);
  }

  /** The gRPC port this member listens on (useful after listening on port 0), or -1. */
  int port() {
    return transport instanceof GrpcTransport g ? g.port() : -1;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      // Submits still waiting for buffer space inside the core would otherwise never complete:
      // fail them first (queued behind every submit accepted so far). From the core thread (a
      // listener closing its own replica) there is no waiting for that; they fail with the close.
      CompletableFuture<Void> abandoned = runtime.submit(
          new ReplicaCore.AbandonWaiting(config.nodeId() + " is closed"));
      if (!runtime.onCoreThread()) {
        try {
          abandoned.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          LOG.log(Level.FINE, "abandoning waiting submits of " + config.nodeId() + " failed", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      runtime.close();
      transport.close();
    }
  }

  @Override
  public String toString() {
    return "Replica{" + config.nodeId() + " at " + config.listenAddress() + "}";
  }
}
