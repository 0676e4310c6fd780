package dev.meridian.core.causal;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.ReliableLinks;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Causally ordered multicast to a fixed group, over {@link ReliableLinks}: a pure protocol core.
 *
 * <p><b>Guarantee.</b> If member p delivered update a (or issued it) before issuing update b,
 * every member delivers a before b; each member delivers each update at most once, and, while
 * members stay up and the network eventually carries frames, every update exactly once. The
 * origin delivers its own update at once, when it is submitted.
 *
 * <p><b>How</b> (Birman–Schiper–Stephenson). Each update carries the origin's vector of delivered
 * counts with its own entry incremented. A member delivers update m from j when {@code VT(m)[j] =
 * VT[j] + 1} and {@code VT(m)[k] <= VT[k]} for every k ≠ j, buffering it until then. Members
 * gossip their delivered vectors; an update every member has delivered is <i>stable</i> and
 * dropped from the stability buffer (kept until then so a later layer can relay it).
 *
 * <p><b>Bounded memory.</b> {@link Submit}s are refused ({@link Refused}) when the stability
 * buffer or a link's send buffer is full; updates waiting for their causal past are capped by
 * {@link CausalSettings#pendingCapacity()}, beyond which the links stop acknowledging, so senders
 * hold and resend them.
 *
 * <p><b>Failure model.</b> Members are a fixed list known to all; messages may be lost,
 * duplicated, delayed and reordered; links may be cut and heal. Crashes are not handled here: a
 * member that restarts has lost what it delivered, and bringing it back needs a state transfer,
 * which belongs to the group-membership (view change) layer built on this core.
 */
public final class CausalMulticastCore implements ProtocolCore<LinkFrame<CausalWire>> {
  static final String RETRANSMIT_TIMER = "causal-retransmit";
  static final String GOSSIP_TIMER = "causal-gossip";

  /** A request: multicast {@code payload}; {@code token} comes back with the outcome. */
  public record Submit(byte[] payload, Object token) {
    public Submit {
      if (payload == null) {
        throw new IllegalArgumentException("submit payload must not be null");
      }
      payload = payload.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    @Override
    public String toString() {
      return "Submit{" + payload.length + "B, " + token + "}";
    }
  }

  /**
   * Delivered to the application: an update, in causal order. {@code token} is set at the
   * origin, null elsewhere.
   */
  public record Delivery(NodeId origin, CausalWire.Update update, Object token) {
    /** The update's sequence number at its origin. */
    public long seq() {
      return update.seq();
    }

    @Override
    public String toString() {
      return "Delivery{" + origin + "#" + update.seq() + " vt=" + Arrays.toString(update.vt())
          + "}";
    }
  }

  /** Delivered to the application when a submit was refused for lack of buffer space. */
  public record Refused(Object token, String reason) {}

  /** Which rules this core follows; the broken variants exist to show the checkers can fail. */
  public enum Variant {
    CORRECT,
    /** Delivers an update as soon as its link hands it up, ignoring its causal past. */
    DELIVER_ON_ARRIVAL,
    /** Never retransmits: a lost frame is lost for good. */
    NO_RETRANSMIT,
    /**
     * Delivers every update of every frame the moment it arrives, bypassing the links' ordering
     * and duplicate suppression as well as the causal rule.
     */
    DELIVER_RAW_FRAMES
  }

  private final List<NodeId> members;
  private final int self;
  private final CausalSettings settings;
  private final Variant variant;
  private final ReliableLinks<CausalWire> links;
  private final long[] delivered;
  private final long[][] deliveredBy; // row k: what member k last said it delivered
  private final List<ArrayDeque<CausalWire.Update>> pending = new ArrayList<>();
  private final List<ArrayDeque<CausalWire.Update>> unstable = new ArrayList<>();
  private final int perOriginPending;
  private final int gossipEvery;
  private int pendingCount;
  private int unstableCount;
  private int deliveredSinceGossip;

  /**
   * @param self this member, which must be in {@code members}
   * @param incarnation this member's incarnation, {@code >= 1}
   * @param members the group, in the same order at every member
   * @throws IllegalArgumentException if {@code members} has duplicates or lacks {@code self}
   */
  public CausalMulticastCore(NodeId self, int incarnation, List<NodeId> members,
      CausalSettings settings, Variant variant) {
    if (members == null || settings == null || variant == null) {
      throw new IllegalArgumentException("members, settings and variant must not be null");
    }
    this.members = List.copyOf(members);
    if (this.members.stream().distinct().count() != this.members.size()) {
      throw new IllegalArgumentException("members contain duplicates: " + members);
    }
    this.self = this.members.indexOf(self);
    if (this.self < 0) {
      throw new IllegalArgumentException(self + " is not among the members " + members);
    }
    this.settings = settings;
    this.variant = variant;
    this.links = new ReliableLinks<>(self, incarnation, this.members, settings.links());
    int n = this.members.size();
    this.delivered = new long[n];
    this.deliveredBy = new long[n][n];
    this.perOriginPending = Math.max(1, settings.pendingCapacity() / Math.max(1, n - 1));
    this.gossipEvery = Math.max(1, settings.stabilityCapacity() / 8);
    for (int k = 0; k < n; k++) {
      pending.add(new ArrayDeque<>());
      unstable.add(new ArrayDeque<>());
    }
  }

  /** Updates delivered here, per member, in member order. */
  public long[] deliveredCounts() {
    return delivered.clone();
  }

  /** Updates received but waiting for their causal past. */
  public int pendingCount() {
    return pendingCount;
  }

  /** Delivered updates not yet known to be delivered everywhere. */
  public int unstableCount() {
    return unstableCount;
  }

  @Override
  public List<Effect<LinkFrame<CausalWire>>> handle(Event<LinkFrame<CausalWire>> event) {
    List<Effect<LinkFrame<CausalWire>>> out = new ArrayList<>();
    if (event instanceof Event.Start<LinkFrame<CausalWire>>) {
      out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER, settings.links().retransmitIntervalNanos()));
      out.add(new Effect.SetTimer<>(GOSSIP_TIMER, settings.gossipIntervalNanos()));
    } else if (event instanceof Event.Request<LinkFrame<CausalWire>> r) {
      if (r.request() instanceof Submit submit) {
        submit(submit, out);
      }
    } else if (event instanceof Event.Message<LinkFrame<CausalWire>> m) {
      // Room is reserved per origin: were it shared, updates waiting on origin j could fill it
      // and shut out the very update of j they wait for. With a per-origin share, the next
      // update each origin owes is always either queued or admissible, so delivery never jams.
      int origin = members.indexOf(m.from());
      int room = origin < 0 ? 0 : Math.max(0, perOriginPending - pending.get(origin).size());
      List<CausalWire> ready = links.receive(m.from(), m.payload(), room);
      if (variant == Variant.DELIVER_RAW_FRAMES) {
        ready = List.of();
        for (CausalWire w : m.payload().payloads()) {
          if (w instanceof CausalWire.Update u) {
            deliver(u, null, out);
          }
        }
      }
      for (CausalWire w : ready) {
        receive(origin, w);
      }
      deliverWhatIsReady(out);
    } else if (event instanceof Event.Timer<LinkFrame<CausalWire>> t) {
      if (t.name().equals(RETRANSMIT_TIMER)) {
        if (variant != Variant.NO_RETRANSMIT) {
          links.retransmitAll();
        }
        out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER, settings.links().retransmitIntervalNanos()));
      } else if (t.name().equals(GOSSIP_TIMER)) {
        gossip();
        out.add(new Effect.SetTimer<>(GOSSIP_TIMER, settings.gossipIntervalNanos()));
      }
    }
    return out;
  }

  /**
   * One frame per peer with everything queued for it this turn, and the acks owed. Also gossips
   * the delivered counts early once a turn has delivered an eighth of the stability buffer since
   * the last gossip: under load the periodic gossip alone would let the stability buffer fill up
   * between two rounds and throttle every submit to capacity / gossip interval.
   */
  @Override
  public List<Effect<LinkFrame<CausalWire>>> flush() {
    if (deliveredSinceGossip >= gossipEvery) {
      gossip();
    }
    return links.flush(frame -> frame);
  }

  private void submit(Submit submit, List<Effect<LinkFrame<CausalWire>>> out) {
    String refusal = refusal();
    if (refusal != null) {
      out.add(new Effect.Deliver<>(new Refused(submit.token(), refusal)));
      return;
    }
    multicast(submit.payload, submit.token(), out); // Submit's own copy, never handed out
  }

  /**
   * For a core that embeds this one: multicasts {@code payload} as a {@link Submit} request
   * would, adding the effects to {@code out} — but a refusal is returned, not delivered.
   *
   * @param payload owned by this core from now on: the caller must never modify it
   * @return false, adding nothing, when the buffers are full (back-pressure: try again later)
   */
  public boolean trySubmit(byte[] payload, Object token, List<Effect<LinkFrame<CausalWire>>> out) {
    if (payload == null) {
      throw new IllegalArgumentException("submit payload must not be null");
    }
    if (refusal() != null) {
      return false;
    }
    multicast(payload, token, out);
    return true;
  }

  /** Why a submit must wait now, or null if there is room. */
  private String refusal() {
    if (unstableCount >= settings.stabilityCapacity()) {
      return "stability buffer full (" + unstableCount + " updates not yet delivered everywhere)";
    }
    if (links.minSendCapacity() < 1) {
      for (int k = 0; k < members.size(); k++) {
        if (k != self && links.sendCapacity(members.get(k)) < 1) {
          return "send buffer to " + members.get(k) + " full";
        }
      }
    }
    return null;
  }

  private void multicast(byte[] payload, Object token, List<Effect<LinkFrame<CausalWire>>> out) {
    long[] vt = delivered.clone();
    vt[self]++;
    CausalWire.Update update = CausalWire.Update.adopt(self, vt, payload);
    for (int k = 0; k < members.size(); k++) {
      if (k != self) {
        links.send(members.get(k), update);
      }
    }
    deliver(update, token, out);
  }

  /** {@code from}: the index of the member the frame came from. */
  private void receive(int from, CausalWire w) {
    if (w instanceof CausalWire.Update u) {
      if (u.width() != members.size() || u.origin() != from) {
        return; // not from a member of this group as we know it: drop, never deliver
      }
      if (u.seq() <= delivered[u.origin()]) {
        return; // already delivered
      }
      pending.get(u.origin()).addLast(u);
      pendingCount++;
    } else if (w instanceof CausalWire.Delivered d) {
      if (d.width() == members.size()) {
        for (int j = 0; j < members.size(); j++) {
          deliveredBy[from][j] = Math.max(deliveredBy[from][j], d.countAt(j));
        }
        collectStable();
      }
    }
  }

  /** Delivers every pending update whose causal past is delivered, until none is left. */
  private void deliverWhatIsReady(List<Effect<LinkFrame<CausalWire>>> out) {
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int j = 0; j < members.size(); j++) {
        ArrayDeque<CausalWire.Update> queue = pending.get(j);
        while (!queue.isEmpty() && deliverable(queue.peekFirst())) {
          pendingCount--;
          deliver(queue.pollFirst(), null, out);
          progress = true;
        }
      }
    }
  }

  private boolean deliverable(CausalWire.Update u) {
    int j = u.origin();
    if (variant == Variant.DELIVER_ON_ARRIVAL) {
      return u.seq() == delivered[j] + 1;
    }
    if (u.vtAt(j) != delivered[j] + 1) {
      return false;
    }
    for (int k = 0; k < delivered.length; k++) {
      if (k != j && u.vtAt(k) > delivered[k]) {
        return false;
      }
    }
    return true;
  }

  private void deliver(CausalWire.Update u, Object token,
      List<Effect<LinkFrame<CausalWire>>> out) {
    delivered[u.origin()] = u.seq();
    deliveredBy[self][u.origin()] = u.seq();
    unstable.get(u.origin()).addLast(u);
    unstableCount++;
    deliveredSinceGossip++;
    out.add(new Effect.Deliver<>(new Delivery(members.get(u.origin()), u, token)));
  }

  private void gossip() {
    deliveredSinceGossip = 0;
    CausalWire.Delivered d = new CausalWire.Delivered(delivered);
    for (NodeId peer : members) {
      if (!peer.equals(members.get(self)) && links.sendCapacity(peer) > 0) {
        links.send(peer, d);
      }
    }
    collectStable();
  }

  /** Drops updates that every member is known to have delivered. */
  private void collectStable() {
    for (int j = 0; j < members.size(); j++) {
      long stable = Long.MAX_VALUE;
      for (long[] row : deliveredBy) {
        stable = Math.min(stable, row[j]);
      }
      ArrayDeque<CausalWire.Update> queue = unstable.get(j);
      while (!queue.isEmpty() && queue.peekFirst().seq() <= stable) {
        queue.pollFirst();
        unstableCount--;
      }
    }
  }
}
