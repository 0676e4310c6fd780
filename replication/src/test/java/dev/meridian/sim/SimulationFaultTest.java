package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.nodes;
import static dev.meridian.sim.SimTestSupport.payload;
import static dev.meridian.sim.SimTestSupport.receives;
import static dev.meridian.sim.SimTestSupport.sent;
import static dev.meridian.sim.SimTestSupport.timeOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.sim.SimTestSupport.Chatter;
import dev.meridian.sim.SimTestSupport.Ping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Crashes, restarts, link cuts and partitions of the safety phase, and the heal that follows. */
class SimulationFaultTest {

  private static final long SAFETY = 400 * MS;
  private static final long LIVENESS = 200 * MS;

  /** A fault model with only the given kind of faults. */
  private static FaultModel only(int cut, int partition, int crash, int maxDown) {
    return new FaultModel(10 * MS, cut, partition, crash, 0, maxDown, 5 * MS, 40 * MS);
  }

  /** Counts the nodes down after each step and remembers the most seen at once. */
  private static final class DownCounter implements Checker<Ping> {
    final int maxDown;
    int mostDown;
    int livenessSteps;

    DownCounter(int maxDown) {
      this.maxDown = maxDown;
    }

    @Override
    public String name() {
      return "max-down";
    }

    @Override
    public Optional<String> afterStep(Step<Ping> step, Execution<Ping> execution) {
      int down = 0;
      for (NodeId id : execution.members()) {
        if (execution.incarnation(id) == 0) {
          // Not started yet (all nodes start at time 0, one after the other): not crashed.
          if (execution.isUp(id) || execution.core(id) != null
              || execution.trueTimeNanos() > 0) {
            return Optional.of(id + " in incarnation 0 at " + execution.trueTimeNanos());
          }
          continue;
        }
        if (!execution.isUp(id)) {
          down++;
          if (execution.core(id) != null) {
            return Optional.of(id + " is down but still has a core");
          }
        } else if (execution.core(id) == null) {
          return Optional.of(id + " is up without a core");
        }
      }
      mostDown = Math.max(mostDown, down);
      if (down > maxDown) {
        return Optional.of(down + " nodes down at once, more than " + maxDown);
      }
      if (execution.trueTimeNanos() > execution.livenessStartNanos()) {
        livenessSteps++;
        if (execution.phase() != Phase.LIVENESS) {
          return Optional.of("phase " + execution.phase() + " after the liveness start");
        }
        if (down > 0) {
          return Optional.of(down + " nodes still down in the liveness phase");
        }
      } else if (execution.trueTimeNanos() < execution.livenessStartNanos()
          && execution.phase() != Phase.SAFETY) {
        return Optional.of("phase " + execution.phase() + " before the liveness start");
      }
      return Optional.empty();
    }

    @Override
    public Optional<String> atEnd(Execution<Ping> execution) {
      for (NodeId id : execution.members()) {
        if (!execution.isUp(id)) {
          return Optional.of(id + " still down at the end");
        }
      }
      return Optional.empty();
    }
  }

  private record CrashRun(SimulationResult result, List<Step<Ping>> steps, int factoryCalls,
      DownCounter counter, Map<ProtocolCore<Ping>, String> coresBuilt) {}

  private static CrashRun crashRun(long seed, int members, int maxDown) {
    List<Step<Ping>> steps = new ArrayList<>();
    AtomicInteger factoryCalls = new AtomicInteger();
    Map<ProtocolCore<Ping>, String> coresBuilt = new IdentityHashMap<>();
    DownCounter[] counter = new DownCounter[1];
    SimulationResult r = Simulation.<Ping>builder()
        .seed(seed)
        .members(nodes(members))
        .cores(ctx -> {
          factoryCalls.incrementAndGet();
          Chatter core = new Chatter(ctx, 4 * MS);
          coresBuilt.put(core, ctx.self() + "#" + ctx.incarnation());
          return core;
        })
        .network(new NetworkModel(DelayDistribution.uniform(MS, 2 * MS), 0, 0, 0, 0))
        .faults(only(0, 0, 1, maxDown))
        .phases(SAFETY, LIVENESS)
        .checker(() -> counter[0] = new DownCounter(maxDown))
        .observer(steps::add)
        .keepTrace(true)
        .build()
        .run();
    assertTrue(r.ok(), () -> r.violation().toString());
    return new CrashRun(r, steps, factoryCalls.get(), counter[0], coresBuilt);
  }

