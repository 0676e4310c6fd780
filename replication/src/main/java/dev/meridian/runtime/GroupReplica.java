package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.membership.DetectorSettings;
import dev.meridian.core.membership.GroupState;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.membership.MembershipListener;
import dev.meridian.membership.View;
import dev.meridian.replica.DeadlineExceededException;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberConfig;
import dev.meridian.replica.Ordering;
import dev.meridian.replica.ReplicaOverloadedException;
import dev.meridian.replica.StateMachine;
import dev.meridian.transport.GrpcTransport;
import dev.meridian.transport.Transport;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine's {@link GroupMember}: a {@link MembershipCore} applying operations to a {@link
 * StateMachine}, driven by a {@link NodeRuntime} over gRPC or an in-memory network.
 */
final class GroupReplica<S, O, R> implements GroupMember<S, O, R> {
  private static final Logger LOG = Logger.getLogger(GroupReplica.class.getName());
  /** View changes rehearsed at start-up ({@link ViewChangeRehearsal}): a kill and a freeze each. */
  static final int REHEARSALS = 3;

  private final GroupMemberConfig config;
  private final StateMachine<S, O, R> machine;
  private final Transport transport;
  private final NodeRuntime<LinkFrame<MemberWire>> runtime;
  private final MachineState state;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> ready = new CompletableFuture<>(); // in a view, with state
  private final CompletableFuture<Void> left = new CompletableFuture<>();
  private volatile View view;
  private final int incarnation;
  private final List<NodeId> universe;
  // Layers running alongside this member (snapshots) that need each view with its members'
  // incarnations; guarded by itself, called on the core thread.
  private final List<Consumer<MembershipCore.ViewIncarnations>> viewHooks = new ArrayList<>();
  private MembershipCore.ViewIncarnations lastViewIncarnations;

  GroupReplica(GroupMemberConfig config, StateMachine<S, O, R> machine) {
    this.config = config;
    this.machine = machine;
    this.state = new MachineState(machine.initialState());
    List<NodeId> universe = new ArrayList<>(new TreeSet<>(config.peers().keySet()));
    universe.add(config.nodeId());
    universe.sort(null); // one age order for the founders, the same at every member
    int incarnation = Transports.timeBasedIncarnation();
    this.incarnation = incarnation;
    this.universe = List.copyOf(universe);
    this.transport = Transports.of(config.nodeId(), config.listenAddress(), config.peers(),
        universe, incarnation, config.heartbeatInterval());
    DetectorSettings detector = new DetectorSettings(
        config.phiAccrual() ? DetectorSettings.Kind.PHI_ACCRUAL : DetectorSettings.Kind.TIMEOUT,
        config.heartbeatInterval().toNanos(), config.suspectAfter().toNanos(), 8.0, 100);
    long heartbeat = config.heartbeatInterval().toNanos();
    MembershipCore.Settings settings = new MembershipCore.Settings(detector,
        Math.max(config.suspectAfter().toNanos(), 1_000_000L), 0,
        new LinkSettings(4096, 256, Math.max(1_000_000L, Math.min(50_000_000L, heartbeat / 2))));
    MembershipCore core = new MembershipCore(config.nodeId(), incarnation, config.founder(),
        universe, settings, MembershipCore.Variant.CORRECT,
        new SplittableRandom(new SecureRandom().nextLong()), state);
    core.reportViewIncarnations();
    MemberFrameCodec.loadEveryMessageKind();
    int rehearsed = ViewChangeRehearsal.run(settings, REHEARSALS);
    if (rehearsed < 2 * REHEARSALS) { // harmless (only a warm-up), but says the rehearsal is stale
      LOG.fine(() -> "only " + rehearsed + " of " + 2 * REHEARSALS + " view-change rehearsals"
          + " reached a view of two");
    }
    this.runtime = NodeRuntime.<LinkFrame<MemberWire>>builder()
        .core(core)
        .transport(transport)
        .codec(new MemberFrameCodec(universe))
        .onDeliver(this::onDeliver)
        .onDroppedRequest(this::onDropped)
        .build();
    if (config.founder()) {
      ready.complete(null);
    }
    runtime.start();
    if (!config.founder()) {
      awaitJoin();
    }
  }

  private void awaitJoin() {
    try {
      ready.get(config.joinTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      halt();
      throw new IllegalStateException(config.nodeId() + " was not admitted to the group with its"
          + " state within " + config.joinTimeout() + " (is a majority of the group reachable"
          + " at " + config.peers() + "?)");
    } catch (InterruptedException e) {
      halt();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + config.nodeId() + " was joining", e);
    }
  }

