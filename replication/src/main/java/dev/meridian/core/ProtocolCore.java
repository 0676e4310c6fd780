package dev.meridian.core;

import java.util.List;

/**
 * A protocol as a pure, single-threaded state machine: it is handed one {@link Event} at a time
 * and returns the {@link Effect}s the event causes.
 *
 * <p>The contract that lets the same core run under the gRPC runtime, in memory and in the
 * deterministic simulator:
 *
 * <ol>
 *   <li>A core holds no thread, socket, clock or global random source. Time arrives inside each
 *       event ({@link Event#now()}); randomness comes from the seeded generator it was built with.
 *   <li>{@link #handle} is never called concurrently; the runtime serializes events.
 *   <li>Given the same construction arguments and the same sequence of events, a core returns the
 *       same effects. A failing simulation is thereby replayable from its seed.
 *   <li>Everything a core holds is volatile: a crash loses it, and the runtime builds a fresh core
 *       for the next incarnation.
 * </ol>
 *
 * @param <M> the protocol's message type
 */
public interface ProtocolCore<M> {

  /**
   * Handles one event and returns its effects, in the order the runtime should carry them out.
   * Returns an empty list when the event causes nothing.
   */
  List<Effect<M>> handle(Event<M> event);
}
