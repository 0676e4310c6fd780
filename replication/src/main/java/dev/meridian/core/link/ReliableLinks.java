package dev.meridian.core.link;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reliable FIFO links from one node to each of its peers: a pure component that a protocol core
 * embeds (it reads no clock and starts no timer; its owner calls {@link #retransmitAll} on a
 * timer of {@link LinkSettings#retransmitIntervalNanos()}).
 *
 * <p><b>Guarantee</b>, for a link from incarnation s of one node to incarnation r of another,
 * over a network that may lose, duplicate, delay and reorder frames: payloads are delivered at r
 * in the order s sent them, each at most once; and every payload s sent is delivered, as long as
 * s and r stay up and the network eventually carries frames again (retransmission never stops
 * while a payload is unacknowledged).
 *
 * <p><b>How.</b> Per-link sequence numbers; cumulative acknowledgements; a bounded send buffer of
 * unacknowledged payloads that {@link #retransmitAll} sends again; receivers drop what they
 * already have and hold early arrivals until the gap before them fills.
 *
 * <p><b>Restarts.</b> Every frame names the sender's incarnation and the receiver's incarnation as
 * the sender knows it. A receiver ignores frames from older incarnations of the sender and data
 * meant for an older incarnation of itself. On learning that a peer restarted, a node starts a new
 * link to it: sequence numbers begin again at 1 and its still-unacknowledged payloads are resent
 * under the new numbers. Payloads that the old incarnation acknowledged are not resent — the
 * restarted peer lost them with its memory, which is for the layer above (state transfer) to
 * repair.
 *
 * @param <P> payload type
 */
public final class ReliableLinks<P> {
  private final NodeId self;
  private final int incarnation;
  private final LinkSettings settings;
  private final Map<NodeId, Peer<P>> peers = new LinkedHashMap<>();
  private long rejectedFrames;

  /**
   * @param self this node
   * @param incarnation this node's incarnation, {@code >= 1}
   * @param peers the other nodes (this node, if listed, is skipped)
   * @throws IllegalArgumentException if an argument is null or {@code incarnation < 1}
   */
  public ReliableLinks(NodeId self, int incarnation, Collection<NodeId> peers,
      LinkSettings settings) {
    if (self == null || peers == null || settings == null) {
      throw new IllegalArgumentException("self, peers and settings must not be null");
    }
    if (incarnation < 1) {
      throw new IllegalArgumentException("incarnation must be >= 1, got " + incarnation);
    }
    this.self = self;
    this.incarnation = incarnation;
    this.settings = settings;
    for (NodeId p : peers) {
      if (!p.equals(self)) {
        this.peers.put(p, new Peer<>());
      }
    }
  }

  /** Per-peer state: the outgoing half and the incoming half of one link. */
  private static final class Peer<P> {
    int knownIncarnation; // 0: never heard from
    // outgoing: sequence numbers firstUnackedSeq.. are first the sent ones, then the unsent ones
    final ArrayDeque<P> unacked = new ArrayDeque<>(); // sent at least once
    final ArrayDeque<P> unsent = new ArrayDeque<>();
    long firstUnackedSeq = 1;
    boolean resendDue; // a retransmission round: send every unacknowledged payload again
    long firstUnackedAtLastTick = 1;
    // incoming
    long expected = 1;
    final TreeMap<Long, P> early = new TreeMap<>();
    boolean ackDue;

    int buffered() {
      return unacked.size() + unsent.size();
    }

    long nextSeq() {
      return firstUnackedSeq + buffered();
    }
  }

  /**
   * Queues {@code payload} for {@code peer}; it goes on the wire at the next {@link #flush}.
   *
   * @return false, queuing nothing, when the send buffer to that peer is full: back-pressure
   * @throws IllegalArgumentException if {@code peer} is not a peer, or {@code payload} is null
   */
  public boolean send(NodeId peer, P payload) {
    if (payload == null) {
      throw new IllegalArgumentException("payload must not be null");
    }
    Peer<P> p = requirePeer(peer);
    if (p.buffered() >= settings.sendBufferPerPeer()) {
      return false;
    }
    p.unsent.addLast(payload);
    return true;
  }

  /** Free places in the send buffer to {@code peer}. */
  public int sendCapacity(NodeId peer) {
    return settings.sendBufferPerPeer() - requirePeer(peer).buffered();
  }

  /** The least free places in the send buffer to any peer (a send to all of them fits if > 0). */
  public int minSendCapacity() {
    int min = settings.sendBufferPerPeer();
    for (Peer<P> p : peers.values()) {
      min = Math.min(min, settings.sendBufferPerPeer() - p.buffered());
    }
    return min;
  }

  /** Whether {@code peer} is one of this node's peers. */
  public boolean isPeer(NodeId peer) {
    return peer != null && peers.containsKey(peer);
  }

  /** Payloads queued for {@code peer} and not yet acknowledged (sent or not). */
  public int unacknowledged(NodeId peer) {
    return requirePeer(peer).buffered();
  }

  /** Frames refused as malformed or from unknown nodes since this component was built. */
  public long rejectedFrames() {
    return rejectedFrames;
  }

  /**
   * Takes in a frame from {@code from} and returns the payloads it makes deliverable, in FIFO
   * order. Frames from unknown nodes, and frames that contradict themselves, are dropped and
   * counted ({@link #rejectedFrames}); they never throw.
   */
  public List<P> receive(NodeId from, LinkFrame<P> frame) {
    return receive(from, frame, Integer.MAX_VALUE);
  }

  /**
   * As {@link #receive(NodeId, LinkFrame)}, but hands up at most {@code room} payloads: the rest
   * are neither delivered nor acknowledged, so the sender keeps them and sends them again later.
   * This is how a receiver whose own buffers are full pushes back on its senders.
   */
  public List<P> receive(NodeId from, LinkFrame<P> frame, int room) {
    Peer<P> p = from == null ? null : peers.get(from);
    if (p == null || frame == null) {
      rejectedFrames++;
      return List.of();
    }
    if (frame.senderIncarnation() < p.knownIncarnation) {
      return List.of(); // from an incarnation that has since restarted
    }
    if (frame.senderIncarnation() > p.knownIncarnation) {
      if (p.knownIncarnation != 0) {
        restartLinkTo(p);
      }
      p.knownIncarnation = frame.senderIncarnation();
      p.ackDue = true; // tell it our incarnation
    }
    if (frame.receiverIncarnation() != 0 && frame.receiverIncarnation() != incarnation) {
      p.ackDue = true; // meant for an earlier incarnation of this node; our reply corrects it
      return List.of();
    }
    if (frame.receiverIncarnation() == incarnation) {
      acknowledge(p, frame.ack());
    }
    if (frame.payloads().isEmpty()) {
      return List.of();
    }
    p.ackDue = true;
    List<P> delivered = new ArrayList<>();
    long seq = frame.firstSeq();
    for (P payload : frame.payloads()) {
      if (delivered.size() >= room) {
        break;
      }
      if (seq == p.expected) {
        delivered.add(payload);
        p.expected++;
        for (P next; delivered.size() < room && (next = p.early.remove(p.expected)) != null;
            p.expected++) {
          delivered.add(next);
        }
      } else if (seq > p.expected && seq - p.expected <= settings.sendBufferPerPeer()) {
        p.early.putIfAbsent(seq, payload);
      } // else: a duplicate, or beyond any window the sender can have open
      seq++;
    }
    return delivered;
  }

  private void acknowledge(Peer<P> p, long ack) {
    // Only sent payloads can be acknowledged; a larger ack is from a confused or lying peer.
    while (p.firstUnackedSeq <= ack && !p.unacked.isEmpty()) {
      p.unacked.removeFirst();
      p.firstUnackedSeq++;
    }
  }

  /** The peer restarted: a new link, numbered from 1, carrying what is still unacknowledged. */
  private void restartLinkTo(Peer<P> p) {
    while (!p.unacked.isEmpty()) {
      p.unsent.addFirst(p.unacked.removeLast());
    }
    p.firstUnackedSeq = 1;
    p.firstUnackedAtLastTick = 1;
    p.resendDue = false;
    p.expected = 1;
    p.early.clear();
  }

  /**
   * The retransmission timer fired: marks every unacknowledged payload to a peer for sending again
   * at the next {@link #flush} — but only to peers whose cumulative acknowledgement has not moved
   * since the previous call. An ack that still advances means the link is working and merely
   * busy; resending a whole window then would only flood it (a hole from a lost frame stops the
   * cumulative ack, which is exactly what triggers the resend).
   */
  public void retransmitAll() {
    for (Peer<P> p : peers.values()) {
      if (!p.unacked.isEmpty() && p.firstUnackedSeq == p.firstUnackedAtLastTick) {
        p.resendDue = true;
      }
      p.firstUnackedAtLastTick = p.firstUnackedSeq;
    }
  }

  /**
   * Frames to send now: payloads not yet on the wire (in frames of at most {@link
   * LinkSettings#maxPayloadsPerFrame()}), and an acknowledgement to every peer owed one.
   */
  public <M> List<Effect<M>> flush(java.util.function.Function<LinkFrame<P>, M> wrap) {
    List<Effect<M>> out = new ArrayList<>();
    int max = settings.maxPayloadsPerFrame();
    for (Map.Entry<NodeId, Peer<P>> e : peers.entrySet()) {
      Peer<P> p = e.getValue();
      boolean sent = false;
      if (p.resendDue) {
        long seq = p.firstUnackedSeq;
        Iterator<P> it = p.unacked.iterator();
        while (it.hasNext()) {
          List<P> batch = new ArrayList<>(Math.min(max, p.unacked.size()));
          while (it.hasNext() && batch.size() < max) {
            batch.add(it.next());
          }
          out.add(new Effect.Send<>(e.getKey(), wrap.apply(frame(p, seq, batch))));
          seq += batch.size();
          sent = true;
        }
        p.resendDue = false;
      }
      while (!p.unsent.isEmpty()) {
        long seq = p.firstUnackedSeq + p.unacked.size();
        List<P> batch = new ArrayList<>(Math.min(max, p.unsent.size()));
        while (!p.unsent.isEmpty() && batch.size() < max) {
          P payload = p.unsent.removeFirst();
          batch.add(payload);
          p.unacked.addLast(payload);
        }
        out.add(new Effect.Send<>(e.getKey(), wrap.apply(frame(p, seq, batch))));
        sent = true;
      }
      if (p.ackDue && !sent) {
        out.add(new Effect.Send<>(e.getKey(), wrap.apply(frame(p, p.nextSeq(), List.of()))));
      }
      p.ackDue = false;
    }
    return out;
  }

  private LinkFrame<P> frame(Peer<P> p, long firstSeq, List<P> payloads) {
    return new LinkFrame<>(incarnation, p.knownIncarnation, p.expected - 1, firstSeq, payloads);
  }

  private Peer<P> requirePeer(NodeId peer) {
    Peer<P> p = peer == null ? null : peers.get(peer);
    if (p == null) {
      throw new IllegalArgumentException("unknown peer " + peer + " of " + self + "; peers are "
          + peers.keySet());
    }
    return p;
  }
}
