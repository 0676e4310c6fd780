package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.nodes;
import static dev.meridian.sim.SimTestSupport.timeOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Now;
import dev.meridian.sim.SimTestSupport.Chatter;
import dev.meridian.sim.SimTestSupport.Ping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The simulated clocks: offsets, drift and steps, and the readings handed to cores. */
class SimulationClockTest {

  private static final long MAX_OFFSET = 20 * MS;
  private static final double MAX_DRIFT = 1e-4;

  /** Checks each step's readings against the node's virtual clock and the clock model's bounds. */
  private static final class ClockReadingChecker implements Checker<Ping> {
    final long maxOffset;
    final double maxDrift;
    final boolean expectNoSteps;
    final Map<NodeId, VirtualClock> clocks = new HashMap<>();
    int checked;

    ClockReadingChecker(long maxOffset, double maxDrift, boolean expectNoSteps) {
      this.maxOffset = maxOffset;
      this.maxDrift = maxDrift;
      this.expectNoSteps = expectNoSteps;
    }

    @Override
    public String name() {
      return "clock-readings";
    }

    @Override
    public Optional<String> afterStep(Step<Ping> step, Execution<Ping> execution) {
      VirtualClock clock = execution.clock(step.node());
      clocks.put(step.node(), clock);
      long t = step.trueTimeNanos();
      if (t != execution.trueTimeNanos()) {
        return Optional.of("step time " + t + " != execution time " + execution.trueTimeNanos());
      }
      if (Math.abs(clock.offsetNanos()) > maxOffset) {
        return Optional.of(step.node() + " offset " + clock.offsetNanos());
      }
      if (Math.abs(clock.drift()) > maxDrift) {
        return Optional.of(step.node() + " drift " + clock.drift());
      }
      Now now = step.event().now();
      if (now.wallNanos() != clock.wallAt(t)) {
        return Optional.of(step.node() + " wall " + now.wallNanos() + " != " + clock.wallAt(t));
      }
      if (now.monotonicNanos() != clock.monotonicAt(t)) {
        return Optional.of(step.node() + " mono " + now.monotonicNanos());
      }
      long monotonic = t + (long) (clock.drift() * t);
      if (now.monotonicNanos() != monotonic) {
        return Optional.of(step.node() + " mono " + now.monotonicNanos() + " != " + monotonic);
      }
      if (expectNoSteps) {
        long wall = VirtualClock.EPOCH_NANOS + clock.offsetNanos() + monotonic;
        if (now.wallNanos() != wall || clock.steppedBy(t)) {
          return Optional.of(step.node() + " wall " + now.wallNanos() + " != " + wall);
        }
      }
      checked++;
      return Optional.empty();
    }
  }

  private static Simulation.Builder<Ping> chatter(long seed, int members) {
    return Simulation.<Ping>builder()
        .seed(seed)
        .members(nodes(members))
        .cores(ctx -> new Chatter(ctx, 5 * MS))
        .phases(300 * MS, 100 * MS);
  }

  @Test
  void driftingClocksStayWithinTheirBoundsAndReadingsMatchTheVirtualClock() {
    ClockReadingChecker[] checker = new ClockReadingChecker[1];
    SimulationResult r = chatter(9, 8)
        .clocks(ClockModel.drifting(MAX_OFFSET, MAX_DRIFT))
        .checker(() -> checker[0] = new ClockReadingChecker(MAX_OFFSET, MAX_DRIFT, true))
        .build()
        .run();
    assertTrue(r.ok(), () -> r.violation().toString());
    assertTrue(checker[0].checked > 500);
    assertEquals(8, checker[0].clocks.size());
    // The clocks do differ: offsets and drifts are spread, not all zero.
    Set<Long> offsets = new HashSet<>();
    Set<Double> drifts = new HashSet<>();
    for (VirtualClock c : checker[0].clocks.values()) {
      offsets.add(c.offsetNanos());
      drifts.add(c.drift());
    }
    assertEquals(8, offsets.size(), "offsets " + offsets);
    assertEquals(8, drifts.size(), "drifts " + drifts);
    assertTrue(offsets.stream().anyMatch(o -> o > MAX_OFFSET / 4));
    assertTrue(offsets.stream().anyMatch(o -> o < -MAX_OFFSET / 4));
    assertTrue(drifts.stream().anyMatch(d -> d > MAX_DRIFT / 4));
    assertTrue(drifts.stream().anyMatch(d -> d < -MAX_DRIFT / 4));
  }

