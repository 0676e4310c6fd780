package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.nodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.sim.SimTestSupport.Chatter;
import dev.meridian.sim.SimTestSupport.Ping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Same seed, same run: the property every replayed violation rests on. */
class SimulationDeterminismTest {

  /** Everything random switched on: loss, duplication, reordering, every fault, drifting clocks. */
  private static Simulation.Builder<Ping> everything(long seed, boolean keepTrace) {
    return Simulation.<Ping>builder()
        .seed(seed)
        .members(nodes(4))
        .cores(ctx -> new Chatter(ctx, 5 * MS))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 2 * MS), 0.1, 0.1, 0.2,
            10 * MS))
        .clocks(ClockModel.drifting(10 * MS, 1e-4).withSteps(50 * MS, false))
        .faults(new FaultModel(20 * MS, 2, 1, 2, 1, 1, 5 * MS, 60 * MS))
        .phases(300 * MS, 100 * MS)
        .keepTrace(keepTrace);
  }

  @Test
  void sameSeedGivesTheIdenticalTraceAndFingerprint() {
    SimulationResult first = everything(42, true).build().run();
    SimulationResult second = everything(42, true).build().run();

    assertTrue(first.trace().size() > 1000, "trace too short to mean much: " + first.trace().size());
    assertTrue(first.crashes() > 0 && first.messagesDropped() > 0,
        () -> "the run should exercise faults: crashes=" + first.crashes() + " dropped="
            + first.messagesDropped());
    assertEquals(first.trace(), second.trace());
    assertEquals(first.fingerprint(), second.fingerprint());
    assertEquals(first, second);
    assertEquals(first.events(), second.events());
  }

  @Test
  void traceLinesAreNumberedByEventIndex() {
    SimulationResult r = everything(42, true).build().run();
    long distinctIndexes = r.trace().stream()
        .map(l -> l.substring(1, l.indexOf(' ')))
        .distinct()
        .count();
    // Not every event leaves a trace line (a cancelled timer firing, a heal in the liveness
    // phase), but no line may carry an index outside the run's events.
    assertTrue(distinctIndexes <= r.events(), distinctIndexes + " > " + r.events());
    long previous = -1;
    for (String line : r.trace()) {
      long index = Long.parseLong(line.substring(1, line.indexOf(' ')));
      assertTrue(index >= 0 && index < r.events(), line);
      assertTrue(index >= previous, "trace out of order at " + line);
      previous = index;
    }
  }

  @Test
  void differentSeedGivesADifferentFingerprint() {
    SimulationResult a = everything(42, false).build().run();
    SimulationResult b = everything(43, false).build().run();
    assertNotEquals(a.fingerprint(), b.fingerprint());
  }

  @Test
  void fingerprintDoesNotDependOnKeepingTheTrace() {
    SimulationResult kept = everything(7, true).build().run();
    SimulationResult notKept = everything(7, false).build().run();
    assertEquals(kept.fingerprint(), notKept.fingerprint());
    assertEquals(kept.events(), notKept.events());
    assertEquals(List.of(), notKept.trace());
    assertTrue(kept.trace().size() > 0);
  }

  @Test
  void stepsAreDeterministicAndCarryConsistentCausalLinks() {
    List<Step<Ping>> one = new ArrayList<>();
    List<Step<Ping>> two = new ArrayList<>();
    everything(99, false).observer(one::add).build().run();
    everything(99, false).observer(two::add).build().run();
    assertEquals(one, two);

    for (Step<Ping> s : one) {
      assertEquals(s, one.get(s.stepIndex()));
      if (s.event() instanceof Event.Start<Ping>) {
        assertEquals(-1, s.previousStep(), "a start begins a new incarnation: " + s);
      } else {
        Step<Ping> previous = one.get(s.previousStep());
        assertEquals(s.node(), previous.node(), s.toString());
        assertEquals(s.incarnation(), previous.incarnation(), s.toString());
        assertTrue(previous.stepIndex() < s.stepIndex());
      }
      if (s.event() instanceof Event.Message<Ping> m) {
        Step<Ping> send = one.get(s.sendStep());
        assertTrue(send.effects().contains(new Effect.Send<>(s.node(), m.payload())),
            "step " + s.sendStep() + " did not send " + m.payload() + " to " + s.node());
        assertEquals(m.from(), send.node());
      } else {
        assertEquals(-1, s.sendStep(), s.toString());
      }
    }
  }

  @Test
  void eachIncarnationGetsItsOwnSeededRandomStream() {
    java.util.Map<String, Long> firstDraws = new java.util.LinkedHashMap<>();
    java.util.Map<String, Long> againDraws = new java.util.LinkedHashMap<>();
    for (java.util.Map<String, Long> draws : List.of(firstDraws, againDraws)) {
      Simulation.<Ping>builder()
          .seed(5)
          .members(nodes(3))
          .cores(ctx -> {
            draws.put(ctx.self() + "#" + ctx.incarnation(), ctx.random().nextLong());
            return event -> List.of();
          })
          .faults(new FaultModel(10 * MS, 0, 0, 1, 0, 1, MS, 5 * MS))
          .phases(200 * MS, 0)
          .build()
          .run();
    }
    assertEquals(firstDraws, againDraws);
    assertTrue(firstDraws.size() > 6, "too few incarnations: " + firstDraws.keySet());
    assertTrue(firstDraws.keySet().containsAll(List.of("n1#2", "n2#2", "n3#2")),
        firstDraws.keySet().toString());
    assertEquals(firstDraws.size(), firstDraws.values().stream().distinct().count(),
        "incarnations share a stream: " + firstDraws);
  }

  @Test
  void aSimulationRunsOnlyOnce() {
    Simulation<Ping> sim = Simulation.<Ping>builder()
        .members(List.of(NodeId.of("x")))
        .cores(ctx -> event -> List.of())
        .build();
    sim.run();
    IllegalStateException e = assertThrows(IllegalStateException.class, sim::run);
    assertTrue(e.getMessage().contains("runs once"), e.getMessage());
  }
}
