package dev.meridian.core.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.ReliableLinks;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotFailedException;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chandy–Lamport consistent snapshots as a pure protocol core: it carries the application's
 * messages between members over {@link ReliableLinks} and, on request, records a consistent global
 * state of them.
 *
 * <p><b>Guarantee.</b> A snapshot that completes ({@link SnapshotCompleted}) holds, for every member
 * of the view it was taken in, a local state recorded by the application's {@link StateRecorder},
 * and for every channel between two members the application messages in flight across the cut:
 * those sent before the sender recorded and received after the receiver recorded. No message is
 * recorded as received inside the cut but sent outside it. The recorded global state is thus one
 * the group could have passed through (see {@link GlobalSnapshot}).
 *
 * <p><b>How.</b> Snapshot id = (initiator, k); k counts the initiator's snapshots, in a range of
 * its own for each incarnation ({@link SnapshotId#of}). The initiator records its state and sends
 * a marker on every outgoing link. A member that sees the first marker of a snapshot records its state, then
 * sends markers on all its outgoing links, before anything else it sends. From then on it records,
 * per incoming link, every application message that arrives until that link's marker does. When
 * every incoming link has delivered its marker, the member sends its contribution (state and
 * channel recordings) to the initiator, which completes the snapshot once every member
 * contributed. Any number of snapshots may run at once; each keeps its own recordings. The links
 * are FIFO, reliable and duplicate-free over a lossy, reordering network, which is what the
 * algorithm assumes of its channels; their retransmission timer is this core's only timer.
 *
 * <p><b>The application</b> hands messages to send as {@link SendMessage} requests and receives
 * through its {@link Inbox}, which the core calls synchronously, in per-sender FIFO order. A frame
 * may carry messages from both sides of a marker; calling the inbox and the recorder in the exact
 * order of the link is what puts the recording between them. (Returning the messages as
 * {@link Effect.Deliver}s would hand them over only after the turn, too late for a recording made
 * in the middle of it.) The recorder must return an immutable value; it, and the application's
 * messages, are rendered with {@code toString()} in the {@link GlobalSnapshot}.
 *
 * <p><b>Failure model.</b> Messages may be lost, duplicated, delayed and reordered, and links cut
 * for a while: snapshots then wait. Chandy–Lamport does not tolerate crashes: a member that is gone
 * never sends the markers and contribution the snapshot waits for. So the core is told of every
 * installed view ({@link ViewInstalled}, members with their incarnations), and a snapshot whose
 * member is missing from a later view, or is in it under another incarnation, fails ({@link
 * SnapshotFailed}) naming that member. A member that restarted refuses markers meant for its
 * predecessor, and the initiator refuses a contribution from the wrong incarnation, so a snapshot
 * never mixes states across a restart even before the view change arrives. A member that drops
 * its part on a view change tells the initiator ({@code Withdrawn}), which may have missed that
 * view: removed and taken back at the same incarnation between two views it installed, it has no
 * other way to learn that the part will never come. A snapshot whose initiator crashes is lost
 * with it; the others drop their part when a view without it arrives.
 *
 * <p>Not thread-safe; deterministic; no clock, thread or randomness of its own.
 *
 * @param <A> the application's message type
 * @param <S> the application's recorded-state type (immutable)
 */
public final class SnapshotCore<A, S> implements ProtocolCore<LinkFrame<SnapshotWire<A, S>>> {
  /** The links' retransmission timer. */
  public static final String RETRANSMIT_TIMER = "snapshot-retransmit";

  /** Records this member's local state for a snapshot. Must return an immutable value. */
  @FunctionalInterface
  public interface StateRecorder<S> {
    S record(SnapshotId id);
  }

  /** Receives the application's messages, called by the core in per-sender FIFO order. */
  @FunctionalInterface
  public interface Inbox<A> {
    void receive(NodeId from, A message);
  }

  /**
   * Request: start a snapshot of the current view. Delivers {@link SnapshotStarted} at once, later
   * {@link SnapshotCompleted} or {@link SnapshotFailed}.
   */
  public record TakeSnapshot() {}

  /** Request: send {@code message} to {@code to}; {@link SendRefused} if it cannot be queued. */
  public record SendMessage<A>(NodeId to, A message) {
    public SendMessage {
      if (to == null || message == null) {
        throw new IllegalArgumentException("SendMessage needs a destination and a message");
      }
    }
  }

  /**
   * Request: the membership layer installed view {@code viewId} with these members, each at its
   * incarnation. Views older than or equal to the current one are ignored.
   */
  public record ViewInstalled(long viewId, Map<NodeId, Integer> members) {
    public ViewInstalled {
      if (viewId < 1 || members == null) {
        throw new IllegalArgumentException("a view needs an id >= 1 and members, got id " + viewId);
      }
      members = Map.copyOf(members);
    }
  }

  /** Delivered at the initiator: snapshot {@code id} began, over these members (in id order). */
  public record SnapshotStarted(SnapshotId id, long viewId, List<NodeId> members) {}

  /**
   * Delivered at the initiator: the snapshot, both as the application's own values ({@code states},
   * and {@code inFlight}: receiver → sender → messages) and rendered ({@code snapshot}).
   */
  public record SnapshotCompleted<A, S>(GlobalSnapshot snapshot, Map<NodeId, S> states,
      Map<NodeId, Map<NodeId, List<A>>> inFlight) {
    /** The messages in flight from {@code from} to {@code to} across the cut. */
    public List<A> inFlight(NodeId from, NodeId to) {
      return inFlight.getOrDefault(to, Map.of()).getOrDefault(from, List.of());
    }

    @Override
    public String toString() {
      return "SnapshotCompleted{" + snapshot + "}";
    }
  }

  /** Delivered at the initiator: snapshot {@code id} was cut short because {@code member} left. */
  public record SnapshotFailed(SnapshotId id, NodeId member, String reason) {
    /** The failure as the exception an API would complete a snapshot future with. */
    public SnapshotFailedException exception() {
      return new SnapshotFailedException(id, member, reason);
    }
  }

  /** Delivered when a {@link SendMessage} could not be queued; nothing was sent. */
  public record SendRefused<A>(NodeId to, A message, String reason) {}

  /** Which rules this core follows; the broken variants exist to show the checkers can fail. */
  public enum Variant {
    CORRECT,
    /**
     * No markers between members: the initiator only tells each member to record, and they do at
     * once, recording no channel (a snapshot "at a signal", as if at an agreed time).
     */
    NO_MARKERS,
    /** Markers as usual, but channel states are always reported empty. */
    NO_CHANNEL_RECORDING,
    /**
     * On its first marker a member forwards markers at once but records its state only after it
     * has handled its next event, so what that event sends or receives slips in between.
     */
    RECORD_AFTER_FORWARD,
    /**
     * Departures are ignored — view changes, a restarted member's refusal, a contribution from
     * the wrong incarnation — so a snapshot whose member crashed waits forever.
     */
    IGNORE_DEPARTURES
  }

  /** This member's part in one snapshot. */
  private final class Participation {
    final SnapshotId id;
    final long viewId;
    final Map<NodeId, Integer> members; // sorted
    final Set<NodeId> markersFrom = new HashSet<>();
    final Map<NodeId, List<A>> recording = new LinkedHashMap<>(); // open or closed channels
    boolean recorded;
    S state;

    Participation(SnapshotId id, long viewId, Map<NodeId, Integer> members) {
      this.id = id;
      this.viewId = viewId;
      this.members = new TreeMap<>(members);
    }

    boolean allMarkersIn() {
      for (NodeId m : members.keySet()) {
        if (!m.equals(self) && !markersFrom.contains(m)) {
          return false;
        }
      }
      return true;
    }
  }

  /** The initiator's collection of one snapshot's contributions. */
  private final class Collecting {
    final SnapshotId id;
    final long viewId;
    final Map<NodeId, Integer> members; // sorted
    final Map<NodeId, SnapshotWire.Contribution<A, S>> contributions = new TreeMap<>();

    Collecting(SnapshotId id, long viewId, Map<NodeId, Integer> members) {
      this.id = id;
      this.viewId = viewId;
      this.members = new TreeMap<>(members);
    }
  }

  private final NodeId self;
  private final int incarnation;
  private final SnapshotSettings settings;
  private final StateRecorder<S> recorder;
  private final Inbox<A> inbox;
  private final Variant variant;
  private final Set<NodeId> universe;
  private final ReliableLinks<SnapshotWire<A, S>> links;
  // Control messages that found a full send buffer; application sends to that peer wait behind
  // them, so a marker never loses its place in the link's FIFO order.
  private final Map<NodeId, ArrayDeque<SnapshotWire<A, S>>> backlog = new TreeMap<>();
  private final Map<SnapshotId, Participation> participating = new LinkedHashMap<>();
  private final Map<SnapshotId, Collecting> collecting = new LinkedHashMap<>();
  private final LinkedHashSet<SnapshotId> finished = new LinkedHashSet<>();
  private final List<Participation> recordNextEvent = new ArrayList<>(); // RECORD_AFTER_FORWARD
  private long viewId;
  private Map<NodeId, Integer> view = Map.of();
  // Snapshots this incarnation started; ids come from SnapshotId.of, which puts the incarnation
  // in k, so a restarted initiator never reuses an id its predecessor used.
  private long snapshotsStarted;

  /**
   * @param self this member
   * @param incarnation this member's incarnation, {@code >= 1}; a restarted member must use a
   *     larger one
   * @param universe every node this member may ever share a view with (links are opened to each)
   * @param recorder records the local state for a snapshot
   * @param inbox receives the application's messages
   * @throws IllegalArgumentException if an argument is null or {@code incarnation < 1}
   */
  public SnapshotCore(NodeId self, int incarnation, Collection<NodeId> universe,
      SnapshotSettings settings, StateRecorder<S> recorder, Inbox<A> inbox, Variant variant) {
    if (self == null || universe == null || settings == null || recorder == null || inbox == null
        || variant == null) {
      throw new IllegalArgumentException(
          "self, universe, settings, recorder, inbox and variant must not be null");
    }
    if (incarnation < 1) {
      throw new IllegalArgumentException("incarnation must be >= 1, got " + incarnation);
    }
    this.self = self;
    this.incarnation = incarnation;
    this.settings = settings;
    this.recorder = recorder;
    this.inbox = inbox;
    this.variant = variant;
    this.universe = new HashSet<>(universe);
    this.universe.add(self);
    this.links = new ReliableLinks<>(self, incarnation, universe, settings.links());
  }

  /** The id of the view installed last, 0 before the first. */
  public long viewId() {
    return viewId;
  }

  /** Snapshots this member is taking part in and has not yet contributed to. */
  public int participations() {
    return participating.size();
  }

  /** Snapshots this member initiated that have neither completed nor failed. */
  public int collecting() {
    return collecting.size();
  }

  /** Application messages that may be sent to {@code peer} now without being refused. */
  public int sendCapacity(NodeId peer) {
    if (!links.isPeer(peer) || !backlog.getOrDefault(peer, new ArrayDeque<>()).isEmpty()) {
      return 0;
    }
    return Math.max(0, links.sendCapacity(peer) - settings.controlReserve());
  }

  @Override
  public List<Effect<LinkFrame<SnapshotWire<A, S>>>> handle(
      Event<LinkFrame<SnapshotWire<A, S>>> event) {
    List<Effect<LinkFrame<SnapshotWire<A, S>>>> out = new ArrayList<>();
    List<Participation> due = List.copyOf(recordNextEvent); // RECORD_AFTER_FORWARD only
    recordNextEvent.clear();
    if (event instanceof Event.Start<LinkFrame<SnapshotWire<A, S>>>) {
      out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER, settings.links().retransmitIntervalNanos()));
    } else if (event instanceof Event.Timer<LinkFrame<SnapshotWire<A, S>>> t) {
      if (t.name().equals(RETRANSMIT_TIMER)) {
        links.retransmitAll();
        out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER,
            settings.links().retransmitIntervalNanos()));
      }
    } else if (event instanceof Event.Request<LinkFrame<SnapshotWire<A, S>>> r) {
      if (r.request() instanceof TakeSnapshot) {
        take(out);
      } else if (r.request() instanceof SendMessage<?> s) {
        @SuppressWarnings("unchecked")
        SendMessage<A> send = (SendMessage<A>) s;
        sendApp(send, out);
      } else if (r.request() instanceof ViewInstalled v) {
        install(v, out);
      }
    } else if (event instanceof Event.Message<LinkFrame<SnapshotWire<A, S>>> m) {
      for (SnapshotWire<A, S> w : links.receive(m.from(), m.payload())) {
        receive(m.from(), w, out);
      }
    }
    for (Participation p : due) {
      if (participating.get(p.id) == p) {
        record(p);
        contributeIfDone(p, out);
      }
    }
    return out;
  }

  @Override
  public List<Effect<LinkFrame<SnapshotWire<A, S>>>> flush() {
    for (Map.Entry<NodeId, ArrayDeque<SnapshotWire<A, S>>> e : backlog.entrySet()) {
      ArrayDeque<SnapshotWire<A, S>> queue = e.getValue();
      while (!queue.isEmpty() && links.send(e.getKey(), queue.peekFirst())) {
        queue.removeFirst();
      }
    }
    return links.flush(frame -> frame);
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  private void take(List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    SnapshotId id = SnapshotId.of(self, incarnation, ++snapshotsStarted);
    out.add(new Effect.Deliver<>(new SnapshotStarted(id, viewId, List.copyOf(view.keySet()))));
    Integer mine = view.get(self);
    if (mine == null || mine != incarnation) {
      out.add(new Effect.Deliver<>(new SnapshotFailed(id, self, viewId == 0
          ? "no view installed yet" : "not a member of view " + viewId + " as incarnation "
              + incarnation)));
      return;
    }
    collecting.put(id, new Collecting(id, viewId, view));
    participate(id, viewId, view, out);
  }

  private void sendApp(SendMessage<A> send, List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    if (!links.isPeer(send.to())) {
      out.add(new Effect.Deliver<>(new SendRefused<>(send.to(), send.message(),
          send.to() + " is not a peer of " + self)));
    } else if (sendCapacity(send.to()) == 0) {
      out.add(new Effect.Deliver<>(new SendRefused<>(send.to(), send.message(),
          "send buffer to " + send.to() + " is full")));
    } else {
      links.send(send.to(), new SnapshotWire.App<>(send.message()));
    }
  }

  private void install(ViewInstalled v, List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    for (NodeId m : v.members().keySet()) {
      if (!universe.contains(m)) {
        throw new IllegalArgumentException("view " + v.viewId() + " names " + m
            + ", which is not among the nodes this core has links to: " + universe);
      }
    }
    if (v.viewId() <= viewId) {
      return;
    }
    viewId = v.viewId();
    view = new TreeMap<>(v.members());
    if (variant == Variant.IGNORE_DEPARTURES) {
      return;
    }
    for (Collecting c : List.copyOf(collecting.values())) {
      Departure gone = goneFrom(c.members);
      if (gone != null) {
        fail(c, gone.member(), gone.reason(), out);
      }
    }
    for (Participation p : List.copyOf(participating.values())) {
      if (p.viewId >= viewId) {
        // Taken up on a marker from a view this member had not installed yet. A view no newer
        // than the snapshot's own says nothing about it: the snapshot's members are those of its
        // view, whatever an earlier one lacked.
        continue;
      }
      Departure gone = goneFrom(p.members);
      if (gone != null) {
        drop(p);
        // The initiator may have missed this view (it was removed and taken back between two of
        // its views): then nothing but this message tells it that this part will never come. Only
        // an initiator that restarted is past caring.
        NodeId initiator = p.id.initiator();
        Integer initiatorNow = view.get(initiator);
        if (initiatorNow == null || initiatorNow.equals(p.members.get(initiator))) {
          withdraw(p.id, gone.member(), gone.reason() + ", as seen by " + self, out);
        }
      }
    }
  }

  /** A member gone from a snapshot, and how. */
  private record Departure(NodeId member, String reason) {}

  /**
   * The first of {@code members} (in id order) that the current view lacks or has under another
   * incarnation; null if every one is still there.
   */
  private Departure goneFrom(Map<NodeId, Integer> members) {
    for (Map.Entry<NodeId, Integer> e : members.entrySet()) {
      Integer now = view.get(e.getKey());
      if (now == null) {
        return new Departure(e.getKey(), "not in view " + viewId);
      }
      if (!now.equals(e.getValue())) {
        return new Departure(e.getKey(), "restarted: incarnation " + e.getValue()
            + " replaced by " + now + " in view " + viewId);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Wire

  private void receive(NodeId from, SnapshotWire<A, S> w,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    if (w instanceof SnapshotWire.App<A, S> app) {
      if (variant != Variant.NO_CHANNEL_RECORDING && variant != Variant.NO_MARKERS) {
        for (Participation p : participating.values()) {
          List<A> channel = p.recording.get(from);
          if (channel != null && !p.markersFrom.contains(from)) {
            channel.add(app.message());
          }
        }
      }
      inbox.receive(from, app.message());
    } else if (w instanceof SnapshotWire.Marker<A, S> marker) {
      onMarker(from, marker, out);
    } else if (w instanceof SnapshotWire.Contribution<A, S> c) {
      onContribution(c, out);
    } else if (w instanceof SnapshotWire.Withdrawn<A, S> withdrawn
        && variant != Variant.IGNORE_DEPARTURES) {
      Collecting c = collecting.get(withdrawn.id());
      if (c != null) {
        fail(c, withdrawn.member(), withdrawn.reason(), out);
      }
    }
  }

  private void onMarker(NodeId from, SnapshotWire.Marker<A, S> marker,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    SnapshotId id = marker.id();
    if (finished.contains(id) || !marker.members().containsKey(from)) {
      return;
    }
    Participation p = participating.get(id);
    if (p == null) {
      if (!universe.containsAll(marker.members().keySet())) {
        return; // names nodes this member has no link to: not from a view of ours
      }
      Integer expected = marker.members().get(self);
      if (expected == null) {
        return; // not a member of that snapshot: a confused sender
      }
      if (expected != incarnation) {
        finish(id);
        withdraw(id, self, "restarted: incarnation " + expected + " replaced by " + incarnation,
            out);
        return;
      }
      if (viewId >= marker.viewId() && variant != Variant.IGNORE_DEPARTURES) {
        Departure gone = goneFrom(new TreeMap<>(marker.members()));
        if (gone != null) {
          finish(id);
          withdraw(id, gone.member(), gone.reason() + ", as seen by " + self, out);
          return;
        }
      }
      p = participate(id, marker.viewId(), marker.members(), out);
      if (p == null) {
        return;
      }
    }
    p.markersFrom.add(from);
    contributeIfDone(p, out);
  }

  /**
   * Starts this member's part in snapshot {@code id}: records its state and sends markers (in the
   * order the variant dictates). Returns null if the part is already over (a one-member snapshot,
   * or the marker-less variant).
   */
  private Participation participate(SnapshotId id, long snapshotView,
      Map<NodeId, Integer> members, List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    Participation p = new Participation(id, snapshotView, members);
    participating.put(id, p);
    SnapshotWire.Marker<A, S> marker = new SnapshotWire.Marker<>(id, snapshotView, members);
    switch (variant) {
      case NO_MARKERS -> {
        record(p);
        if (id.initiator().equals(self)) {
          sendMarkers(p, marker); // only as "record now" requests, never forwarded
        }
        p.markersFrom.addAll(p.members.keySet()); // nothing is waited for
      }
      case RECORD_AFTER_FORWARD -> {
        sendMarkers(p, marker);
        recordNextEvent.add(p);
      }
      default -> {
        record(p);
        sendMarkers(p, marker);
      }
    }
    contributeIfDone(p, out);
    return participating.get(id);
  }

  private void sendMarkers(Participation p, SnapshotWire.Marker<A, S> marker) {
    for (NodeId m : p.members.keySet()) {
      if (!m.equals(self)) {
        control(m, marker);
      }
    }
  }

  /** Records the local state and opens every incoming channel whose marker has not yet come. */
  private void record(Participation p) {
    p.state = recorder.record(p.id);
    p.recorded = true;
    for (NodeId m : p.members.keySet()) {
      if (!m.equals(self)) {
        p.recording.put(m, new ArrayList<>());
      }
    }
  }

  private void contributeIfDone(Participation p,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    if (!p.recorded || !p.allMarkersIn()) {
      return;
    }
    drop(p);
    Map<NodeId, List<A>> incoming = new TreeMap<>();
    for (Map.Entry<NodeId, List<A>> e : p.recording.entrySet()) {
      incoming.put(e.getKey(), List.copyOf(e.getValue()));
    }
    SnapshotWire.Contribution<A, S> c =
        new SnapshotWire.Contribution<>(p.id, self, incarnation, p.state, incoming);
    if (p.id.initiator().equals(self)) {
      onContribution(c, out);
    } else {
      control(p.id.initiator(), c);
    }
  }

  private void onContribution(SnapshotWire.Contribution<A, S> c,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    Collecting col = collecting.get(c.id());
    if (col == null) {
      return; // failed already, or a duplicate
    }
    Integer expected = col.members.get(c.member());
    if (expected == null) {
      return;
    }
    if (expected != c.incarnation()) {
      if (variant == Variant.IGNORE_DEPARTURES) {
        return;
      }
      fail(col, c.member(), "restarted: incarnation " + expected + " replaced by "
          + c.incarnation(), out);
      return;
    }
    col.contributions.put(c.member(), c);
    if (col.contributions.size() == col.members.size()) {
      complete(col, out);
    }
  }

  private void complete(Collecting col, List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    collecting.remove(col.id);
    Map<NodeId, S> states = new TreeMap<>();
    Map<NodeId, String> rendered = new TreeMap<>();
    Map<NodeId, Map<NodeId, List<A>>> inFlight = new TreeMap<>();
    List<GlobalSnapshot.Channel> channels = new ArrayList<>();
    for (SnapshotWire.Contribution<A, S> c : col.contributions.values()) {
      states.put(c.member(), c.state());
      rendered.put(c.member(), String.valueOf(c.state()));
      inFlight.put(c.member(), c.incoming());
      for (NodeId from : col.members.keySet()) {
        if (!from.equals(c.member())) {
          List<String> messages = new ArrayList<>();
          for (A a : c.incoming().getOrDefault(from, List.of())) {
            messages.add(String.valueOf(a));
          }
          channels.add(new GlobalSnapshot.Channel(from, c.member(), messages));
        }
      }
    }
    out.add(new Effect.Deliver<>(new SnapshotCompleted<>(
        new GlobalSnapshot(col.id, col.viewId, rendered, channels), states, inFlight)));
  }

  private void fail(Collecting col, NodeId member, String reason,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    collecting.remove(col.id);
    Participation own = participating.get(col.id);
    if (own != null) {
      drop(own);
    }
    out.add(new Effect.Deliver<>(new SnapshotFailed(col.id, member, reason)));
  }

  private void drop(Participation p) {
    participating.remove(p.id);
    finish(p.id);
  }

  private void finish(SnapshotId id) {
    finished.add(id);
    if (finished.size() > settings.finishedMemory()) {
      Iterator<SnapshotId> oldest = finished.iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /** Tells the initiator of {@code id} that {@code member} is gone from it. */
  private void withdraw(SnapshotId id, NodeId member, String reason,
      List<Effect<LinkFrame<SnapshotWire<A, S>>>> out) {
    if (id.initiator().equals(self)) {
      Collecting c = collecting.get(id);
      if (c != null) {
        fail(c, member, reason, out);
      }
    } else {
      control(id.initiator(), new SnapshotWire.Withdrawn<>(id, member, reason));
    }
  }

  /** Queues a protocol message behind any backlog to {@code to}; it is never refused. */
  private void control(NodeId to, SnapshotWire<A, S> w) {
    ArrayDeque<SnapshotWire<A, S>> queue = backlog.computeIfAbsent(to, k -> new ArrayDeque<>());
    if (!queue.isEmpty() || !links.send(to, w)) {
      queue.addLast(w);
    }
  }
}