  /** The state machine's state as the core sees it: bytes in, typed operations applied. */
  private final class MachineState implements GroupState {
    private S current;

    MachineState(S initial) {
      this.current = initial;
    }

    @Override
    public Object apply(MemberWire.App app) {
      O op;
      try {
        op = machine.opCodec().decode(app.payload());
      } catch (RuntimeException e) {
        // Every member decodes the same bytes the same way, so skipping keeps replicas equal.
        LOG.warning(config.nodeId() + " skipped an operation of " + app.sender()
            + " its codec could not decode: " + e.getMessage());
        return new Undecodable(e.getMessage());
      }
      return machine.apply(current, op, app.sender());
    }

    @Override
    public byte[] snapshot() {
      return machine.stateCodec().encode(current);
    }

    @Override
    public void restore(byte[] snapshot) {
      try {
        current = machine.stateCodec().decode(snapshot);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("state transfer of " + snapshot.length
            + " bytes does not decode: " + e.getMessage(), e);
      }
    }
  }

  /** The result of an operation nobody could decode (it was skipped everywhere). */
  private record Undecodable(String problem) {}

  @SuppressWarnings("unchecked")
  private void onDeliver(Object value) {
    if (value instanceof MembershipCore.Delivered) {
      return; // one per operation applied, already applied to the state: nothing to do here
    }
    if (value instanceof MembershipCore.SubmitDone d) {
      inFlight.decrementAndGet();
      CompletableFuture<R> f = (CompletableFuture<R>) d.token();
      if (d.result() instanceof Undecodable u) {
        f.completeExceptionally(new IllegalArgumentException("the operation could not be"
            + " decoded by the state machine's codec: " + u.problem()));
      } else {
        f.complete((R) d.result());
      }
    } else if (value instanceof MembershipCore.DeadlineMissed m) {
      // Still in flight in the core: its SubmitDone or SubmitFailed follows and counts it out.
      ((CompletableFuture<R>) m.token()).completeExceptionally(new DeadlineExceededException(
          config.nodeId() + ": timed multicast missed its deadline; " + m.why(), m.late()));
    } else if (value instanceof MembershipCore.SubmitFailed f) {
      inFlight.decrementAndGet();
      ((CompletableFuture<R>) f.token()).completeExceptionally(f.cause());
    } else if (value instanceof MembershipCore.ReadDone r) {
      CompletableFuture<Object> f = (CompletableFuture<Object>) r.token();
      if (r.failure() != null) {
        f.completeExceptionally(r.failure());
      } else {
        f.complete(r.result());
      }
    } else if (value instanceof MembershipCore.Installed i) {
      view = i.view();
      if (config.founder() || !i.joined().contains(config.nodeId())) {
        ready.complete(null); // a joiner is ready once its state is restored, below
      }
      notifyListeners(l -> l.viewInstalled(i.change()));
    } else if (value instanceof MembershipCore.ViewIncarnations v) {
      synchronized (viewHooks) {
        lastViewIncarnations = v;
        for (Consumer<MembershipCore.ViewIncarnations> hook : viewHooks) {
          try {
            hook.accept(v);
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a view hook of " + config.nodeId() + " threw", e);
          }
        }
      }
    } else if (value instanceof MembershipCore.StateRestored) {
      ready.complete(null);
    } else if (value instanceof MembershipCore.Blocked b) {
      notifyListeners(l -> l.blocked(b.reason()));
    } else if (value instanceof MembershipCore.Unblocked) {
      notifyListeners(MembershipListener::unblocked);
    } else if (value instanceof MembershipCore.Left) {
      view = null;
      left.complete(null);
    } else if (value instanceof MembershipCore.TransferRefused t) {
      LOG.warning(config.nodeId() + " refused a state transfer for view " + t.viewId() + ": "
          + t.problem());
    }
  }