  @Test
  void crashesHappenAndEachRestartIsAFreshIncarnation() {
    CrashRun run = crashRun(31, 3, 1);
    SimulationResult r = run.result();
    assertTrue(r.crashes() >= 5, "crashes " + r.crashes());
    // Every crashed node restarts (by the end of the safety phase at the latest) with a new core.
    assertEquals(3 + r.crashes(), run.factoryCalls());
    assertEquals(run.factoryCalls(), run.coresBuilt().size());
    assertEquals(r.crashes(), r.trace().stream().filter(l -> l.contains(" crash ")).count());
    assertEquals(r.crashes(), r.trace().stream().filter(l -> l.contains(" restart ")).count());

    List<Step<Ping>> starts = run.steps().stream()
        .filter(s -> s.event() instanceof Event.Start<Ping>).toList();
    assertEquals(run.factoryCalls(), starts.size());
    assertTrue(starts.stream().anyMatch(s -> s.incarnation() == 2), "no second incarnation");
    // Incarnations of a node count up one by one.
    Map<NodeId, List<Integer>> incarnations = starts.stream().collect(Collectors.groupingBy(
        Step::node, Collectors.mapping(Step::incarnation, Collectors.toList())));
    incarnations.forEach((node, list) -> {
      for (int i = 0; i < list.size(); i++) {
        assertEquals(i + 1, list.get(i), node + " incarnations " + list);
      }
    });
  }

  @Test
  void aRestartedNodeHasLostItsVolatileState() {
    CrashRun run = crashRun(31, 3, 1);
    // Each incarnation's first ping is number 0 again: the counter did not survive the crash.
    Map<String, List<Integer>> seqsByIncarnation = new HashMap<>();
    for (Step<Ping> s : run.steps()) {
      for (Ping p : sent(s)) {
        assertEquals(s.incarnation(), p.incarnation());
        seqsByIncarnation.computeIfAbsent(s.node() + "#" + s.incarnation(), k -> new ArrayList<>())
            .add(p.seq());
      }
    }
    long laterIncarnations = seqsByIncarnation.keySet().stream()
        .filter(k -> !k.endsWith("#1")).count();
    assertTrue(laterIncarnations > 0);
    seqsByIncarnation.forEach((incarnation, seqs) ->
        assertEquals(0, seqs.get(0), incarnation + " started at ping " + seqs.get(0)));
    // Each Start found a core that handled nothing before it.
    for (Step<Ping> s : run.steps()) {
      if (s.event() instanceof Event.Start<Ping>) {
        assertEquals(-1, s.previousStep());
      }
    }
  }

  @Test
  void newIncarnationRunsOnADifferentCoreObject() {
    List<String> problems = new ArrayList<>();
    Map<NodeId, ProtocolCore<Ping>> lastCore = new HashMap<>();
    Map<NodeId, Integer> lastIncarnation = new HashMap<>();
    Simulation.<Ping>builder()
        .seed(31)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .faults(only(0, 0, 1, 1))
        .phases(SAFETY, LIVENESS)
        .checker(() -> SimTestSupport.<Ping>checker("core-identity", (step, ex) -> {
          ProtocolCore<Ping> core = ex.core(step.node());
          Integer previousIncarnation = lastIncarnation.put(step.node(), step.incarnation());
          ProtocolCore<Ping> previousCore = lastCore.put(step.node(), core);
          if (ex.incarnation(step.node()) != step.incarnation()) {
            problems.add("incarnation mismatch at " + step);
          }
          if (previousIncarnation != null && previousIncarnation == step.incarnation()
              && previousCore != core) {
            problems.add("core replaced within incarnation at " + step);
          }
          if (previousIncarnation != null && previousIncarnation != step.incarnation()
              && previousCore == core) {
            problems.add("core reused across incarnations at " + step);
          }
          return Optional.empty();
        }))
        .build()
        .run();
    assertEquals(List.of(), problems);
    assertTrue(lastIncarnation.values().stream().anyMatch(i -> i > 1));
  }

