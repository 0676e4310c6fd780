package dev.meridian.sim;

import dev.meridian.NodeId;
import dev.meridian.core.ProtocolCore;
import java.util.List;

/** A read-only view of a running simulation, for checkers. */
public interface Execution<M> {

  /** The run's seed. */
  long seed();

  /** Current simulation (true) time in nanoseconds. */
  long trueTimeNanos();

  /** The current phase. */
  Phase phase();

  /** True time at which the liveness phase begins. */
  long livenessStartNanos();

  /** Every node, in the fixed order given to the simulation. */
  List<NodeId> members();

  /** Every step so far, in order; {@code steps().get(i).stepIndex() == i}. */
  List<Step<M>> steps();

  /** True when {@code node} is running: started (at time 0) and not crashed. */
  boolean isUp(NodeId node);

  /** The node's current incarnation: 0 before its first start, 1 until its first crash. */
  int incarnation(NodeId node);

  /** The node's current core, for inspecting its state; null while it is down. */
  ProtocolCore<M> core(NodeId node);

  /** The node's simulated clocks, to compare its beliefs with true time. */
  VirtualClock clock(NodeId node);
}
