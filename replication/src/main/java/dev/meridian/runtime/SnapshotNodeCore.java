package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotId;
import dev.meridian.snapshot.SnapshotMember;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A {@link SnapshotCore} as {@link SnapshotNode} drives it: the API's calls arrive as requests
 * carrying their futures, which this adapter completes from the core's deliveries. The protocol is
 * all the inner core's; this only keeps track of who asked for what, and of snapshot timeouts (as
 * timers, so they are measured on the runtime's clock like everything else).
 *
 * <p>The runtime's core thread calls it, except {@link #failPending} after the runtime stopped.
 */
final class SnapshotNodeCore<A, S> implements ProtocolCore<LinkFrame<SnapshotWire<A, S>>> {
  private static final String TIMEOUT_TIMER_PREFIX = "snapshot-timeout-";

  /** Request: run {@code action} with an outbox on the core thread; its result completes done. */
  record Act<A>(Function<SnapshotMember.Outbox<A>, ?> action, CompletableFuture<Object> done) {}

  /** Request: start a snapshot; {@code timeout} null for none. */
  record Take(CompletableFuture<GlobalSnapshot> result, Duration timeout) {}

  /** A snapshot this member initiated and someone waits for; {@code n} names its timer. */
  private record Pending(long n, CompletableFuture<GlobalSnapshot> result, Duration timeout,
      long viewId, List<NodeId> members) {}

  private final NodeId self;
  private final SnapshotCore<A, S> core;
  private final Map<SnapshotId, Pending> pending = new LinkedHashMap<>();
  // Snapshots asked for before the first view arrived from the membership, by number: they start
  // with it (rather than fail at once for want of a view, as the core would have them).
  private final Map<Long, Take> deferred = new LinkedHashMap<>();
  private long takes; // numbers the Take requests, for their timers' names

  SnapshotNodeCore(NodeId self, SnapshotCore<A, S> core) {
    this.self = self;
    this.core = core;
  }

  // synchronized only for failPending, which may run while a stuck core thread has not stopped
  @Override
  public synchronized List<Effect<LinkFrame<SnapshotWire<A, S>>>> handle(
      Event<LinkFrame<SnapshotWire<A, S>>> event) {
    if (event instanceof Event.Request<LinkFrame<SnapshotWire<A, S>>> r) {
      if (r.request() instanceof Act<?> act) {
        @SuppressWarnings("unchecked")
        Act<A> typed = (Act<A>) act;
        return act(typed, r);
      }
      if (r.request() instanceof Take take) {
        List<Effect<LinkFrame<SnapshotWire<A, S>>>> out = new ArrayList<>();
        long n = ++takes;
        if (take.timeout() != null) {
          out.add(new Effect.SetTimer<>(TIMEOUT_TIMER_PREFIX + n, take.timeout().toNanos()));
        }
        if (core.viewId() == 0) {
          deferred.put(n, take);
        } else {
          out.addAll(take(n, take, r));
        }
        return out;
      }
    }
    if (event instanceof Event.Timer<LinkFrame<SnapshotWire<A, S>>> t
        && t.name().startsWith(TIMEOUT_TIMER_PREFIX)) {
      timedOut(Long.parseLong(t.name().substring(TIMEOUT_TIMER_PREFIX.length())));
      return List.of();
    }
    List<Effect<LinkFrame<SnapshotWire<A, S>>>> out = settle(core.handle(event), 0, null);
    if (core.viewId() != 0 && !deferred.isEmpty()
        && event instanceof Event.Request<LinkFrame<SnapshotWire<A, S>>> r) {
      List<Map.Entry<Long, Take>> due = List.copyOf(deferred.entrySet());
      deferred.clear();
      for (Map.Entry<Long, Take> e : due) {
        out.addAll(take(e.getKey(), e.getValue(), r));
      }
    }
    return out;
  }

  @Override
  public List<Effect<LinkFrame<SnapshotWire<A, S>>>> flush() {
    return core.flush();
  }

