package dev.meridian.sim;

import dev.meridian.NodeId;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * What a simulated node's core is built from.
 *
 * @param self this node's id
 * @param incarnation 1 for the first start, one more for every restart after a crash
 * @param members every node of the simulation, this one included, in a fixed order
 * @param random this incarnation's own seeded generator; the only randomness a core may use
 */
public record NodeContext(
    NodeId self, int incarnation, List<NodeId> members, RandomGenerator random) {

  /** The id this incarnation uses where state must not be confused across restarts: {@code n1#2}. */
  public NodeId incarnationId() {
    return NodeId.of(self.value() + "#" + incarnation);
  }
}
