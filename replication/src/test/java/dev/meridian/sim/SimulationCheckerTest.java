package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.A;
import static dev.meridian.sim.SimTestSupport.B;
import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.nodes;
import static dev.meridian.sim.SimTestSupport.timeOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.sim.SimTestSupport.Chatter;
import dev.meridian.sim.SimTestSupport.Ping;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Checkers stop a run at its first violation; maxEvents stops a run that never ends; requests. */
class SimulationCheckerTest {

  /** Fails on its {@code failAt}-th step (1-based) with {@code message}, or never when 0. */
  private static final class FailAt implements Checker<Ping> {
    final String name;
    final int failAt;
    final String endProblem;
    int calls;
    int atEndCalls;
    long failedAtEventIndex = -2;
    long atEndTime = -1;

    FailAt(String name, int failAt, String endProblem) {
      this.name = name;
      this.failAt = failAt;
      this.endProblem = endProblem;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Optional<String> afterStep(Step<Ping> step, Execution<Ping> execution) {
      calls++;
      if (calls == failAt) {
        failedAtEventIndex = step.eventIndex();
        return Optional.of("step " + step.stepIndex() + " is one too many");
      }
      return Optional.empty();
    }

    @Override
    public Optional<String> atEnd(Execution<Ping> execution) {
      atEndCalls++;
      atEndTime = execution.trueTimeNanos();
      return Optional.ofNullable(endProblem);
    }
  }

