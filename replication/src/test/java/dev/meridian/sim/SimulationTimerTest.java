package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.A;
import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.nodes;
import static dev.meridian.sim.SimTestSupport.timeOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Timers: set, replaced, cancelled, measured on the monotonic clock, lost with a crash. */
class SimulationTimerTest {

  private record Fired(String name, long trueNanos) {}

  private static List<Fired> fired(List<Step<String>> steps) {
    List<Fired> out = new ArrayList<>();
    for (Step<String> s : steps) {
      if (s.event() instanceof Event.Timer<String> t) {
        out.add(new Fired(t.name(), s.trueTimeNanos()));
      }
    }
    return out;
  }

  @Test
  void timersFireAfterTheirDelayAndReplacingOrCancellingWorks() {
    List<Step<String>> steps = new ArrayList<>();
    Simulation.<String>builder()
        .members(List.of(A))
        .cores(SimTestSupport.scripted(event -> {
          List<Effect<String>> out = new ArrayList<>();
          if (event instanceof Event.Start<String>) {
            out.add(new Effect.SetTimer<>("a", 10 * MS));
            out.add(new Effect.SetTimer<>("b", 20 * MS)); // replaced by a later one
            out.add(new Effect.SetTimer<>("b", 50 * MS));
            out.add(new Effect.SetTimer<>("d", 50 * MS)); // replaced by an earlier one
            out.add(new Effect.SetTimer<>("d", 20 * MS));
            out.add(new Effect.SetTimer<>("c", 5 * MS)); // cancelled at once
            out.add(new Effect.CancelTimer<>("c"));
            out.add(new Effect.SetTimer<>("x", 40 * MS)); // cancelled by the request at 30 ms
            out.add(new Effect.CancelTimer<>("never-set")); // no effect
            out.add(new Effect.SetTimer<>("zero", 0));
          } else if (event instanceof Event.Request<String> r) {
            out.add(new Effect.CancelTimer<>((String) r.request()));
          } else if (event instanceof Event.Timer<String> t) {
            out.add(new Effect.Deliver<>(t.name()));
          }
          return out;
        }))
        .request(30 * MS, A, "x")
        .phases(100 * MS, 100 * MS)
        .observer(steps::add)
        .build()
        .run();

    assertEquals(List.of(
        new Fired("zero", 0),
        new Fired("a", 10 * MS),
        new Fired("d", 20 * MS),
        new Fired("b", 50 * MS)), fired(steps));
  }

  @Test
  void aTimerCanBeSetAgainFromItsOwnFiring() {
    List<Step<String>> steps = new ArrayList<>();
    Simulation.<String>builder()
        .members(List.of(A))
        .cores(ctx -> new dev.meridian.core.ProtocolCore<String>() {
          int fired;

          @Override
          public List<Effect<String>> handle(Event<String> event) {
            if (event instanceof Event.Start<String>) {
              return List.of(new Effect.SetTimer<>("p", 7 * MS));
            }
            if (event instanceof Event.Timer<String> && ++fired < 4) {
              return List.of(new Effect.SetTimer<>("p", 7 * MS));
            }
            return List.of();
          }
        })
        .observer(steps::add)
        .build()
        .run();
    assertEquals(List.of(new Fired("p", 7 * MS), new Fired("p", 14 * MS), new Fired("p", 21 * MS),
        new Fired("p", 28 * MS)), fired(steps));
  }

  @Test
  void timerDelaysAreMeasuredOnTheDriftingMonotonicClock() {
    long delay = 100 * MS;
    List<Step<String>> steps = new ArrayList<>();
    Map<NodeId, VirtualClock> clocks = new HashMap<>();
    Simulation.<String>builder()
        .seed(3)
        .members(nodes(6))
        .cores(SimTestSupport.scripted(event -> event instanceof Event.Start<String>
            ? List.of(new Effect.SetTimer<>("t", delay)) : List.of()))
        .clocks(ClockModel.drifting(5 * MS, 0.05))
        .checker(() -> SimTestSupport.checker("clock-collector", (step, ex) -> {
          clocks.put(step.node(), ex.clock(step.node()));
          return java.util.Optional.empty();
        }))
        .observer(steps::add)
        .build()
        .run();

    int sawDrift = 0;
    for (Step<String> s : steps) {
      if (s.event() instanceof Event.Timer<String> t) {
        Step<String> start = steps.get(s.previousStep());
        assertTrue(start.event() instanceof Event.Start<String>);
        long monotonicElapsed = t.now().monotonicNanos() - start.event().now().monotonicNanos();
        assertTrue(Math.abs(monotonicElapsed - delay) <= 1,
            s.node() + " timer after " + monotonicElapsed + " ns of its monotonic clock");
        long trueElapsed = s.trueTimeNanos() - start.trueTimeNanos();
        double drift = clocks.get(s.node()).drift();
        assertEquals((long) Math.ceil(delay / (1.0 + drift)), trueElapsed, s.node().toString());
        if (Math.abs(trueElapsed - delay) > MS) {
          sawDrift++;
        }
      }
    }
    assertEquals(6, fired(steps).size());
    assertTrue(sawDrift > 0, "no node drifted enough to matter");
  }

