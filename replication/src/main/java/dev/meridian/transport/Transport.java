package dev.meridian.transport;

import dev.meridian.NodeId;
import java.util.Set;

/**
 * The seam between a node runtime and the network: carries opaque frames ({@code byte[]}) from
 * this member to its peers and back.
 *
 * <p><b>What a transport promises.</b> Within one healthy stream from a sender to a receiver,
 * frames arrive in the order they were sent, at most once, and exactly as they were sent (a frame
 * that fails validation is never handed up). When a stream breaks — a peer restarts, a network
 * blip, a reset — frames that were in flight may be lost, but what does arrive afterwards is still
 * in send order and never duplicated. Reliable FIFO delivery across failures is <em>not</em> the
 * transport's job: the protocol core above keeps sequence numbers and retransmits
 * ({@code dev.meridian.core.link.ReliableLinks}).
 *
 * <p><b>Back-pressure, not memory.</b> {@link #send} never blocks: it queues the frame for that
 * peer and returns {@code false} when the peer's outgoing queue is full (typically because the
 * peer is down or slower than the sender). A refused frame is the caller's to drop or retry; a
 * transport never buffers without bound.
 *
 * <p><b>Ownership of arrays.</b> A frame passed to {@link #send} belongs to the transport from
 * then on; the caller must not modify it. A frame handed to {@link FrameHandler#onFrame} is a
 * fresh array owned by the handler.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. The handler is called on a
 * thread owned by the transport, never on a thread that is inside {@link #send}: calls for one
 * sender are serialized and in order; calls for different senders may be concurrent. The handler
 * must be thread-safe, must not block and should return quickly (hand the frame to a queue).
 */
public interface Transport extends AutoCloseable {

  /** Receives the frames that arrive from peers. See {@link Transport} for the threading rules. */
  @FunctionalInterface
  interface FrameHandler {
    /**
     * Called once for every frame that arrives.
     *
     * @param from the peer that sent it (always a configured peer, never this node)
     * @param frame the frame's bytes, a fresh array the handler may keep
     */
    void onFrame(NodeId from, byte[] frame);

    /**
     * A hint that {@code peer}'s process is gone: a connection to its address was refused (a
     * crashed process's port is closed by its kernel) after the link had been up — on a
     * reconnection, or on a probe made as soon as an established stream broke. Only a hint — the peer may be restarting
     * — for a failure detector to act on sooner than silence would. Same threading rules as
     * {@link #onFrame}.
     */
    default void onPeerUnreachable(NodeId peer) {}
  }

  /** This member's id. */
  NodeId self();

  /** The peers this transport can send to and receive from (never includes {@link #self()}). */
  Set<NodeId> peers();

  /**
   * Starts the transport: frames that arrive from now on go to {@code handler}.
   *
   * @throws IllegalStateException if the transport was already started or is closed
   * @throws java.io.UncheckedIOException if a network transport cannot bind its listen address
   */
  void start(FrameHandler handler);

  /**
   * Queues {@code frame} for {@code to} without blocking.
   *
   * @return {@code true} if the frame was queued; {@code false} if that peer's outgoing queue is
   *     full or the transport is closed (the frame is dropped)
   * @throws IllegalArgumentException if {@code to} is not a peer, or the frame is null or larger
   *     than the transport accepts
   * @throws IllegalStateException if the transport was never started
   */
  boolean send(NodeId to, byte[] frame);

  /**
   * Stops sending and receiving and releases threads and ports within a bounded time. Frames still
   * queued are dropped. Idempotent. Must not be called from inside the {@link FrameHandler}.
   */
  @Override
  void close();
}
