package dev.meridian.sim.deadlock;

import dev.meridian.NodeId;
import dev.meridian.sim.Step;
import dev.meridian.sim.deadlock.LockMessage.LockId;
import dev.meridian.sim.deadlock.LockMessage.ProbeId;
import dev.meridian.sim.deadlock.LockMessage.ProcessEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnId;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The simulator's ground truth of the {@code deadlock} scenario, built from what the processes
 * delivered as it happened (never from a snapshot or a lock table): each process's transaction,
 * the locks it holds and the lock it waits for, at every instant.
 *
 * <p>The true wait-for graph has an edge {@code T -L-> U} when T waits for L and U holds it (has
 * received its grant and not released it). A cycle in it is a real deadlock: every transaction on
 * it waits, and a waiting transaction releases nothing, so the cycle stays until one of them is
 * aborted. The truth keeps every deadlock that ever formed, with when it formed and ended, and
 * where each member's cut fell in each snapshot (its process state at that moment), so that a
 * reported cycle can be judged against the state of the cut it was read from.
 */
final class DeadlockTruth {

  /** One process's state. */
  static final class Process {
    TxnId txn;
    LockId waiting;
    final Set<LockId> held = new TreeSet<>();

    Process copy() {
      Process p = new Process();
      p.txn = txn;
      p.waiting = waiting;
      p.held.addAll(held);
      return p;
    }
  }

  /** A real deadlock: its cycle, when it formed, ended (-1: not yet) and was first reported. */
  static final class Deadlock {
    final List<TxnEdge> cycle;
    final Set<ProcessEdge> processEdges;
    final long formedAt;
    long resolvedAt = -1;
    long reportedAt = -1;

    Deadlock(List<TxnEdge> cycle, long formedAt) {
      this.cycle = cycle;
      this.processEdges = processEdges(cycle);
      this.formedAt = formedAt;
    }
  }

  private final Map<NodeId, Process> processes = new TreeMap<>();
  private final Map<List<TxnEdge>, Deadlock> current = new LinkedHashMap<>();
  private final Map<List<TxnEdge>, Deadlock> all = new HashMap<>();
  private final Map<Set<ProcessEdge>, List<Deadlock>> byProcessEdges = new HashMap<>();
  private final Map<SnapshotId, Map<NodeId, Process>> cuts = new LinkedHashMap<>();
  private final Map<ProbeId, Long> probeStarts = new HashMap<>();
  final List<Deadlock> deadlocks = new ArrayList<>();
  /** Two transactions holding one lock at once: a bug of the lock manager. */
  String exclusionBroken;

  // What the last step reported, judged.
  final List<LockSimCore.SnapshotDeadlockFound> snapshotReports = new ArrayList<>();
  final List<String> snapshotPhantoms = new ArrayList<>();
  final List<LockSimCore.NaiveDeadlockReported> naiveReports = new ArrayList<>();
  final List<String> naivePhantoms = new ArrayList<>();

  /** Transactions that ended by releasing their locks, and those aborted as victims. */
  long finished;
  long aborted;
  /** The first snapshot report judged real, described; null before there is one. */
  String firstRealSnapshotReport;
  private long snapshotReportCount;
  private long snapshotPhantomCount;
  private long naiveReportCount;
  private long naivePhantomCount;

