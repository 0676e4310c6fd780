package dev.meridian.sim;

import dev.meridian.core.ProtocolCore;

/** Builds a fresh core for each incarnation of a simulated node. */
@FunctionalInterface
public interface CoreFactory<M> {
  ProtocolCore<M> create(NodeContext context);
}
