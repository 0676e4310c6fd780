package dev.meridian.core;

import dev.meridian.NodeId;

/**
 * An input to a protocol core. Every event carries the node's clock readings at the moment it is
 * handled ({@link #now()}).
 *
 * @param <M> the protocol's message type
 */
public sealed interface Event<M> {

  /** The node's clock readings when this event is handled. */
  Now now();

  /**
   * The node (re)starts with empty volatile state. The first event every core sees, once per
   * incarnation.
   */
  record Start<M>(Now now) implements Event<M> {}

  /** A message from {@code from} has arrived. */
  record Message<M>(NodeId from, M payload, Now now) implements Event<M> {}

  /** The timer {@code name}, set by an earlier {@link Effect.SetTimer}, has fired. */
  record Timer<M>(String name, Now now) implements Event<M> {}

  /** A request from the local application (a submit, a read, a snapshot...). */
  record Request<M>(Object request, Now now) implements Event<M> {}
}
