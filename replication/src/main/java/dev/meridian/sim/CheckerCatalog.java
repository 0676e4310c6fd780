package dev.meridian.sim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The named checkers of a scenario, in the order they run. A scenario can run a subset, which is
 * how each checker is shown to catch a broken variant on its own — not only because another
 * checker was watching.
 *
 * @param <M> the protocol's message type
 */
public final class CheckerCatalog<M> {
  private final Map<String, Supplier<? extends Checker<M>>> checkers = new LinkedHashMap<>();

  /** Adds a checker under {@code name}; returns this catalog. */
  public CheckerCatalog<M> add(String name, Supplier<? extends Checker<M>> checker) {
    if (checkers.putIfAbsent(name, checker) != null) {
      throw new IllegalArgumentException("checker '" + name + "' added twice");
    }
    return this;
  }

  /** Every checker name, in run order. */
  public Set<String> names() {
    return Collections.unmodifiableSet(checkers.keySet());
  }

  /**
   * A validated copy of {@code names}.
   *
   * @throws IllegalArgumentException naming the first unknown checker and listing the known ones
   */
  public Set<String> select(Set<String> names) {
    for (String name : names) {
      if (!checkers.containsKey(name)) {
        throw new IllegalArgumentException(
            "unknown checker '" + name + "'; known: " + checkers.keySet());
      }
    }
    return Set.copyOf(names);
  }

  /** Adds the checkers named in {@code selected} to {@code simulation}, in run order. */
  public void addTo(Simulation.Builder<M> simulation, Set<String> selected) {
    checkers.forEach((name, checker) -> {
      if (selected.contains(name)) {
        simulation.checker(checker);
      }
    });
  }
}
