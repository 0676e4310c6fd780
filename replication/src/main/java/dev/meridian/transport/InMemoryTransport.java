package dev.meridian.transport;

import dev.meridian.NodeId;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One member's end of an {@link InMemoryNetwork}. Create it with {@link
 * InMemoryNetwork#transport}.
 *
 * <p>Threading: the handler runs on this transport's single delivery thread ({@code
 * meridian-mem-<id>}), so calls for all senders are serialized, and it is never the thread that
 * called {@link #send}. A handler that throws is logged; delivery continues.
 */
public final class InMemoryTransport implements Transport {
  private static final Logger LOG = Logger.getLogger(InMemoryTransport.class.getName());
  private static final long CLOSE_TIMEOUT_MILLIS = 5_000;

  private final InMemoryNetwork network;
  private final NodeId self;
  private final Set<NodeId> peers;
  private final Object lifecycle = new Object();
  private volatile ExecutorService deliveryThread;
  private volatile Thread deliveryThreadItself;
  private volatile FrameHandler handler;
  private volatile boolean closed;

  InMemoryTransport(InMemoryNetwork network, NodeId self, Set<NodeId> peers) {
    this.network = network;
    this.self = self;
    this.peers = peers;
  }

  @Override
  public NodeId self() {
    return self;
  }

  @Override
  public Set<NodeId> peers() {
    return peers;
  }

  @Override
  public void start(FrameHandler handler) {
    if (handler == null) {
      throw new IllegalArgumentException("handler must not be null");
    }
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("transport of " + self + " is closed");
      }
      if (this.handler != null) {
        throw new IllegalStateException("transport of " + self + " was already started");
      }
      this.deliveryThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "meridian-mem-" + self);
        t.setDaemon(true);
        deliveryThreadItself = t;
        return t;
      });
      this.handler = handler;
    }
    network.started(this);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A frame sent on a cut link is accepted and dropped, as a real network would lose it.
   */
  @Override
  public boolean send(NodeId to, byte[] frame) {
    if (frame == null) {
      throw new IllegalArgumentException("frame must not be null");
    }
    if (to == null || !peers.contains(to)) {
      throw new IllegalArgumentException(self + " cannot send to " + to + "; its peers are "
          + peers);
    }
    if (handler == null) {
      throw new IllegalStateException("transport of " + self + " was never started");
    }
    if (closed) {
      return false;
    }
    return network.send(self, to, frame);
  }

  @Override
  public void close() {
    ExecutorService executor;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      executor = deliveryThread;
    }
    network.closed(this);
    if (executor != null) {
      executor.shutdownNow();
      if (Thread.currentThread() != deliveryThreadItself) {
        try {
          if (!executor.awaitTermination(CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            LOG.warning(() -> "delivery thread of " + self + " did not stop within "
                + CLOSE_TIMEOUT_MILLIS + " ms (a handler is blocking)");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  boolean isRunning() {
    return handler != null && !closed;
  }

  void execute(Runnable task) {
    deliveryThread.execute(task);
  }

  /** Called on the delivery thread. */
  void deliver(NodeId from, byte[] frame) {
    if (closed) {
      return;
    }
    try {
      handler.onFrame(from, frame);
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "frame handler of " + self + " threw on a frame from " + from, e);
    }
  }

  @Override
  public String toString() {
    return "InMemoryTransport[" + self + (closed ? ", closed" : "") + "]";
  }
}
