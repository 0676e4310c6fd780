package dev.meridian.sim;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import java.util.List;

/**
 * One event handled by one node's core, with what it returned: the unit checkers reason about.
 *
 * <p>Steps carry what a ground-truth happens-before graph needs: {@link #previousStep()} links a
 * step to the one before it in the same incarnation (program order), and for a message {@link
 * #sendStep()} links it to the step that sent it.
 *
 * @param eventIndex position of this event in the run's trace; printed with every violation
 * @param stepIndex position among steps only (0, 1, 2...); index into {@link Execution#steps()}
 * @param trueTimeNanos simulation time at which the event was handled
 * @param node the node that handled it
 * @param incarnation that node's incarnation
 * @param event what the core was given
 * @param effects what the core returned
 * @param previousStep stepIndex of the previous step of the same incarnation, or -1
 * @param sendStep for a {@link Event.Message}, stepIndex of the step that sent it; else -1
 */
public record Step<M>(
    long eventIndex,
    int stepIndex,
    long trueTimeNanos,
    NodeId node,
    int incarnation,
    Event<M> event,
    List<Effect<M>> effects,
    int previousStep,
    int sendStep) {

  /** The values this step handed to the application ({@link Effect.Deliver}), in order. */
  public List<Object> delivered() {
    return effects.stream()
        .filter(e -> e instanceof Effect.Deliver<M>)
        .map(e -> ((Effect.Deliver<M>) e).value())
        .toList();
  }
}
