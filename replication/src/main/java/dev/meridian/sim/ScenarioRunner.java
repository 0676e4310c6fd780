package dev.meridian.sim;

import java.util.function.Consumer;

/**
 * Runs a scenario over consecutive seeds and counts the runs that violated a property.
 *
 * <p>The summary line, {@code scenario=<name> seeds=<N> violations=<V>}, is read by users and
 * scripts; keep its form stable.
 */
public final class ScenarioRunner {
  private ScenarioRunner() {}

  /** Totals of a batch of runs. */
  public record Summary(String scenario, long seeds, long violations, long events) {
    /** The stable last line of {@code meridian sim}. */
    public String line() {
      return "scenario=" + scenario + " seeds=" + seeds + " violations=" + violations;
    }
  }

  /**
   * Runs seeds {@code firstSeed .. firstSeed + seeds - 1}, calling {@code onResult} after each.
   *
   * @throws IllegalArgumentException if {@code seeds < 1} or the last seed would overflow
   */
  public static Summary run(Scenario scenario, long firstSeed, long seeds, boolean keepTrace,
      Consumer<SimulationResult> onResult) {
    if (seeds < 1) {
      throw new IllegalArgumentException("seeds must be >= 1, got " + seeds);
    }
    if (firstSeed > Long.MAX_VALUE - (seeds - 1)) {
      throw new IllegalArgumentException("seeds " + firstSeed + " .. " + firstSeed + " + "
          + (seeds - 1) + " run past the largest seed, " + Long.MAX_VALUE);
    }
    long violations = 0;
    long events = 0;
    for (long i = 0; i < seeds; i++) {
      SimulationResult r = scenario.run(firstSeed + i, keepTrace);
      events += r.events();
      if (!r.ok()) {
        violations++;
      }
      onResult.accept(r);
    }
    return new Summary(scenario.name(), seeds, violations, events);
  }
}
