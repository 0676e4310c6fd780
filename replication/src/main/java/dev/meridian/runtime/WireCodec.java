package dev.meridian.runtime;

/**
 * Turns a protocol's messages into frames and back, for a {@link NodeRuntime} that carries them
 * over a {@link dev.meridian.transport.Transport}.
 *
 * <p>{@link #decode} reads bytes from the network and must trust none of them: it throws {@link
 * IllegalArgumentException} for anything that is not the encoding of a message, never returns
 * null, and never returns a half-read message. Both methods are called on the runtime's core
 * thread only, so an implementation need not be thread-safe, but it must not block.
 *
 * @param <M> the protocol's message type
 */
public interface WireCodec<M> {

  /** The frame for {@code message}. The runtime hands the array to the transport and keeps none. */
  byte[] encode(M message);

  /**
   * The message in {@code frame}.
   *
   * @throws IllegalArgumentException if {@code frame} is not a valid encoding
   */
  M decode(byte[] frame);
}