  @Test
  void perfectClocksReadTrueTimeFromTheEpoch() {
    List<Step<Ping>> steps = new ArrayList<>();
    chatter(9, 3).observer(steps::add).build().run();
    assertTrue(steps.size() > 100);
    for (Step<Ping> s : steps) {
      assertEquals(VirtualClock.EPOCH_NANOS + s.trueTimeNanos(), s.event().now().wallNanos());
      assertEquals(s.trueTimeNanos(), s.event().now().monotonicNanos());
    }
  }

  @Test
  void virtualClockFollowsItsFormula() {
    VirtualClock clock = new VirtualClock(-5_000, 0.001);
    assertEquals(0, clock.monotonicAt(0));
    assertEquals(1_001_000, clock.monotonicAt(1_000_000));
    assertEquals(VirtualClock.EPOCH_NANOS - 5_000 + 1_001_000, clock.wallAt(1_000_000));
    assertFalse(clock.steppedBy(Long.MAX_VALUE));

    clock.step(2_000_000, 300);
    clock.step(3_000_000, -100);
    assertFalse(clock.steppedBy(1_999_999));
    assertTrue(clock.steppedBy(2_000_000));
    // (long) (0.001 * 1_999_999) = 1_999
    assertEquals(VirtualClock.EPOCH_NANOS - 5_000 + 2_001_998, clock.wallAt(1_999_999));
    assertEquals(VirtualClock.EPOCH_NANOS - 5_000 + 2_002_000 + 300, clock.wallAt(2_000_000));
    assertEquals(VirtualClock.EPOCH_NANOS - 5_000 + 3_003_000 + 200, clock.wallAt(3_000_000));
    // Monotonic never steps.
    assertEquals(3_003_000, clock.monotonicAt(3_000_000));
    // 2026-01-01T00:00:00Z.
    assertEquals(java.time.Instant.parse("2026-01-01T00:00:00Z"),
        java.time.Instant.ofEpochSecond(0, VirtualClock.EPOCH_NANOS));
  }

  /** A clock step parsed from the trace. */
  private record ClockStep(long atNanos, NodeId node, long delta) {}

  private static List<ClockStep> clockSteps(List<String> trace) {
    List<ClockStep> out = new ArrayList<>();
    for (String line : trace) {
      int i = line.indexOf(" clock step ");
      if (i >= 0) {
        String[] parts = line.substring(i + " clock step ".length()).split(" ");
        // "<node> by <delta>ns"
        assertEquals("by", parts[1], line);
        assertTrue(parts[2].endsWith("ns"), line);
        out.add(new ClockStep(timeOf(line), NodeId.of(parts[0]),
            Long.parseLong(parts[2].substring(0, parts[2].length() - 2))));
      }
    }
    return out;
  }

  private record StepRun(SimulationResult result, Map<NodeId, VirtualClock> clocks,
      List<Step<Ping>> steps) {}

  private static StepRun clockFaultRun(long seed, ClockModel clocks, int clockWeight) {
    Map<NodeId, VirtualClock> seen = new HashMap<>();
    List<Step<Ping>> steps = new ArrayList<>();
    SimulationResult r = chatter(seed, 4)
        .clocks(clocks)
        .faults(new FaultModel(15 * MS, 0, 0, 0, clockWeight, 0, 0, 0))
        .checker(() -> SimTestSupport.<Ping>checker("collect", (step, ex) -> {
          for (NodeId id : ex.members()) {
            seen.put(id, ex.clock(id));
          }
          return Optional.empty();
        }))
        .observer(steps::add)
        .keepTrace(true)
        .build()
        .run();
    assertTrue(r.ok());
    return new StepRun(r, seen, steps);
  }