  @Test
  void neverMoreThanMaxDownNodesAreDownAndAllAreUpInTheLivenessPhase() {
    CrashRun one = crashRun(31, 3, 1);
    assertEquals(1, one.counter().mostDown);
    assertTrue(one.counter().livenessSteps > 100, "liveness steps " + one.counter().livenessSteps);

    // With a bound of two, two nodes do go down together, but never three.
    CrashRun two = crashRun(32, 5, 2);
    assertEquals(2, two.counter().mostDown);
    assertTrue(two.counter().livenessSteps > 100);
  }

  @Test
  void noNodeCrashesWhenMaxDownIsZero() {
    SimulationResult r = Simulation.<Ping>builder()
        .seed(31)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .faults(only(0, 0, 1, 0))
        .phases(SAFETY, LIVENESS)
        .build()
        .run();
    assertEquals(0, r.crashes());
  }

  @Test
  void messagesToADownNodeAreDropped() {
    CrashRun run = crashRun(31, 3, 1);
    SimulationResult r = run.result();
    long toDownNode = r.trace().stream().filter(l -> l.endsWith(": destination down")).count();
    assertTrue(toDownNode > 0, "no message reached a crashed node");
    // The network is reliable and nothing is cut: every drop is one to a down node.
    assertEquals(r.messagesDropped(), toDownNode);
    // No down node handled a message: every receive was by an incarnation that was up.
    Map<String, Long> received = receives(run.steps()).stream()
        .collect(Collectors.groupingBy(s -> payload(s).toString(), Collectors.counting()));
    long sentBeforeEnd = run.steps().stream()
        .filter(s -> s.trueTimeNanos() <= SAFETY + LIVENESS - 2 * MS)
        .mapToLong(s -> sent(s).size()).sum();
    long receivedOfThose = run.steps().stream()
        .filter(s -> s.trueTimeNanos() <= SAFETY + LIVENESS - 2 * MS)
        .flatMap(s -> sent(s).stream())
        .filter(p -> received.containsKey(p.toString()))
        .count();
    assertEquals(sentBeforeEnd, receivedOfThose + toDownNode);
  }

