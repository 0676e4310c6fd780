package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.core.snapshot.SnapshotSettings;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotMember;
import dev.meridian.snapshot.SnapshotMemberConfig;
import dev.meridian.transport.Transport;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine behind {@link SnapshotMember}: a {@link SnapshotCore} (through {@link
 * SnapshotNodeCore}) driven by a {@link NodeRuntime} over its own gRPC transport, beside a {@link
 * GroupReplica} whose node id, universe and incarnation it shares and whose views, with their
 * members' incarnations, it installs as they come.
 */
final class SnapshotNode<A, S> implements SnapshotMember<A> {
  private static final Logger LOG = Logger.getLogger(SnapshotNode.class.getName());

  private final NodeId self;
  private final Transport transport;
  private final SnapshotNodeCore<A, S> core;
  private final NodeRuntime<LinkFrame<SnapshotWire<A, S>>> runtime;
  private final Runnable unhookViews;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final LongAdder inboxFailures = new LongAdder();

  SnapshotNode(SnapshotMemberConfig<A, S> config) {
    if (!(config.member() instanceof GroupReplica<?, ?, ?> group)) {
      throw new IllegalArgumentException("a snapshot member runs alongside a GroupMember of this"
          + " engine (GroupMember.builder()...start()), not " + config.member().getClass());
    }
    this.self = group.id();
    Set<NodeId> groupPeers = new HashSet<>(group.universe());
    groupPeers.remove(self);
    if (!groupPeers.equals(config.peers().keySet())) {
      throw new IllegalStateException("the snapshot peers " + config.peers().keySet()
          + " must be the group member's peers " + groupPeers);
    }
    this.transport = Transports.of(self, config.listenAddress(), config.peers(), group.universe(),
        group.incarnation(), Duration.ofMillis(100));
    SnapshotMember.Inbox<A> inbox = config.inbox();
    SnapshotCore<A, S> snapshots = new SnapshotCore<>(self, group.incarnation(), group.universe(),
        SnapshotSettings.defaults(), id -> config.recorder().record(id),
        (from, message) -> {
          try {
            inbox.receive(from, message);
          } catch (RuntimeException e) {
            inboxFailures.increment();
            LOG.log(Level.SEVERE, "the inbox of " + self + " threw on a message from " + from, e);
          }
        }, SnapshotCore.Variant.CORRECT);
    this.core = new SnapshotNodeCore<>(self, snapshots);
    this.runtime = NodeRuntime.<LinkFrame<SnapshotWire<A, S>>>builder()
        .core(core)
        .transport(transport)
        .codec(new SnapshotFrameCodec<>(config.messageCodec(), config.stateCodec()))
        .onDroppedRequest(this::onDropped)
        .build();
    runtime.start();
    // From now on every view the group installs reaches the core, the current one first.
    this.unhookViews = group.onViewIncarnations(this::viewInstalled);
  }

  /** On the group member's event thread: must not block, and does not. */
  private void viewInstalled(MembershipCore.ViewIncarnations v) {
    if (runtime.isRunning()) {
      runtime.offer(new SnapshotCore.ViewInstalled(v.view().id(), v.incarnations()));
    }
  }

  @Override
  public NodeId id() {
    return self;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> CompletableFuture<T> act(Function<Outbox<A>, T> action) {
    if (action == null) {
      throw new IllegalArgumentException("action must not be null");
    }
    CompletableFuture<Object> done = new CompletableFuture<>();
    if (!runtime.offer(new SnapshotNodeCore.Act<>(action, done))) {
      done.completeExceptionally(stopped());
    }
    return (CompletableFuture<T>) (CompletableFuture<?>) done;
  }

  @Override
  public CompletableFuture<GlobalSnapshot> snapshot() {
    return start(null);
  }

  @Override
  public CompletableFuture<GlobalSnapshot> snapshot(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()
        || timeout.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("snapshot timeout must be in (0, 1 day], got "
          + timeout);
    }
    return start(timeout);
  }

  private CompletableFuture<GlobalSnapshot> start(Duration timeout) {
    CompletableFuture<GlobalSnapshot> result = new CompletableFuture<>();
    if (!runtime.offer(new SnapshotNodeCore.Take(result, timeout))) {
      result.completeExceptionally(stopped());
    }
    return result;
  }

  /** A request the runtime dropped unhandled (it stopped meanwhile) fails, never hangs. */
  private void onDropped(Object request) {
    if (request instanceof SnapshotNodeCore.Act<?> a) {
      a.done().completeExceptionally(stopped());
    } else if (request instanceof SnapshotNodeCore.Take t) {
      t.result().completeExceptionally(stopped());
    }
  }

  private IllegalStateException stopped() {
    return runtime.failure().isPresent()
        ? new IllegalStateException("snapshot member " + self + " failed: "
            + runtime.failure().get(), runtime.failure().get())
        : new IllegalStateException("snapshot member " + self + " is closed");
  }

  /** Application messages whose inbox call threw (logged; the member carries on). */
  long inboxFailures() {
    return inboxFailures.sum();
  }

  /** The runtime's counters, for tests. */
  NodeRuntime.Stats stats() {
    return runtime.stats();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    unhookViews.run();
    runtime.close();
    transport.close();
    core.failPending(stopped());
  }

  @Override
  public void halt() {
    close(); // nothing to say to the others on the way out: both are a crash to them
  }

  @Override
  public String toString() {
    return "SnapshotMember{" + self + "}";
  }
}