  @Test
  void timersOfACrashedIncarnationNeverFireAfterItsRestart() {
    long period = 30 * MS;
    long late = 100 * MS;
    List<Step<String>> steps = new ArrayList<>();
    SimulationResult r = Simulation.<String>builder()
        .seed(12)
        .members(nodes(3))
        .cores(ctx -> event -> {
          if (event instanceof Event.Start<String>) {
            // A periodic timer every incarnation shares by name, and one of its own.
            return List.of(new Effect.SetTimer<>("tick", period),
                new Effect.SetTimer<>("late-" + ctx.incarnation(), late));
          }
          if (event instanceof Event.Timer<String> t && t.name().equals("tick")) {
            return List.of(new Effect.SetTimer<>("tick", period));
          }
          return List.of();
        })
        .faults(new FaultModel(15 * MS, 0, 0, 1, 0, 1, 5 * MS, 20 * MS))
        .phases(600 * MS, 200 * MS)
        .keepTrace(true)
        .observer(steps::add)
        .build()
        .run();
    assertTrue(r.crashes() >= 5, "crashes " + r.crashes());

    // Every firing comes exactly one delay after the step of the same incarnation that set it:
    // none is left over from an earlier incarnation.
    int tickSteps = 0;
    int lateSteps = 0;
    for (Step<String> s : steps) {
      if (s.event() instanceof Event.Timer<String> t) {
        Step<String> previous = steps.get(s.previousStep());
        assertEquals(s.incarnation(), previous.incarnation());
        if (t.name().equals("tick")) {
          tickSteps++;
          Step<String> setter = previous;
          while (!setter.effects().contains(new Effect.SetTimer<String>("tick", period))) {
            setter = steps.get(setter.previousStep());
          }
          assertEquals(s.incarnation(), setter.incarnation());
          assertEquals(setter.trueTimeNanos() + period, s.trueTimeNanos(), s.toString());
        } else {
          lateSteps++;
          assertEquals("late-" + s.incarnation(), t.name(), "fired in the wrong incarnation");
          Step<String> start = steps.stream()
              .filter(x -> x.node().equals(s.node()) && x.incarnation() == s.incarnation())
              .findFirst().orElseThrow();
          assertEquals(start.trueTimeNanos() + late, s.trueTimeNanos(), s.toString());
        }
      }
    }
    assertTrue(tickSteps > 50, "tick steps " + tickSteps);
    assertTrue(lateSteps > 0, "no late timer survived its incarnation");

    // And the test means something: some incarnations restarted while a timer of the crashed one
    // was still due to fire.
    int pendingAcrossRestart = 0;
    for (String line : r.trace()) {
      if (line.contains(" crash ")) {
        long crashAt = timeOf(line);
        String[] victim = line.substring(line.indexOf(" crash ") + 7).split("[# ]");
        NodeId node = NodeId.of(victim[0]);
        int incarnation = Integer.parseInt(victim[1]);
        Step<String> start = null;
        Step<String> lastSet = null;
        Step<String> nextStart = null;
        for (Step<String> s : steps) {
          if (s.node().equals(node) && s.incarnation() == incarnation) {
            start = start == null ? s : start;
            lastSet = s;
          }
          if (s.node().equals(node) && s.incarnation() == incarnation + 1) {
            nextStart = s;
            break;
          }
        }
        assertTrue(lastSet != null && lastSet.trueTimeNanos() <= crashAt, line);
        if (nextStart != null && (nextStart.trueTimeNanos() < lastSet.trueTimeNanos() + period
            || nextStart.trueTimeNanos() < start.trueTimeNanos() + late)) {
          pendingAcrossRestart++;
        }
      }
    }
    assertTrue(pendingAcrossRestart > 0, "no timer was pending across a restart");
  }

  @Test
  void effectsRejectBadTimers() {
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> new Effect.SetTimer<String>("t", -1));
    assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
    assertTrue(negative.getMessage().contains("'t'"), negative.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Effect.SetTimer<String>("", 1));
    assertThrows(IllegalArgumentException.class, () -> new Effect.SetTimer<String>(null, 1));
    assertThrows(IllegalArgumentException.class, () -> new Effect.CancelTimer<String>(""));
  }
}
