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
 *   <li>Events come in <em>turns</em>: after one or more events handled back to back the runtime
 *       calls {@link #flush} and carries out what it returns. A core may hold effects back in
 *       {@link #handle} and emit them at {@link #flush} — that is how many small payloads share
 *       one frame under load. The simulator ends a turn after every event.
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

  /**
   * Ends a turn: returns the effects held back since the last turn ended (for instance one frame
   * per peer carrying every payload queued by the turn's events, and the acknowledgements the
   * turn owes). The runtime calls it after every turn, so nothing held back waits longer than
   * one turn. Default: a core that holds nothing back returns nothing.
   */
  default List<Effect<M>> flush() {
    return List.of();
  }
}
