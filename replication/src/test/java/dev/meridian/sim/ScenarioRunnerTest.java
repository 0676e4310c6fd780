package dev.meridian.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Running a scenario over consecutive seeds, and the stable summary line. */
class ScenarioRunnerTest {

  /** Violates on seeds divisible by {@code every}; records what it was asked to run. */
  private static final class FakeScenario implements Scenario {
    final long every;
    final List<Long> ran = new ArrayList<>();
    final List<Boolean> traces = new ArrayList<>();

    FakeScenario(long every) {
      this.every = every;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public SimulationResult run(long seed, boolean keepTrace) {
      ran.add(seed);
      traces.add(keepTrace);
      Optional<Violation> v = seed % every == 0
          ? Optional.of(new Violation(seed, 3, "fake-checker", "seed " + seed + " is bad"))
          : Optional.empty();
      return new SimulationResult(seed, v, 10 + seed, 5, 2, 1, 0, seed * 31,
          keepTrace ? List.of("#0 t=0 x") : List.of());
    }
  }

  @Test
  void summaryLineHasItsStableForm() {
    assertEquals("scenario=clocks seeds=100 violations=0",
        new ScenarioRunner.Summary("clocks", 100, 0, 12345).line());
    assertEquals("scenario=x seeds=1 violations=1",
        new ScenarioRunner.Summary("x", 1, 1, 0).line());
  }

  @Test
  void runsConsecutiveSeedsAndCountsTheViolatingOnes() {
    FakeScenario scenario = new FakeScenario(3);
    List<SimulationResult> results = new ArrayList<>();
    ScenarioRunner.Summary s = ScenarioRunner.run(scenario, 5, 10, false, results::add);
    assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L), scenario.ran);
    assertEquals(10, results.size());
    // 6, 9 and 12 violate.
    assertEquals(3, s.violations());
    assertEquals(10, s.seeds());
    assertEquals("fake", s.scenario());
    long events = 0;
    for (long seed = 5; seed <= 14; seed++) {
      events += 10 + seed;
    }
    assertEquals(events, s.events());
    assertEquals("scenario=fake seeds=10 violations=3", s.line());
    assertEquals(List.of(6L, 9L, 12L), results.stream().filter(r -> !r.ok())
        .map(SimulationResult::seed).toList());
    assertTrue(scenario.traces.stream().allMatch(t -> !t));
  }

  @Test
  void passesKeepTraceThrough() {
    FakeScenario scenario = new FakeScenario(1000);
    ScenarioRunner.Summary s = ScenarioRunner.run(scenario, 1, 2, true, r -> {
      assertEquals(List.of("#0 t=0 x"), r.trace());
    });
    assertEquals(List.of(true, true), scenario.traces);
    assertEquals("scenario=fake seeds=2 violations=0", s.line());
  }

  @Test
  void everySeedViolating() {
    ScenarioRunner.Summary s = ScenarioRunner.run(new FakeScenario(1), 1, 4, false, r -> { });
    assertEquals("scenario=fake seeds=4 violations=4", s.line());
  }

  @Test
  void atLeastOneSeed() {
    for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
      FakeScenario scenario = new FakeScenario(2);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ScenarioRunner.run(scenario, 1, bad, false, r -> { }));
      assertTrue(e.getMessage().contains("seeds must be >= 1, got " + bad), e.getMessage());
      assertEquals(List.of(), scenario.ran);
    }
  }

  @Test
  void runsARealSimulationScenario() {
    Scenario pings = new Scenario() {
      @Override
      public String name() {
        return "pings";
      }

      @Override
      public SimulationResult run(long seed, boolean keepTrace) {
        return Simulation.<SimTestSupport.Ping>builder()
            .seed(seed)
            .members(List.of(SimTestSupport.A, SimTestSupport.B))
            .cores(SimTestSupport.burst(SimTestSupport.A, SimTestSupport.B, 20))
            .network(NetworkModel.reliable().withLoss(0.5))
            .checker(() -> SimTestSupport.<SimTestSupport.Ping>checker("no-ping-7",
                (step, ex) -> step.delivered().stream()
                    .anyMatch(p -> ((SimTestSupport.Ping) p).seq() == 7)
                    ? Optional.of("ping 7 arrived") : Optional.empty()))
            .keepTrace(keepTrace)
            .build()
            .run();
      }
    };
    List<Violation> violations = new ArrayList<>();
    ScenarioRunner.Summary s = ScenarioRunner.run(pings, 1, 20, false,
        r -> r.violation().ifPresent(violations::add));
    // Ping 7 is lost in about half of the runs.
    assertTrue(s.violations() > 3 && s.violations() < 17, s.line());
    assertEquals(s.violations(), violations.size());
    for (Violation v : violations) {
      assertEquals("no-ping-7", v.checker());
      // Replaying the seed gives the same violation.
      assertEquals(v, pings.run(v.seed(), true).violation().orElseThrow());
    }
  }
}
