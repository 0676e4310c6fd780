package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.A;
import static dev.meridian.sim.SimTestSupport.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Regressions: arithmetic on times and seeds that used to overflow. */
class OverflowRegressionTest {

  @Test
  void timerWithHugeDelayNeverFiresInsteadOfFiringInThePast() {
    List<Step<String>> steps = new ArrayList<>();
    SimulationResult r = Simulation.<String>builder()
        .members(List.of(A))
        .cores(SimTestSupport.scripted(event -> event instanceof Event.Start<String>
            ? List.of(new Effect.SetTimer<>("never", Long.MAX_VALUE),
                new Effect.SetTimer<>("soon", MS))
            : List.of()))
        .phases(5 * MS, 5 * MS)
        .observer(steps::add)
        .build()
        .run();
    assertTrue(r.ok());
    List<String> timers = steps.stream()
        .filter(s -> s.event() instanceof Event.Timer<String>)
        .map(s -> ((Event.Timer<String>) s.event()).name() + "@" + s.trueTimeNanos())
        .toList();
    assertEquals(List.of("soon@" + MS), timers);
  }

  @Test
  void phasesThatWouldOverflowAreRefused() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Simulation.<String>builder().phases(Long.MAX_VALUE, 10));
    assertTrue(e.getMessage().contains("safety=" + Long.MAX_VALUE), e.getMessage());
  }

  @Test
  void faultDurationsAndDelaysBeyondTheirRangeAreRefused() {
    var e1 = assertThrows(IllegalArgumentException.class,
        () -> FaultModel.every(MS).withCrashes(1, 1).lasting(0, Long.MAX_VALUE));
    assertTrue(e1.getMessage().contains("max=" + Long.MAX_VALUE), e1.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> DelayDistribution.uniform(0, Long.MAX_VALUE));
    assertTrue(e2.getMessage().contains("max=" + Long.MAX_VALUE), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class,
        () -> DelayDistribution.exponential(0, Long.MAX_VALUE));
    assertTrue(e3.getMessage().contains("meanExtra=" + Long.MAX_VALUE), e3.getMessage());
  }

  @Test
  void seedRangePastTheLargestSeedIsRefusedInsteadOfRunningNothing() {
    Scenario never = new Scenario() {
      @Override
      public String name() {
        return "never";
      }

      @Override
      public SimulationResult run(long seed, boolean keepTrace) {
        throw new AssertionError("must not run");
      }
    };
    var e = assertThrows(IllegalArgumentException.class,
        () -> ScenarioRunner.run(never, Long.MAX_VALUE - 1, 3, false, r -> { }));
    assertTrue(e.getMessage().contains("largest seed"), e.getMessage());
  }
}
