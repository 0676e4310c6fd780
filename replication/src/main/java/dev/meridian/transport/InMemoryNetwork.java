package dev.meridian.transport;

import dev.meridian.NodeId;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A network inside one JVM that connects {@link InMemoryTransport}s, for examples and fast tests.
 *
 * <p>Every ordered pair of members (from, to) is a link with a bounded FIFO queue of at most
 * {@code maxQueuedFrames} frames; {@link Transport#send} returns {@code false} when it is full.
 * Frames are handed to the receiver's handler on the receiver's own delivery thread (one per
 * transport), never on the sender's thread, so a core that sends while handling a frame is never
 * re-entered. A link queue outlives the transports at its ends: frames sent to a member that has
 * not started yet, or has closed and not been replaced, wait in the queue (until it is full) and
 * are delivered to the member's next transport when it starts — like frames queued in a real
 * sender while its peer restarts.
 *
 * <p>Faults for tests: {@link #cut} makes a link drop every frame, both those sent while it is cut
 * and those still queued on it; {@link #heal} restores it. A cut is one-directional, so asymmetric
 * partitions are two calls; {@link #isolate} cuts a member off in both directions.
 *
 * <p>Thread-safe.
 */
public final class InMemoryNetwork implements AutoCloseable {
  /** Default bound of each link's queue, in frames. */
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 65_536;

  private final Set<NodeId> members;
  private final int maxQueuedFrames;
  private final Map<NodeId, Map<NodeId, LinkQueue>> linksByReceiver = new HashMap<>();
  private final Map<NodeId, Map<NodeId, LinkQueue>> linksBySender = new HashMap<>();
  private final ConcurrentHashMap<NodeId, InMemoryTransport> transports = new ConcurrentHashMap<>();
  private final AtomicLong framesDroppedByCuts = new AtomicLong();

  /** A network of {@code members} with {@value #DEFAULT_MAX_QUEUED_FRAMES} frames per link. */
  public InMemoryNetwork(Collection<NodeId> members) {
    this(members, DEFAULT_MAX_QUEUED_FRAMES);
  }

  /**
   * A network of {@code members} whose links each queue at most {@code maxQueuedFrames} frames.
   *
   * @throws IllegalArgumentException if {@code members} is null, holds null or fewer than one
   *     member, or {@code maxQueuedFrames < 1}
   */
  public InMemoryNetwork(Collection<NodeId> members, int maxQueuedFrames) {
    if (members == null || members.isEmpty() || members.stream().anyMatch(m -> m == null)) {
      throw new IllegalArgumentException("members must be a non-empty collection of node ids, got "
          + members);
    }
    if (maxQueuedFrames < 1) {
      throw new IllegalArgumentException("maxQueuedFrames must be >= 1, got " + maxQueuedFrames);
    }
    this.members = Collections.unmodifiableSet(new TreeSet<>(members));
    this.maxQueuedFrames = maxQueuedFrames;
    for (NodeId from : this.members) {
      for (NodeId to : this.members) {
        if (!from.equals(to)) {
          LinkQueue link = new LinkQueue(from, to);
          linksByReceiver.computeIfAbsent(to, k -> new HashMap<>()).put(from, link);
          linksBySender.computeIfAbsent(from, k -> new HashMap<>()).put(to, link);
        }
      }
    }
  }

  /** The members, in id order. */
  public Set<NodeId> members() {
    return members;
  }

  /**
   * A new transport for member {@code id}. A member has at most one live transport; after closing
   * it, a new one may be created (a restart), which receives what is still queued for the member.
   *
   * @throws IllegalArgumentException if {@code id} is not a member
   * @throws IllegalStateException if {@code id} already has a transport that is not closed
   */
  public InMemoryTransport transport(NodeId id) {
    requireMember(id, "id");
    InMemoryTransport fresh = new InMemoryTransport(this, id, peersOf(id));
    InMemoryTransport previous = transports.putIfAbsent(id, fresh);
    if (previous != null) {
      throw new IllegalStateException(
          "member " + id + " already has a live transport; close it before creating another");
    }
    return fresh;
  }

  /** Makes the link {@code from → to} drop every frame until {@link #heal}ed. */
  public void cut(NodeId from, NodeId to) {
    link(from, to).cut = true;
  }

  /** Restores the link {@code from → to}. Frames dropped while it was cut stay lost. */
  public void heal(NodeId from, NodeId to) {
    LinkQueue link = link(from, to);
    link.cut = false;
    link.kick();
  }

  /** Cuts every link from and to {@code id}. */
  public void isolate(NodeId id) {
    requireMember(id, "id");
    for (LinkQueue l : linksBySender.getOrDefault(id, Map.of()).values()) {
      l.cut = true;
    }
    for (LinkQueue l : linksByReceiver.getOrDefault(id, Map.of()).values()) {
      l.cut = true;
    }
  }

  /** Heals every link. */
  public void healAll() {
    for (Map<NodeId, LinkQueue> m : linksBySender.values()) {
      for (LinkQueue l : m.values()) {
        l.cut = false;
        l.kick();
      }
    }
  }

  /** Whether the link {@code from → to} is cut. */
  public boolean isCut(NodeId from, NodeId to) {
    return link(from, to).cut;
  }

  /** Frames dropped because their link was cut, since the network was created. */
  public long framesDroppedByCuts() {
    return framesDroppedByCuts.get();
  }

  /** Closes every live transport. */
  @Override
  public void close() {
    for (InMemoryTransport t : transports.values()) {
      t.close();
    }
  }

  // ---- package-private plumbing for InMemoryTransport ----

  private Set<NodeId> peersOf(NodeId id) {
    TreeSet<NodeId> peers = new TreeSet<>(members);
    peers.remove(id);
    return Collections.unmodifiableSet(peers);
  }

  boolean send(NodeId from, NodeId to, byte[] frame) {
    LinkQueue link = linksBySender.get(from).get(to);
    if (link.cut) {
      framesDroppedByCuts.incrementAndGet();
      return true; // accepted and lost, as on a real network
    }
    if (link.size.incrementAndGet() > maxQueuedFrames) {
      link.size.decrementAndGet();
      return false;
    }
    link.queue.offer(frame);
    link.kick();
    return true;
  }

  /** The receiver started: deliver whatever waits for it. */
  void started(InMemoryTransport receiver) {
    for (LinkQueue l : linksByReceiver.getOrDefault(receiver.self(), Map.of()).values()) {
      l.kick();
    }
  }

  void closed(InMemoryTransport transport) {
    transports.remove(transport.self(), transport);
  }

  private LinkQueue link(NodeId from, NodeId to) {
    requireMember(from, "from");
    requireMember(to, "to");
    if (from.equals(to)) {
      throw new IllegalArgumentException("a link joins two different members, got " + from
          + " twice");
    }
    return linksBySender.get(from).get(to);
  }

  private void requireMember(NodeId id, String what) {
    if (id == null || !members.contains(id)) {
      throw new IllegalArgumentException(what + " " + id + " is not a member; members are "
          + members);
    }
  }

  /**
   * One directed link: a FIFO queue drained on the receiver's delivery thread. At most one drain
   * task per link is scheduled or running at a time ({@code scheduled}), which keeps the link's
   * frames in order and batches those that pile up while a drain is pending.
   */
  private final class LinkQueue {
    private static final int MAX_FRAMES_PER_DRAIN = 1024;

    final NodeId from;
    final NodeId to;
    final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger size = new AtomicInteger();
    final AtomicBoolean scheduled = new AtomicBoolean();
    volatile boolean cut;

    LinkQueue(NodeId from, NodeId to) {
      this.from = from;
      this.to = to;
    }

    /** Schedules a drain on the receiver's thread if frames wait and the receiver is running. */
    void kick() {
      while (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
        InMemoryTransport receiver = transports.get(to);
        if (receiver != null && receiver.isRunning()) {
          try {
            receiver.execute(() -> drain(receiver));
            return;
          } catch (RejectedExecutionException closedMeanwhile) {
            // fall through: release and look again
          }
        }
        scheduled.set(false);
        InMemoryTransport again = transports.get(to);
        if (again == null || !again.isRunning()) {
          return; // the receiver's start() will kick this link
        }
      }
    }

    private void drain(InMemoryTransport receiver) {
      scheduled.set(false);
      for (int i = 0; i < MAX_FRAMES_PER_DRAIN && receiver.isRunning(); i++) {
        byte[] frame = queue.poll();
        if (frame == null) {
          return;
        }
        size.decrementAndGet();
        if (cut) {
          framesDroppedByCuts.incrementAndGet();
          continue;
        }
        receiver.deliver(from, frame);
      }
      kick();
    }
  }
}