  private static Simulation.Builder<Ping> chatter(long seed) {
    return Simulation.<Ping>builder()
        .seed(seed)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 5 * MS))
        .network(NetworkModel.reliable().withLoss(0.2))
        .phases(200 * MS, 100 * MS);
  }

  @Test
  void aFailingCheckerStopsTheRunAtThatStep() {
    FailAt[] holder = new FailAt[1];
    List<Step<Ping>> observed = new ArrayList<>();
    SimulationResult r = chatter(5)
        .checker(() -> holder[0] = new FailAt("tenth", 10, null))
        .observer(observed::add)
        .keepTrace(true)
        .build()
        .run();
    FailAt checker = holder[0];

    assertFalse(r.ok());
    Violation v = r.violation().orElseThrow();
    assertEquals(5, v.seed());
    assertEquals("tenth", v.checker());
    assertEquals("step 9 is one too many", v.message());
    assertEquals(checker.failedAtEventIndex, v.eventIndex());
    assertEquals(observed.get(9).eventIndex(), v.eventIndex());
    assertTrue(v.eventIndex() >= 9);

    // Nothing ran after the failing step.
    assertEquals(10, checker.calls);
    assertEquals(10, r.steps());
    assertEquals(10, observed.size());
    assertEquals(v.eventIndex() + 1, r.events());
    assertTrue(r.trace().get(r.trace().size() - 1).startsWith("#" + v.eventIndex() + " "));
    // A run stopped by a violation is not judged at its end.
    assertEquals(0, checker.atEndCalls);

    assertEquals("seed=5 event=" + v.eventIndex() + " checker=tenth: step 9 is one too many",
        v.toString());
  }

  @Test
  void theFirstCheckerToFailIsReported() {
    SimulationResult r = chatter(5)
        .checker(() -> new FailAt("quiet", 0, null))
        .checker(() -> new FailAt("second", 12, null))
        .checker(() -> new FailAt("third", 12, null))
        .checker(() -> new FailAt("fourth", 20, null))
        .build()
        .run();
    assertEquals("second", r.violation().orElseThrow().checker());
    assertEquals(12, r.steps());
  }

  @Test
  void atEndIsCalledOnceAndItsFailureHasNoEventIndex() {
    FailAt[] holder = new FailAt[2];
    SimulationResult r = chatter(6)
        .checker(() -> holder[0] = new FailAt("fine", 0, null))
        .checker(() -> holder[1] = new FailAt("converged", 0, "n2 never heard of n3"))
        .build()
        .run();
    assertEquals(1, holder[0].atEndCalls);
    assertEquals(1, holder[1].atEndCalls);
    assertTrue(holder[0].calls > 50, "afterStep ran on every step: " + holder[0].calls);
    assertEquals(r.steps(), holder[0].calls);
    assertEquals(300 * MS, holder[1].atEndTime);
    Violation v = r.violation().orElseThrow();
    assertEquals(new Violation(6, -1, "converged", "n2 never heard of n3"), v);
    assertTrue(v.toString().startsWith("seed=6 event=-1 checker=converged: "), v.toString());
  }

  @Test
  void aPassingRunReportsNoViolation() {
    FailAt[] holder = new FailAt[1];
    SimulationResult r = chatter(6).checker(() -> holder[0] = new FailAt("fine", 0, null))
        .build().run();
    assertTrue(r.ok());
    assertEquals(1, holder[0].atEndCalls);
  }

  @Test
  void eachSimulationBuildsItsOwnCheckers() {
    AtomicInteger built = new AtomicInteger();
    Simulation.Builder<Ping> builder = chatter(6).checker(() -> {
      built.incrementAndGet();
      return new FailAt("counting", 0, null);
    });
    builder.build().run();
    assertEquals(1, built.get());
    builder.build().run();
    assertEquals(2, built.get());
  }

  @Test
  void maxEventsStopsAProtocolThatNeverQuiesces() {
    // Each receipt sends the ping straight back: it would go on forever.
    SimulationResult r = Simulation.<Ping>builder()
        .seed(2)
        .members(List.of(A, B))
        .cores(ctx -> event -> {
          if (event instanceof Event.Start<Ping> && ctx.self().equals(A)) {
            return List.of(new Effect.Send<>(B, new Ping(A, 1, 0)));
          }
          if (event instanceof Event.Message<Ping> m) {
            return List.of(new Effect.Send<>(m.from(),
                new Ping(ctx.self(), 1, m.payload().seq() + 1)));
          }
          return List.of();
        })
        .network(new NetworkModel(DelayDistribution.uniform(0, 0), 0, 0, 0, 0))
        .phases(3_600_000 * MS, 3_600_000 * MS)
        .maxEvents(1000)
        .build()
        .run();
    Violation v = r.violation().orElseThrow();
    assertEquals("simulation", v.checker());
    assertTrue(v.message().contains("maxEvents"), v.message());
    assertTrue(v.message().contains("1000"), v.message());
    assertEquals(1000, r.events());
    assertEquals(999, v.eventIndex());
    assertEquals(r.steps(), r.events());
  }

  @Test
  void requestsReachTheCoreAtTheirTime() {
    List<Step<Ping>> steps = new ArrayList<>();
    Object token = List.of("submit", 42);
    Simulation.<Ping>builder()
        .members(nodes(2))
        .cores(ctx -> new Chatter(ctx, 50 * MS))
        .request(0, NodeId.of("n1"), "at-zero")
        .request(17 * MS, NodeId.of("n2"), token)
        .request(17 * MS, NodeId.of("n1"), "same-time")
        .observer(steps::add)
        .build()
        .run();
    List<Step<Ping>> requests = steps.stream()
        .filter(s -> s.event() instanceof Event.Request<Ping>).toList();
    assertEquals(3, requests.size());
    assertEquals("at-zero", ((Event.Request<Ping>) requests.get(0).event()).request());
    assertEquals(0, requests.get(0).trueTimeNanos());
    assertEquals(NodeId.of("n1"), requests.get(0).node());
    // At time 0 the node has started first.
    assertTrue(requests.get(0).previousStep() >= 0);
    assertTrue(steps.get(requests.get(0).previousStep()).event() instanceof Event.Start<Ping>);

    assertEquals(token, ((Event.Request<Ping>) requests.get(1).event()).request());
    assertEquals(17 * MS, requests.get(1).trueTimeNanos());
    assertEquals(NodeId.of("n2"), requests.get(1).node());
    assertEquals(List.of(token), requests.get(1).delivered());
    assertEquals("same-time", ((Event.Request<Ping>) requests.get(2).event()).request());
    assertEquals(17 * MS, requests.get(2).trueTimeNanos());
    assertEquals(VirtualClock.EPOCH_NANOS + 17 * MS, requests.get(1).event().now().wallNanos());
  }

  @Test
  void aRequestToADownNodeIsRefusedAndTraced() {
    FaultModel crashes = new FaultModel(20 * MS, 0, 0, 1, 0, 1, 10 * MS, 30 * MS);
    // Find when some node is down...
    SimulationResult probe = chatter(3).faults(crashes).keepTrace(true).build().run();
    String crash = probe.trace().stream().filter(l -> l.contains(" crash ")).findFirst()
        .orElseThrow();
    long at = timeOf(crash) + 1;
    NodeId victim = NodeId.of(crash.substring(crash.indexOf(" crash ") + 7).split("#")[0]);

    // ...and send it a request then. The same seed crashes it at the same time.
    List<Step<Ping>> steps = new ArrayList<>();
    SimulationResult r = chatter(3).faults(crashes).keepTrace(true)
        .request(at, victim, "too-late")
        .observer(steps::add)
        .build()
        .run();
    assertTrue(r.trace().contains(crash), "the crash moved: " + crash);
    assertTrue(r.trace().stream().anyMatch(l -> l.startsWith("#") && timeOf(l) == at
            && l.endsWith("request to " + victim + " refused: node down: too-late")),
        "refusal not traced");
    assertTrue(steps.stream().noneMatch(s -> s.event() instanceof Event.Request<Ping>),
        "the request reached a core");
    assertEquals(probe.steps(), r.steps());
  }
}