  @Test
  void clockFaultsStepWallClocksAndShowInTheTrace() {
    long maxStep = 50 * MS;
    StepRun run = clockFaultRun(13, ClockModel.drifting(MS, 1e-5).withSteps(maxStep, false), 1);
    List<ClockStep> clockSteps = clockSteps(run.result().trace());
    assertTrue(clockSteps.size() >= 5, "clock steps " + clockSteps.size());
    assertTrue(clockSteps.stream().anyMatch(s -> s.delta() < 0), "no backward step");
    assertTrue(clockSteps.stream().anyMatch(s -> s.delta() > 0), "no forward step");
    for (ClockStep s : clockSteps) {
      assertTrue(s.delta() != 0 && Math.abs(s.delta()) <= maxStep, s.toString());
      assertTrue(s.atNanos() < 300 * MS, "clock step in the liveness phase: " + s);
      VirtualClock clock = run.clocks().get(s.node());
      assertTrue(clock.steppedBy(s.atNanos()));
    }
    // Each node's wall clock is its unstepped reading plus the steps taken so far.
    for (Step<Ping> step : run.steps()) {
      VirtualClock clock = run.clocks().get(step.node());
      long t = step.trueTimeNanos();
      long stepped = clockSteps.stream()
          .filter(s -> s.node().equals(step.node()) && s.atNanos() <= t)
          .mapToLong(ClockStep::delta).sum();
      assertEquals(VirtualClock.EPOCH_NANOS + clock.offsetNanos() + clock.monotonicAt(t) + stepped,
          step.event().now().wallNanos(), step.toString());
      boolean steppedYet = clockSteps.stream()
          .anyMatch(s -> s.node().equals(step.node()) && s.atNanos() <= t);
      assertEquals(steppedYet, clock.steppedBy(t), step.toString());
    }
    // A node never stepped reports so.
    for (NodeId id : run.clocks().keySet()) {
      boolean stepped = clockSteps.stream().anyMatch(s -> s.node().equals(id));
      assertEquals(stepped, run.clocks().get(id).steppedBy(Long.MAX_VALUE), id.toString());
      if (stepped) {
        long first = clockSteps.stream().filter(s -> s.node().equals(id))
            .mapToLong(ClockStep::atNanos).min().orElseThrow();
        assertFalse(run.clocks().get(id).steppedBy(first - 1));
      }
    }
  }

  @Test
  void forwardOnlyStepsNeverGoBack() {
    StepRun run = clockFaultRun(13, ClockModel.perfect().withSteps(50 * MS, true), 1);
    List<ClockStep> clockSteps = clockSteps(run.result().trace());
    assertTrue(clockSteps.size() >= 5, "clock steps " + clockSteps.size());
    for (ClockStep s : clockSteps) {
      assertTrue(s.delta() > 0 && s.delta() <= 50 * MS, s.toString());
    }
    // So each node's wall clock never reads less than it did before.
    Map<NodeId, Long> lastWall = new HashMap<>();
    for (Step<Ping> s : run.steps()) {
      long wall = s.event().now().wallNanos();
      Long last = lastWall.put(s.node(), wall);
      assertTrue(last == null || wall >= last, s.toString());
    }
  }

  @Test
  void clockFaultsNeedAClockModelThatAllowsSteps() {
    StepRun run = clockFaultRun(13, ClockModel.drifting(MS, 1e-5), 1);
    assertTrue(run.result().trace().stream().noneMatch(l -> l.contains("clock step")));
    for (VirtualClock c : run.clocks().values()) {
      assertFalse(c.steppedBy(Long.MAX_VALUE));
    }
  }

  @Test
  void clockModelFactories() {
    assertEquals(new ClockModel(0, 0, 0, true), ClockModel.perfect());
    assertEquals(new ClockModel(5, 1e-3, 0, true), ClockModel.drifting(5, 1e-3));
    assertEquals(new ClockModel(5, 1e-3, 9, false), ClockModel.drifting(5, 1e-3).withSteps(9, false));
  }
}