  @Test
  void linkCutsAndPartitionsDropMessagesUntilTheLivenessPhaseHealsThem() {
    for (long seed : new long[] {41, 42}) {
      List<Step<Ping>> steps = new ArrayList<>();
      SimulationResult r = Simulation.<Ping>builder()
          .seed(seed)
          .members(nodes(4))
          .cores(ctx -> new Chatter(ctx, 4 * MS))
          .network(new NetworkModel(DelayDistribution.uniform(MS, 2 * MS), 0, 0, 0, 0))
          .faults(only(1, 1, 0, 0))
          .phases(SAFETY, LIVENESS)
          .observer(steps::add)
          .keepTrace(true)
          .build()
          .run();
      assertTrue(r.ok());
      assertEquals(0, r.crashes());
      List<String> trace = r.trace();
      long cut = trace.stream().filter(l -> l.endsWith(": link cut")).count();
      assertTrue(cut > 0, "seed " + seed + ": nothing was cut");
      assertEquals(r.messagesDropped(), cut);
      assertTrue(trace.stream().anyMatch(l -> l.contains(" cut n")), "no link cut injected");
      assertTrue(trace.stream().anyMatch(l -> l.contains(" partition [")), "no partition");
      assertTrue(trace.stream().anyMatch(l -> l.contains(" heal ")), "nothing healed");
      assertTrue(trace.stream().anyMatch(l -> l.contains("liveness phase")));

      // No drop at all once the liveness phase began...
      for (String line : trace) {
        if (line.contains(" drop ")) {
          assertTrue(timeOf(line) < SAFETY, line);
        }
      }
      // ...and every message sent in it (early enough to arrive before the end) arrived once.
      Map<Ping, Long> received = receives(steps).stream()
          .collect(Collectors.groupingBy(SimTestSupport::payload, Collectors.counting()));
      List<Ping> livenessSends = steps.stream()
          .filter(s -> s.trueTimeNanos() >= SAFETY
              && s.trueTimeNanos() <= SAFETY + LIVENESS - 2 * MS)
          .flatMap(s -> sent(s).stream()).toList();
      assertTrue(livenessSends.size() > 100);
      for (Ping p : livenessSends) {
        assertEquals(1L, received.getOrDefault(p, 0L), p.toString());
      }
    }
  }

  @Test
  void livenessPhaseUsesALosslessNetworkByDefault() {
    List<Step<Ping>> steps = new ArrayList<>();
    SimulationResult r = Simulation.<Ping>builder()
        .seed(8)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .network(new NetworkModel(DelayDistribution.uniform(MS, MS), 0.5, 0, 0, 0))
        .phases(100 * MS, 100 * MS)
        .observer(steps::add)
        .keepTrace(true)
        .build()
        .run();
    assertTrue(r.messagesDropped() > 10);
    assertTrue(r.trace().stream().filter(l -> l.endsWith(": lost"))
        .allMatch(l -> timeOf(l) < 100 * MS));
    assertFalse(steps.isEmpty());

    // An explicit liveness network is followed instead.
    SimulationResult lossy = Simulation.<Ping>builder()
        .seed(8)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .network(new NetworkModel(DelayDistribution.uniform(MS, MS), 0, 0, 0, 0))
        .livenessNetwork(new NetworkModel(DelayDistribution.uniform(MS, MS), 1.0, 0, 0, 0))
        .phases(100 * MS, 100 * MS)
        .keepTrace(true)
        .build()
        .run();
    assertTrue(lossy.messagesDropped() > 10);
    assertTrue(lossy.trace().stream().filter(l -> l.endsWith(": lost"))
        .allMatch(l -> timeOf(l) >= 100 * MS));
  }

  @Test
  void noFaultModelMeansNoFaults() {
    SimulationResult r = Simulation.<Ping>builder()
        .seed(8)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .keepTrace(true)
        .build()
        .run();
    assertEquals(0, r.crashes());
    assertEquals(0, r.messagesDropped());
    assertFalse(r.trace().stream().anyMatch(l -> l.contains(" cut ") || l.contains(" partition ")
        || l.contains(" crash ") || l.contains("clock step")));
  }

  @Test
  void downNodeHasNoCoreInTheExecutionView() {
    List<Boolean> sawDownWithoutCore = new ArrayList<>();
    Simulation.<Ping>builder()
        .seed(31)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 4 * MS))
        .faults(only(0, 0, 1, 1))
        .phases(SAFETY, LIVENESS)
        .checker(() -> SimTestSupport.<Ping>checker("down-view", (step, ex) -> {
          for (NodeId id : ex.members()) {
            if (!ex.isUp(id)) {
              assertNull(ex.core(id));
              if (ex.incarnation(id) > 0) { // crashed, not merely not started yet
                sawDownWithoutCore.add(true);
              }
            } else {
              assertNotSame(null, ex.core(id));
            }
          }
          return Optional.empty();
        }))
        .build()
        .run();
    assertFalse(sawDownWithoutCore.isEmpty());
  }
}
