package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.core.snapshot.SnapshotSettings;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.sim.deadlock.LockMessage.LockId;
import dev.meridian.sim.deadlock.LockMessage.ProbeId;
import dev.meridian.sim.deadlock.LockMessage.ProcessEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnId;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One member of the {@code deadlock} scenario: a lock manager, a process running transactions, a
 * snapshot-based deadlock detector and a naive one, all over one {@link SnapshotCore}.
 *
 * <p><b>Locks.</b> The member owns {@link Workload#locksPerMember} locks and keeps their table:
 * holder and FIFO queue. Requests, grants, releases and cancels travel as the core's application
 * messages, so over reliable FIFO links.
 *
 * <p><b>The process</b> runs one transaction after another: it picks two (sometimes three) locks
 * of other members in random order, acquires them one at a time — waiting for each grant while
 * holding the earlier ones — holds them briefly, and releases them all (two-phase locking). Two
 * transactions that take the same locks in opposite orders deadlock; nothing but an abort ends
 * that, since a blocked transaction never releases.
 *
 * <p><b>The snapshot detector.</b> A member whose process has waited for one lock for about
 * {@link Workload#suspectAfterNanos} takes a snapshot (one of its own at a time), and again every
 * twice that while the process still waits. The initiator builds the wait-for graph of the
 * recorded state (lock tables plus messages in flight, see {@link WaitForGraph#fromSnapshot}) and
 * reports every cycle. The recorded state is one the system could have passed through, and a
 * deadlock, once there, stays until an abort: so every reported cycle is a real deadlock. It then
 * orders one transaction of the cycle aborted — the one with the highest sequence number, ties
 * broken by member, so that two snapshots of one deadlock name the same victim, whose member
 * ignores the second order. The victim releases its locks and cancels its wait; the run goes on.
 *
 * <p><b>The naive detector.</b> On the same suspicion, the member asks the owner of the lock its
 * process waits for "who holds it?", then that holder's member "what are you waiting for?", and so
 * on; the member that finds the holder to be the process it started from reports a cycle. Each
 * member answers from its state when the question arrives, so the edges of one report come from
 * different moments: under churn it reports deadlocks that never existed. It knows processes, not
 * transactions (a lock table's answer names a member's process), and drops the plainly
 * inconsistent paths: a process waiting for itself, or one lock with two holders. It only reports;
 * it never aborts.
 *
 * <p><b>Failure model.</b> The links ride out loss, duplication, reordering, cut links and
 * partitions: everything then waits. Crashes are outside the model: a crashed member's locks would
 * stay held, and its grants lost, without a lease layer this example does not have. The view is
 * static (all members, incarnation 1), so snapshots never fail; they wait out partitions.
 *
 * <p>Deterministic; the only randomness is the generator it is built with.
 */
public final class LockSimCore implements ProtocolCore<DeadlockSimMessage> {
  static final String TXN_TIMER = "txn-begin";
  static final String HOLD_TIMER = "txn-hold";
  static final String SUSPECT_TIMER = "suspect-deadlock";

  /**
   * The workload's shape.
   *
   * @param locksPerMember locks each member owns
   * @param thirdLockPercent chance, in percent, that a transaction takes three locks, not two
   * @param idleNanos mean gap between a transaction's end and the next one's start
   * @param holdNanos mean time a transaction holds all its locks before releasing them
   * @param suspectAfterNanos mean time a process waits for one lock before both detectors look
   *     for a deadlock (the snapshot detector takes a snapshot, the naive one sends a probe); they
   *     look again every twice that while it still waits
   * @param activeNanos how long after its start a process begins new transactions; then it ends
   *     the one it has and stays idle, so that a run can end with every deadlock resolved
   */
  public record Workload(int locksPerMember, int thirdLockPercent, long idleNanos, long holdNanos,
      long suspectAfterNanos, long activeNanos) {
    /** @throws IllegalArgumentException naming the setting out of range */
    public Workload {
      if (locksPerMember < 1 || thirdLockPercent < 0 || thirdLockPercent > 100 || idleNanos < 2
          || holdNanos < 2 || suspectAfterNanos < 2 || activeNanos < 0) {
        throw new IllegalArgumentException("workload out of range: locksPerMember >= 1, "
            + "thirdLockPercent in [0, 100], times >= 2 ns, activeNanos >= 0: got "
            + locksPerMember + ", " + thirdLockPercent + ", " + idleNanos + ", " + holdNanos + ", "
            + suspectAfterNanos + ", " + activeNanos);
      }
    }
  }

  /** Which detector rules this member follows; the broken ones show the checkers can fail. */
  public enum DetectorVariant {
    CORRECT,
    /** The detector reads only the lock tables, ignoring messages in flight across the cut. */
    IGNORE_CHANNELS,
    /**
     * Snapshots without markers ({@link SnapshotCore.Variant#NO_MARKERS}): each member records its
     * tables when told to, with no channel state — tables from different moments.
     */
    NO_MARKERS,
    /** The detector reports each cycle but never orders a victim aborted: deadlocks stand. */
    NO_ABORT
  }

  // ---------------------------------------------------------------------------------------------
  // What the member hands to the application (and the simulator's checkers), in order.

  /** {@code txn} asked for {@code lock} and waits for the grant. */
  public record Waiting(TxnId txn, LockId lock) {}

  /** {@code txn} received the grant of {@code lock}. */
  public record Acquired(TxnId txn, LockId lock) {}

  /** {@code txn} released all its locks and ended. */
  public record Finished(TxnId txn) {}

  /** {@code txn} was aborted to break a deadlock, releasing its locks and cancelling its wait. */
  public record Aborted(TxnId txn) {}

  /** This member recorded its lock tables for snapshot {@code id}: where its cut fell. */
  public record Recorded(SnapshotId id) {}

  /** The snapshot detector found {@code cycle} in snapshot {@code id} and aborts {@code victim}. */
  public record SnapshotDeadlockFound(SnapshotId id, List<TxnEdge> cycle, TxnId victim) {}

  /** The naive detector started {@code probe} for {@code txn}, waiting for {@code lock}. */
  public record NaiveProbeStarted(ProbeId probe, TxnId txn, LockId lock) {}

  /** The naive detector's {@code probe} came back around: it reports {@code cycle}. */
  public record NaiveDeadlockReported(ProbeId probe, List<ProcessEdge> cycle) {}

  /** Per-lock table entry. */
  private static final class Entry {
    TxnId holder;
    final ArrayDeque<TxnId> queue = new ArrayDeque<>();
  }

  private final NodeId self;
  private final List<NodeId> members;
  private final RandomGenerator random;
  private final Workload workload;
  private final DetectorVariant variant;
  private final SnapshotCore<LockMessage, LockTables> snapshots;
  private final List<LockId> othersLocks = new ArrayList<>();
  // lock manager
  private final Map<LockId, Entry> table = new TreeMap<>();
  // outbox: what the application decided to send, per destination, not yet handed to the core
  private final Map<NodeId, ArrayDeque<LockMessage>> outbox = new TreeMap<>();
  // effects of the application, in the order they happened (inbox and recorder calls included)
  private final List<Effect<DeadlockSimMessage>> appEffects = new ArrayList<>();
  // process
  private long txnSeq;
  private TxnId txn; // null between transactions
  private List<LockId> plan = List.of();
  private int planned;
  private final Set<LockId> held = new LinkedHashSet<>();
  private LockId waitingFor;
  private long probeSeq;
  private long startedAt; // monotonic

  /**
   * @param members every member (this one included), each owning {@code locksPerMember} locks
   */
  public LockSimCore(NodeId self, List<NodeId> members, RandomGenerator random, Workload workload,
      DetectorVariant variant) {
    if (self == null || members == null || !members.contains(self) || random == null
        || workload == null || variant == null) {
      throw new IllegalArgumentException("self must be one of the members; nothing may be null");
    }
    this.self = self;
    this.members = List.copyOf(members);
    this.random = random;
    this.workload = workload;
    this.variant = variant;
    for (NodeId m : members) {
      for (int i = 0; i < workload.locksPerMember(); i++) {
        if (m.equals(self)) {
          table.put(new LockId(m, i), new Entry());
        } else {
          othersLocks.add(new LockId(m, i));
        }
      }
    }
    this.snapshots = new SnapshotCore<>(self, 1, members,
        new SnapshotSettings(new LinkSettings(1024, 256, 5_000_000L), 64, 1024),
        this::record, this::receive, variant == DetectorVariant.NO_MARKERS
            ? SnapshotCore.Variant.NO_MARKERS : SnapshotCore.Variant.CORRECT);
  }

  // ---------------------------------------------------------------------------------------------
  // Turns

  @Override
  public List<Effect<DeadlockSimMessage>> handle(Event<DeadlockSimMessage> event) {
    List<Effect<DeadlockSimMessage>> out = new ArrayList<>();
    var now = event.now();
    if (event instanceof Event.Start<DeadlockSimMessage>) {
      startedAt = now.monotonicNanos();
      inner(new Event.Start<>(now), out);
      Map<NodeId, Integer> view = new TreeMap<>();
      members.forEach(m -> view.put(m, 1));
      inner(new Event.Request<>(new SnapshotCore.ViewInstalled(1, view), now), out);
      appEffects.add(new Effect.SetTimer<>(TXN_TIMER, gap(workload.idleNanos())));
    } else if (event instanceof Event.Timer<DeadlockSimMessage> t) {
      switch (t.name()) {
        case TXN_TIMER -> {
          if (now.monotonicNanos() - startedAt < workload.activeNanos()) {
            begin();
          }
        }
        case HOLD_TIMER -> finish();
        case SUSPECT_TIMER -> suspect(now, out);
        default -> inner(new Event.Timer<>(t.name(), now), out);
      }
    } else if (event instanceof Event.Message<DeadlockSimMessage> m
        && m.payload() instanceof DeadlockSimMessage.Link link) {
      inner(new Event.Message<>(m.from(), link.frame(), now), out);
    }
    drainOutbox(now, out);
    out.addAll(appEffects);
    appEffects.clear();
    return out;
  }

  @Override
  public List<Effect<DeadlockSimMessage>> flush() {
    List<Effect<DeadlockSimMessage>> out = new ArrayList<>();
    wrap(snapshots.flush(), out);
    return out;
  }

  /**
   * Runs the snapshot core on one event. The application's effects so far keep their place before
   * those of the inbox and recorder calls the event causes, and those before the core's own.
   */
  private void inner(Event<LinkFrame<SnapshotWire<LockMessage, LockTables>>> event,
      List<Effect<DeadlockSimMessage>> out) {
    out.addAll(appEffects);
    appEffects.clear();
    List<Effect<LinkFrame<SnapshotWire<LockMessage, LockTables>>>> core = snapshots.handle(event);
    out.addAll(appEffects);
    appEffects.clear();
    wrap(core, out);
    for (Effect<LinkFrame<SnapshotWire<LockMessage, LockTables>>> e : core) {
      Object delivered = e instanceof Effect.Deliver<?> d ? d.value() : null;
      if (delivered instanceof SnapshotCore.SnapshotCompleted<?, ?> c) {
        @SuppressWarnings("unchecked")
        SnapshotCore.SnapshotCompleted<LockMessage, LockTables> done =
            (SnapshotCore.SnapshotCompleted<LockMessage, LockTables>) c;
        detect(done);
      } else if (delivered instanceof SnapshotCore.SendRefused<?> r) {
        throw new IllegalStateException(self + ": the outbox sent beyond the link's room: " + r);
      }
    }
  }

  /**
   * Hands the outbox to the core, as far as each link's send buffer has room, in FIFO order. A
   * send request never makes the core record (only markers and snapshot requests do), so a
   * message taken out of the outbox here is never missing from a recorded state.
   */
  private void drainOutbox(Now now, List<Effect<DeadlockSimMessage>> out) {
    for (NodeId to : List.copyOf(outbox.keySet())) {
      ArrayDeque<LockMessage> queue = outbox.get(to);
      while (!queue.isEmpty() && snapshots.sendCapacity(to) > 0) {
        inner(new Event.Request<>(new SnapshotCore.SendMessage<>(to, queue.pollFirst()), now),
            out);
      }
    }
  }

  private void send(NodeId to, LockMessage message) {
    outbox.computeIfAbsent(to, k -> new ArrayDeque<>()).addLast(message);
  }

  private static void wrap(List<Effect<LinkFrame<SnapshotWire<LockMessage, LockTables>>>> effects,
      List<Effect<DeadlockSimMessage>> out) {
    for (Effect<LinkFrame<SnapshotWire<LockMessage, LockTables>>> e : effects) {
      if (e instanceof Effect.Send<LinkFrame<SnapshotWire<LockMessage, LockTables>>> s) {
        out.add(new Effect.Send<>(s.to(), new DeadlockSimMessage.Link(s.payload())));
      } else if (e instanceof Effect.SetTimer<?> t) {
        out.add(new Effect.SetTimer<>(t.name(), t.delayNanos()));
      } else if (e instanceof Effect.CancelTimer<?> c) {
        out.add(new Effect.CancelTimer<>(c.name()));
      } else if (e instanceof Effect.Deliver<?> d) {
        out.add(new Effect.Deliver<>(d.value()));
      }
    }
  }

  private long gap(long mean) {
    return mean / 2 + random.nextLong(mean);
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshot core callbacks

  private LockTables record(SnapshotId id) {
    appEffects.add(new Effect.Deliver<>(new Recorded(id)));
    Map<LockId, LockTables.Entry> locks = new TreeMap<>();
    table.forEach((lock, e) -> locks.put(lock, new LockTables.Entry(e.holder, List.copyOf(
        e.queue))));
    List<LockTables.Outgoing> pending = new ArrayList<>();
    outbox.forEach((to, queue) -> queue.forEach(m -> pending.add(new LockTables.Outgoing(to, m))));
    return LockTables.of(locks, pending);
  }

  private void receive(NodeId from, LockMessage message) {
    if (message instanceof LockMessage.Request r) {
      onRequest(r);
    } else if (message instanceof LockMessage.Release r) {
      onRelease(r);
    } else if (message instanceof LockMessage.Cancel c) {
      onCancel(c);
    } else if (message instanceof LockMessage.Grant g) {
      onGrant(g);
    } else if (message instanceof LockMessage.Abort a) {
      onAbort(a);
    } else if (message instanceof LockMessage.HolderQuery q) {
      onHolderQuery(q);
    } else if (message instanceof LockMessage.WaiterQuery q) {
      onWaiterQuery(q);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lock manager

  private Entry entry(LockId lock) {
    Entry e = table.get(lock);
    if (e == null) {
      throw new IllegalStateException(self + " was asked about " + lock + ", not one of its own");
    }
    return e;
  }

  private void onRequest(LockMessage.Request r) {
    Entry e = entry(r.lock());
    if (e.holder == null) {
      e.holder = r.txn();
      send(r.txn().member(), new LockMessage.Grant(r.lock(), r.txn()));
    } else {
      e.queue.addLast(r.txn());
    }
  }

  private void onRelease(LockMessage.Release r) {
    Entry e = entry(r.lock());
    if (!r.txn().equals(e.holder)) {
      throw new IllegalStateException(self + ": " + r + " but the holder is " + e.holder);
    }
    e.holder = e.queue.pollFirst();
    if (e.holder != null) {
      send(e.holder.member(), new LockMessage.Grant(r.lock(), e.holder));
    }
  }

  private void onCancel(LockMessage.Cancel c) {
    // Granted already? Then the grant finds the transaction aborted and comes back as a release.
    entry(c.lock()).queue.remove(c.txn());
  }

  // ---------------------------------------------------------------------------------------------
  // Process

  private void begin() {
    txn = new TxnId(self, ++txnSeq);
    int count = Math.min(othersLocks.size(),
        random.nextInt(100) < workload.thirdLockPercent() ? 3 : 2);
    List<LockId> pool = new ArrayList<>(othersLocks);
    List<LockId> picked = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      picked.add(pool.remove(random.nextInt(pool.size()))); // random order: no lock ordering
    }
    plan = picked;
    planned = 0;
    requestNext();
  }

  private void requestNext() {
    waitingFor = plan.get(planned++);
    appEffects.add(new Effect.Deliver<>(new Waiting(txn, waitingFor)));
    send(waitingFor.owner(), new LockMessage.Request(waitingFor, txn));
    // Drawn, not fixed: the members of one deadlock then rarely all look at once, and the first
    // to look usually resolves it before the others' timers fire.
    appEffects.add(new Effect.SetTimer<>(SUSPECT_TIMER, gap(workload.suspectAfterNanos())));
  }

  private void onGrant(LockMessage.Grant g) {
    if (!g.txn().equals(txn) || !g.lock().equals(waitingFor)) {
      send(g.lock().owner(), new LockMessage.Release(g.lock(), g.txn())); // its txn was aborted
      return;
    }
    held.add(waitingFor);
    appEffects.add(new Effect.Deliver<>(new Acquired(txn, waitingFor)));
    waitingFor = null;
    appEffects.add(new Effect.CancelTimer<>(SUSPECT_TIMER));
    if (planned < plan.size()) {
      requestNext();
    } else {
      appEffects.add(new Effect.SetTimer<>(HOLD_TIMER, gap(workload.holdNanos())));
    }
  }

  private void finish() {
    TxnId ended = txn;
    releaseAll();
    appEffects.add(new Effect.Deliver<>(new Finished(ended)));
  }

  private void onAbort(LockMessage.Abort a) {
    if (!a.txn().equals(txn) || waitingFor == null) {
      return; // over already: a second snapshot saw the same deadlock
    }
    TxnId victim = txn;
    send(waitingFor.owner(), new LockMessage.Cancel(waitingFor, victim));
    waitingFor = null;
    appEffects.add(new Effect.CancelTimer<>(SUSPECT_TIMER));
    releaseAll();
    appEffects.add(new Effect.Deliver<>(new Aborted(victim)));
  }

  private void releaseAll() {
    for (LockId lock : held) {
      send(lock.owner(), new LockMessage.Release(lock, txn));
    }
    held.clear();
    txn = null;
    appEffects.add(new Effect.SetTimer<>(TXN_TIMER, gap(workload.idleNanos())));
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshot detector

  /**
   * The process has waited for one lock for a while: both detectors look for a deadlock. One
   * snapshot of this member's at a time is enough: it sees every deadlock standing at its cut.
   */
  private void suspect(Now now, List<Effect<DeadlockSimMessage>> out) {
    if (waitingFor == null) {
      return;
    }
    if (snapshots.collecting() == 0) {
      inner(new Event.Request<>(new SnapshotCore.TakeSnapshot(), now), out);
    }
    probe();
    appEffects.add(new Effect.SetTimer<>(SUSPECT_TIMER, 2 * gap(workload.suspectAfterNanos())));
  }

  private void detect(SnapshotCore.SnapshotCompleted<LockMessage, LockTables> done) {
    List<LockMessage> inFlight = variant == DetectorVariant.IGNORE_CHANNELS
        ? List.of() : WaitForGraph.inFlight(done.inFlight(), done.states());
    for (List<TxnEdge> cycle : WaitForGraph.fromSnapshot(done.states(), inFlight).cycles()) {
      TxnId victim = Collections.max(cycle.stream().map(TxnEdge::waiter).toList(),
          (a, b) -> a.seq() != b.seq() ? Long.compare(a.seq(), b.seq()) : a.compareTo(b));
      appEffects.add(new Effect.Deliver<>(
          new SnapshotDeadlockFound(done.snapshot().id(), cycle, victim)));
      if (variant == DetectorVariant.NO_ABORT) {
        continue;
      }
      LockMessage.Abort abort = new LockMessage.Abort(victim, cycle);
      if (victim.member().equals(self)) {
        onAbort(abort);
      } else {
        send(victim.member(), abort);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Naive detector

  private void probe() {
    ProbeId id = new ProbeId(self, ++probeSeq);
    appEffects.add(new Effect.Deliver<>(new NaiveProbeStarted(id, txn, waitingFor)));
    send(waitingFor.owner(), new LockMessage.HolderQuery(id, List.of(), self, waitingFor));
  }

  /** "Who holds this lock?", answered from the table as it is now. */
  private void onHolderQuery(LockMessage.HolderQuery q) {
    TxnId holder = entry(q.lock()).holder;
    if (holder == null || holder.member().equals(q.waiter())) {
      return; // free, or a self-loop (the table lags the process): nobody to chase
    }
    List<ProcessEdge> path = new ArrayList<>(q.path());
    path.add(new ProcessEdge(q.waiter(), q.lock(), holder.member()));
    if (holder.member().equals(q.probe().origin())) {
      appEffects.add(new Effect.Deliver<>(new NaiveDeadlockReported(q.probe(), path)));
      return;
    }
    for (ProcessEdge e : q.path()) {
      if (e.waiter().equals(holder.member())) {
        return; // a cycle that does not pass through the origin: its own probes will find it
      }
      if (e.lock().equals(q.lock())) {
        return; // one lock, two holders: answers from different moments, plainly inconsistent
      }
    }
    LockMessage.WaiterQuery next = new LockMessage.WaiterQuery(q.probe(), path, holder.member());
    if (holder.member().equals(self)) {
      onWaiterQuery(next);
    } else {
      send(holder.member(), next);
    }
  }

  /** "What are you waiting for?", answered from the process as it is now. */
  private void onWaiterQuery(LockMessage.WaiterQuery q) {
    if (waitingFor != null) {
      send(waitingFor.owner(), new LockMessage.HolderQuery(q.probe(), q.path(), self, waitingFor));
    }
  }
}