  /** Takes in one step; fills the report lists with this step's reports and their verdicts. */
  void observe(Step<DeadlockSimMessage> step) {
    snapshotReports.clear();
    snapshotPhantoms.clear();
    naiveReports.clear();
    naivePhantoms.clear();
    long now = step.trueTimeNanos();
    boolean changed = false;
    for (Object d : step.delivered()) {
      Process p = processes.computeIfAbsent(step.node(), k -> new Process());
      if (d instanceof LockSimCore.Waiting w) {
        p.txn = w.txn();
        p.waiting = w.lock();
        changed = true;
      } else if (d instanceof LockSimCore.Acquired a) {
        p.waiting = null;
        p.held.add(a.lock());
        changed = true;
      } else if (d instanceof LockSimCore.Finished || d instanceof LockSimCore.Aborted) {
        if (d instanceof LockSimCore.Finished) {
          finished++;
        } else {
          aborted++;
        }
        p.txn = null;
        p.waiting = null;
        p.held.clear();
        changed = true;
      } else if (d instanceof LockSimCore.Recorded r) {
        cuts.computeIfAbsent(r.id(), k -> new TreeMap<>()).put(step.node(), p.copy());
        if (cuts.size() > 512) {
          Iterator<SnapshotId> oldest = cuts.keySet().iterator();
          oldest.next();
          oldest.remove();
        }
      } else if (d instanceof LockSimCore.SnapshotDeadlockFound f) {
        if (changed) {
          update(now); // the report may follow an abort in the same step
          changed = false;
        }
        snapshotReports.add(f);
        judgeSnapshotReport(f, now).ifPresent(snapshotPhantoms::add);
      } else if (d instanceof LockSimCore.NaiveProbeStarted s) {
        probeStarts.put(s.probe(), now);
      } else if (d instanceof LockSimCore.NaiveDeadlockReported r) {
        if (changed) {
          update(now); // a deadlock may have formed earlier in this step
          changed = false;
        }
        naiveReports.add(r);
        judgeNaiveReport(r, now).ifPresent(naivePhantoms::add);
      }
    }
    if (changed) {
      update(now);
    }
    snapshotReportCount += snapshotReports.size();
    snapshotPhantomCount += snapshotPhantoms.size();
    naiveReportCount += naiveReports.size();
    naivePhantomCount += naivePhantoms.size();
  }

  /** Recomputes the true graph: deadlocks that formed or ended now. */
  private void update(long now) {
    Map<LockId, TxnId> holders = new HashMap<>();
    for (Process p : processes.values()) {
      for (LockId lock : p.held) {
        TxnId before = holders.put(lock, p.txn);
        if (before != null && exclusionBroken == null) {
          exclusionBroken = lock + " is held by " + before + " and " + p.txn + " at once";
        }
      }
    }
    WaitForGraph graph = new WaitForGraph();
    for (Process p : processes.values()) {
      TxnId holder = p.waiting == null ? null : holders.get(p.waiting);
      if (holder != null) {
        graph.add(new TxnEdge(p.txn, p.waiting, holder));
      }
    }
    Set<List<TxnEdge>> cycles = new java.util.HashSet<>(graph.cycles());
    for (Iterator<Map.Entry<List<TxnEdge>, Deadlock>> it = current.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<List<TxnEdge>, Deadlock> e = it.next();
      if (!cycles.contains(e.getKey())) {
        e.getValue().resolvedAt = now;
        it.remove();
      }
    }
    for (List<TxnEdge> cycle : cycles) {
      if (!current.containsKey(cycle)) {
        Deadlock d = new Deadlock(cycle, now);
        current.put(cycle, d);
        all.put(cycle, d);
        deadlocks.add(d);
        byProcessEdges.computeIfAbsent(d.processEdges, k -> new ArrayList<>()).add(d);
      }
    }
  }