  private void notifyListeners(java.util.function.Consumer<MembershipListener> call) {
    for (MembershipListener l : config.listeners()) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a membership listener of " + config.nodeId() + " threw", e);
      }
    }
  }

  @Override
  public NodeId id() {
    return config.nodeId();
  }

  @Override
  public Optional<View> view() {
    return Optional.ofNullable(view);
  }

  @Override
  public CompletableFuture<R> submit(O op, Ordering ordering) {
    if (op == null || ordering == null) {
      throw new IllegalArgumentException("op and ordering must not be null");
    }
    byte[] payload;
    try {
      payload = machine.opCodec().encode(op);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the state machine's codec refused the operation: "
          + e.getMessage(), e);
    }
    if (payload.length > config.maxOperationBytes()) {
      throw new IllegalArgumentException("operation of " + payload.length + " bytes exceeds"
          + " maxOperationBytes " + config.maxOperationBytes());
    }
    CompletableFuture<R> applied = new CompletableFuture<>();
    if (closed.get()) {
      applied.completeExceptionally(stopped());
      return applied;
    }
    if (inFlight.incrementAndGet() > config.maxQueuedSubmits()) {
      inFlight.decrementAndGet();
      applied.completeExceptionally(new ReplicaOverloadedException(config.nodeId()
          + " already has " + config.maxQueuedSubmits() + " submits in flight (maxQueuedSubmits)"));
      return applied;
    }
    if (!runtime.offer(new MembershipCore.Submit(payload, ordering == Ordering.TOTAL, applied))) {
      inFlight.decrementAndGet();
      applied.completeExceptionally(stopped());
    }
    return applied;
  }

  @Override
  public CompletableFuture<R> submit(O op, Ordering ordering, Duration deadline) {
    if (deadline == null || deadline.isNegative() || deadline.isZero()
        || deadline.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("deadline must be in (0, 1 day], got " + deadline);
    }
    CompletableFuture<R> applied = submit(op, ordering);
    if (applied.isDone()) {
      return applied;
    }
    ScheduledFuture<?> timer = DEADLINES.schedule(
        () -> runtime.offer(new MembershipCore.DeadlinePassed(applied)),
        deadline.toNanos(), TimeUnit.NANOSECONDS);
    applied.whenComplete((r, e) -> timer.cancel(false));
    return applied;
  }

  /** One daemon thread for every member's deadlines: it only hands a request to a runtime. */
  private static final ScheduledThreadPoolExecutor DEADLINES = deadlineTimer();

  private static ScheduledThreadPoolExecutor deadlineTimer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "meridian-deadlines");
      thread.setDaemon(true);
      return thread;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** A submit or read the runtime dropped unhandled (closed meanwhile) fails, never hangs. */
  private void onDropped(Object request) {
    if (request instanceof MembershipCore.Submit s
        && ((CompletableFuture<?>) s.token()).completeExceptionally(stopped())) {
      inFlight.decrementAndGet();
    } else if (request instanceof MembershipCore.Read r) {
      ((CompletableFuture<?>) r.token()).completeExceptionally(stopped());
    }
  }

  private IllegalStateException stopped() {
    return MemberCalls.stopped(runtime, config.nodeId());
  }

  @Override
  public <T> T read(Function<? super S, T> reader) {
    if (reader == null) {
      throw new IllegalArgumentException("reader must not be null");
    }
    CompletableFuture<Object> result = new CompletableFuture<>();
    if (!runtime.offer(new MembershipCore.Read(() -> reader.apply(state.current), result))) {
      throw stopped();
    }
    return MemberCalls.awaitRead(result, config.readTimeout(), config.nodeId());
  }

  /** This member's incarnation: the membership's, which layers alongside it must share. */
  int incarnation() {
    return incarnation;
  }

  /** Every node that may ever be a member: this one and its peers, in id order. */
  List<NodeId> universe() {
    return universe;
  }

  /**
   * An internal hook for layers running alongside this member: {@code hook} is called (on the
   * member's event thread; it must not block) with every view installed from now on, with its
   * members' incarnations, once they are all known — and at once with the last such view, if
   * there is one. The public {@link dev.meridian.membership.ViewChange} carries no incarnations.
   *
   * @return removes the hook
   */
  Runnable onViewIncarnations(Consumer<MembershipCore.ViewIncarnations> hook) {
    synchronized (viewHooks) {
      viewHooks.add(hook);
      if (lastViewIncarnations != null) {
        hook.accept(lastViewIncarnations);
      }
    }
    return () -> {
      synchronized (viewHooks) {
        viewHooks.remove(hook);
      }
    };
  }

  /** The gRPC port this member listens on (useful after listening on port 0), or -1. */
  int port() {
    return transport instanceof GrpcTransport g ? g.port() : -1;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (runtime.isRunning() && runtime.offer(new MembershipCore.LeaveGroup())
        && !runtime.onCoreThread()) {
      try {
        left.get(config.leaveTimeout().toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        LOG.info(config.nodeId() + " stops without a graceful leave: no view without it was"
            + " installed within " + config.leaveTimeout());
      } catch (ExecutionException e) {
        LOG.log(Level.FINE, "leave of " + config.nodeId() + " failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stop();
  }

  @Override
  public void halt() {
    closed.set(true);
    stop();
  }

  private void stop() {
    runtime.close();
    transport.close();
    ready.completeExceptionally(stopped());
  }

  @Override
  public String toString() {
    return "GroupMember{" + config.nodeId() + " at " + config.listenAddress() + "}";
  }
}
