package dev.meridian.sim;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Ground-truth happens-before over the events of a simulated run, built from what the simulator
 * saw rather than from any clock: an edge from each event to the next event of the same process
 * (program order) and from each send to its receive, closed transitively.
 *
 * <p>Checkers use it as the reference that clocks are judged against. Each event keeps the set of
 * its ancestors as a bit set, so adding an event costs one union per predecessor and a query is
 * one bit test. Events must be added in the order they happened (a linearization), which the
 * simulator's step order is.
 */
public final class HappensBeforeGraph {
  private final List<BitSet> ancestors = new ArrayList<>();
  private final List<int[]> predecessors = new ArrayList<>();
  private final Map<Object, Integer> lastEventOfProcess = new HashMap<>();
  private final Map<Integer, Integer> eventOfStep = new HashMap<>();

  /**
   * Adds the event that {@code stepIndex} performed at {@code process}, caused also by the event
   * of step {@code causeStep} (the send, for a receive; -1 for none).
   *
   * @return the new event's index, 0, 1, 2...
   * @throws IllegalArgumentException if {@code stepIndex} already has an event, or {@code
   *     causeStep} names a step that has none
   */
  public int add(Object process, int stepIndex, int causeStep) {
    if (eventOfStep.containsKey(stepIndex)) {
      throw new IllegalArgumentException("step " + stepIndex + " already has an event");
    }
    BitSet mine = new BitSet();
    int[] direct = new int[0];
    Integer previous = lastEventOfProcess.get(process);
    if (previous != null) {
      mine.or(ancestors.get(previous));
      mine.set(previous);
      direct = new int[] {previous};
    }
    if (causeStep >= 0) {
      Integer cause = eventOfStep.get(causeStep);
      if (cause == null) {
        throw new IllegalArgumentException(
            "cause step " + causeStep + " of step " + stepIndex + " recorded no event");
      }
      mine.or(ancestors.get(cause));
      mine.set(cause);
      direct = java.util.Arrays.copyOf(direct, direct.length + 1);
      direct[direct.length - 1] = cause;
    }
    int event = ancestors.size();
    ancestors.add(mine);
    predecessors.add(direct);
    lastEventOfProcess.put(process, event);
    eventOfStep.put(stepIndex, event);
    return event;
  }

  /** The event recorded for {@code stepIndex}, or -1. */
  public int eventOfStep(int stepIndex) {
    return eventOfStep.getOrDefault(stepIndex, -1);
  }

  /** True when event {@code a} happened before event {@code b} (a → b). */
  public boolean happensBefore(int a, int b) {
    return a != b && b < ancestors.size() && ancestors.get(b).get(a);
  }

  /**
   * The direct predecessors of {@code event}: the previous event of its process and, for a
   * receive, the send. Happens-before is the transitive closure of these edges, so a property
   * that is transitive (such as "timestamps increase") holds along every a → b exactly when it
   * holds along every edge.
   */
  public int[] directPredecessors(int event) {
    return predecessors.get(event).clone();
  }

  /** Number of events added. */
  public int size() {
    return ancestors.size();
  }
}