  private List<Effect<LinkFrame<SnapshotWire<A, S>>>> act(Act<A> act,
      Event.Request<LinkFrame<SnapshotWire<A, S>>> r) {
    List<Effect<LinkFrame<SnapshotWire<A, S>>>> out = new ArrayList<>();
    boolean[] open = {true};
    SnapshotMember.Outbox<A> outbox = (to, message) -> {
      if (!open[0]) {
        throw new IllegalStateException("an outbox may be used only inside its action");
      }
      if (to == null || message == null) {
        throw new IllegalArgumentException("trySend needs a destination and a message");
      }
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> effects = core.handle(new Event.Request<>(
          new SnapshotCore.SendMessage<>(to, message), r.now()));
      boolean refused = false;
      for (Effect<LinkFrame<SnapshotWire<A, S>>> e : effects) {
        if (e instanceof Effect.Deliver<LinkFrame<SnapshotWire<A, S>>> d
            && d.value() instanceof SnapshotCore.SendRefused<?>) {
          refused = true;
        } else {
          out.add(e);
        }
      }
      return !refused;
    };
    try {
      Object result = act.action().apply(outbox);
      act.done().complete(result);
    } catch (RuntimeException e) {
      act.done().completeExceptionally(e); // the application's failure, not the protocol's
    } finally {
      open[0] = false;
    }
    return out;
  }

  private List<Effect<LinkFrame<SnapshotWire<A, S>>>> take(long n, Take take,
      Event.Request<LinkFrame<SnapshotWire<A, S>>> r) {
    return settle(core.handle(new Event.Request<>(new SnapshotCore.TakeSnapshot(), r.now())),
        n, take);
  }

  /**
   * Completes futures from the core's deliveries, which it consumes; passes on the rest. {@code
   * take} (number {@code n}) is the request being handled, whose snapshot the {@code
   * SnapshotStarted} announces.
   */
  private List<Effect<LinkFrame<SnapshotWire<A, S>>>> settle(
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> effects, long n, Take take) {
    List<Effect<LinkFrame<SnapshotWire<A, S>>>> out = new ArrayList<>(effects.size() + 1);
    for (Effect<LinkFrame<SnapshotWire<A, S>>> e : effects) {
      if (!(e instanceof Effect.Deliver<LinkFrame<SnapshotWire<A, S>>> d)) {
        out.add(e);
      } else if (d.value() instanceof SnapshotCore.SnapshotStarted started && take != null) {
        pending.put(started.id(), new Pending(n, take.result(), take.timeout(), started.viewId(),
            started.members()));
      } else if (d.value() instanceof SnapshotCore.SnapshotCompleted<?, ?> done) {
        SnapshotId id = done.snapshot().id();
        Pending p = pending.remove(id);
        if (p != null) {
          cancelTimer(p, out);
          p.result().complete(done.snapshot());
        }
      } else if (d.value() instanceof SnapshotCore.SnapshotFailed failed) {
        Pending p = pending.remove(failed.id());
        if (p != null) {
          cancelTimer(p, out);
          p.result().completeExceptionally(failed.exception());
        }
      } else {
        out.add(e);
      }
    }
    return out;
  }

  private void cancelTimer(Pending p, List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    if (p.timeout() != null) {
      out.add(new Effect.CancelTimer<>(TIMEOUT_TIMER_PREFIX + p.n()));
    }
  }

  private void timedOut(long n) {
    Take waiting = deferred.remove(n);
    if (waiting != null) {
      waiting.result().completeExceptionally(new TimeoutException("snapshot asked of " + self
          + " did not start within " + waiting.timeout() + ": no view with every member's"
          + " incarnation has come from the group membership yet"));
      return;
    }
    for (Map.Entry<SnapshotId, Pending> e : pending.entrySet()) {
      if (e.getValue().n() == n) {
        Pending p = pending.remove(e.getKey());
        // The core still collects it: a late completion or failure then finds nobody waiting.
        p.result().completeExceptionally(new TimeoutException("snapshot " + e.getKey()
            + " initiated by " + self + " did not complete within " + p.timeout()
            + "; it waits for the members of view " + p.viewId() + " " + p.members()
            + " (a member whose snapshot layer stopped while its group member goes on stays in"
            + " the view)"));
        return;
      }
    }
  }

  /** Fails every snapshot still awaited; for after the runtime stopped. */
  synchronized void failPending(RuntimeException why) {
    for (Pending p : pending.values()) {
      p.result().completeExceptionally(why);
    }
    pending.clear();
    for (Take t : deferred.values()) {
      t.result().completeExceptionally(why);
    }
    deferred.clear();
  }
}