  /**
   * A snapshot report is real when every edge of its cycle held in the cut: the waiter's process
   * was waiting for that lock where its member's cut fell, and the holder's process held it where
   * its own member's cut fell. Such a cycle is a deadlock of the recorded state, hence (being
   * stable) a real one, which must then be one the truth saw form.
   */
  private Optional<String> judgeSnapshotReport(LockSimCore.SnapshotDeadlockFound f, long now) {
    Map<NodeId, Process> cut = cuts.getOrDefault(f.id(), Map.of());
    for (TxnEdge e : f.cycle()) {
      Process w = cut.get(e.waiter().member());
      Process h = cut.get(e.holder().member());
      if (w == null || !e.waiter().equals(w.txn) || !e.lock().equals(w.waiting)) {
        return Optional.of("snapshot " + f.id() + " reported " + f.cycle() + ", but at "
            + e.waiter().member() + "'s cut " + e.waiter() + " was not waiting for " + e.lock()
            + " (" + describe(w) + ")");
      }
      if (h == null || !e.holder().equals(h.txn) || !h.held.contains(e.lock())) {
        return Optional.of("snapshot " + f.id() + " reported " + f.cycle() + ", but at "
            + e.holder().member() + "'s cut " + e.holder() + " did not hold " + e.lock() + " ("
            + describe(h) + ")");
      }
    }
    Deadlock d = all.get(WaitForGraph.canonical(f.cycle()));
    if (d == null) {
      return Optional.of("snapshot " + f.id() + " reported " + f.cycle()
          + ", which every cut agrees with but which never formed in the run");
    }
    if (d.reportedAt < 0) {
      d.reportedAt = now;
    }
    if (firstRealSnapshotReport == null) {
      firstRealSnapshotReport = "snapshot " + f.id() + " found " + f.cycle() + " at " + now
          + " ns, " + (now - d.formedAt) / 1000 + " us after it formed, and aborted " + f.victim();
    }
    return Optional.empty();
  }

  /**
   * A naive report is real when some real deadlock with exactly these process edges existed at
   * some instant between the probe's start and the report; otherwise it is a phantom.
   */
  private Optional<String> judgeNaiveReport(LockSimCore.NaiveDeadlockReported r, long now) {
    long start = probeStarts.getOrDefault(r.probe(), now);
    for (Deadlock d : byProcessEdges.getOrDefault(Set.copyOf(r.cycle()), List.of())) {
      if (d.formedAt <= now && (d.resolvedAt < 0 || d.resolvedAt >= start)) {
        return Optional.empty();
      }
    }
    return Optional.of(r.probe() + " reported " + r.cycle() + " at " + now
        + " ns; no such cycle existed at any instant since the probe started at " + start
        + " ns (truly, then: " + trueStateOf(r.cycle()) + ")");
  }

  /** What the processes of {@code cycle} truly hold and wait for now, and who holds those locks. */
  private String trueStateOf(List<ProcessEdge> cycle) {
    Map<LockId, TxnId> holders = new HashMap<>();
    for (Process p : processes.values()) {
      p.held.forEach(lock -> holders.put(lock, p.txn));
    }
    StringBuilder sb = new StringBuilder();
    for (ProcessEdge e : cycle) {
      Process p = processes.get(e.waiter());
      sb.append(sb.length() == 0 ? "" : "; ").append(e.waiter().value()).append(": ")
          .append(describe(p));
      if (p != null && p.waiting != null) {
        TxnId holder = holders.get(p.waiting);
        sb.append(", which ").append(holder == null ? "nobody holds" : holder + " holds");
      }
    }
    return sb.toString();
  }

  /** The figures of the run so far. */
  DeadlockFigures figures() {
    long found = deadlocks.stream().filter(d -> d.reportedAt >= 0).count();
    return new DeadlockFigures(deadlocks.size(), found, snapshotReportCount,
        snapshotPhantomCount, naiveReportCount, naivePhantomCount);
  }

  /** The deadlocks still standing, oldest first. */
  Iterable<Deadlock> current() {
    return current.values();
  }

  private static Set<ProcessEdge> processEdges(List<TxnEdge> cycle) {
    Set<ProcessEdge> edges = new java.util.HashSet<>();
    for (TxnEdge e : cycle) {
      edges.add(new ProcessEdge(e.waiter().member(), e.lock(), e.holder().member()));
    }
    return Set.copyOf(edges);
  }

  private static String describe(Process p) {
    if (p == null) {
      return "no recording";
    }
    if (p.txn == null) {
      return "between transactions";
    }
    return p.txn + " holding " + p.held + (p.waiting == null ? "" : ", waiting for " + p.waiting);
  }
}
