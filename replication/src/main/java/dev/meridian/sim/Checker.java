package dev.meridian.sim;

import java.util.Optional;

/**
 * A property of executions, checked while a simulation runs. A checker may keep state across calls;
 * the simulation builds a fresh one per run.
 *
 * @param <M> the protocol's message type
 */
public interface Checker<M> {

  /** Short name printed with violations, e.g. {@code "vector-clock-order"}. */
  String name();

  /**
   * Called after every step. Returns a description of the violation, naming what went wrong, or
   * empty when the property still holds.
   */
  Optional<String> afterStep(Step<M> step, Execution<M> execution);

  /** Called once after the liveness phase: for convergence properties. */
  default Optional<String> atEnd(Execution<M> execution) {
    return Optional.empty();
  }
}
