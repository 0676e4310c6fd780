package dev.meridian.core.membership;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.link.ReliableLinks;
import dev.meridian.core.membership.MemberWire.Accept;
import dev.meridian.core.membership.MemberWire.Accepted;
import dev.meridian.core.membership.MemberWire.App;
import dev.meridian.core.membership.MemberWire.Ballot;
import dev.meridian.core.membership.MemberWire.Heartbeat;
import dev.meridian.core.membership.MemberWire.Install;
import dev.meridian.core.membership.MemberWire.Join;
import dev.meridian.core.membership.MemberWire.Nack;
import dev.meridian.core.membership.MemberWire.NotMember;
import dev.meridian.core.membership.MemberWire.Prepare;
import dev.meridian.core.membership.MemberWire.Promise;
import dev.meridian.core.membership.MemberWire.Proposal;
import dev.meridian.membership.View;
import dev.meridian.membership.NoQuorumException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Group membership with virtually synchronous view changes, as a pure core over {@link
 * ReliableLinks}: failure detection, primary-partition view agreement, a flush, joins, and a
 * multicast of application messages within each view (numbered per sender and view; the
 * simulator's workload sends them).
 *
 * <p><b>Guarantees</b> (crash-stop members that restart as new incarnations; links lose,
 * duplicate, delay and reorder; partitions):
 *
 * <ul>
 *   <li><i>One view per id.</i> Members that install view id v install the same view. The next
 *       view of v is chosen like a single Paxos decree: a coordinator's ballot must be promised,
 *       then accepted, by every surviving member — a strict majority of v ({@link
 *       View#isMajorityOf}) — and a coordinator adopts any proposal already accepted in its
 *       quorum. Two majorities of v intersect, and a member keeps its promises for as long as it
 *       is in v (a restarted incarnation is in no view, so never answers for its predecessor).
 *       Two shortcuts keep it a Paxos decree: every acceptor sends its Accepted to the whole
 *       quorum, and a member installs once all of it accepted (the learner's rule: no Install
 *       hop); and a member told that a peer's process is gone promises its coordinator's lowest
 *       ballot unasked, so the coordinator skips the Prepare to it. The common failover (a
 *       non-coordinator dies, its port refuses connections) then takes three one-way hops
 *       after the hints instead of five.
 *   <li><i>Primary partition.</i> No view is proposed without a majority of the previous one; the
 *       minority side blocks instead of splitting the brain.
 *   <li><i>Virtual synchrony.</i> A member that promises stops delivering messages of its view
 *       and reports all it received; the chosen proposal carries, per sender, the longest prefix
 *       any survivor received, and each survivor delivers what it lacks before installing. So
 *       members that install v and v+1 deliver the same messages in v. Nobody delivers a message
 *       of a view it is not in.
 *   <li><i>Total order within a view</i> for messages that ask for it: the view's oldest member
 *       gives each a place as it receives it; members deliver in place order. The flush carries
 *       the longest prefix of places any survivor knew, and survivors place the rest by (sender,
 *       seq), so members that move from v to v+1 delivered v's total-order messages in one order.
 *       Non-uniform, like virtual synchrony: a member removed from v may have delivered a
 *       different tail (it rejoins, and state transfer replaces what it applied).
 *   <li><i>Liveness, not guaranteed</i> (FLP): suspicions can be wrong and coordinators can
 *       duel; timeouts with randomized retries make progress likely once the network behaves.
 * </ul>
 *
 * <p>The coordinator is the oldest member of the view that this member does not suspect, so
 * when it fails the next oldest takes over mid-change. A member that learns it was removed (or a
 * restarted incarnation) joins again and installs a view that admits its incarnation; it never
 * receives the old view's messages (state transfer comes with the replicated-state layer).
 */
public final class MembershipCore implements ProtocolCore<LinkFrame<MemberWire>> {
  static final String TICK_TIMER = "membership-tick";
  /** Fires when a peer's silence would cross the hard bound between two ticks. */
  static final String SUSPICION_TIMER = "membership-suspicion";
  static final String RETRANSMIT_TIMER = "membership-retransmit";
  static final String APP_TIMER = "membership-app";
  static final String PROGRESS_TIMER = "membership-progress";
  /** A founder not heard from yet is suspected after this many suspicion timeouts, not one. */
  static final int FOUNDER_GRACE_TIMEOUTS = 4;
  /** How soon after receiving messages a member reports it holds them (their senders wait). */
  static final long PROGRESS_DELAY_NANOS = 1_000_000L;

  /** Which rules this core follows; the broken variants exist to show the checkers can fail. */
  public enum Variant {
    CORRECT,
    /** Installs the next view without delivering the flushed messages it lacks. */
    INSTALL_WITHOUT_FLUSH,
    /** Proposes a next view without a majority of the current one. */
    NO_MAJORITY,
    /** Never admits a joiner: a restarted node stays out for good. */
    IGNORE_JOINS,
    /** Delivers total-order messages on arrival, without waiting for the sequencer. */
    TOTAL_ON_RECEIPT,
    /** A joiner starts from its own empty state instead of the state transfer it receives. */
    SKIP_STATE_TRANSFER,
    /** Reports a submit done once applied here, before every member holds it (non-uniform). */
    ACK_ON_APPLY
  }

  // ------------------------------------------------------------------ requests

  /**
   * Request: multicast {@code payload} in the current view, in total order or FIFO; the outcome
   * ({@link SubmitDone} or {@link SubmitFailed}) names {@code token}.
   */
  public record Submit(byte[] payload, boolean total, Object token) {
    @Override
    public String toString() { // never the payload
      return "Submit{" + payload.length + " bytes" + (total ? ", total" : "") + "}";
    }
  }

  /** Request: leave the group gracefully; {@link Left} follows once a view without it exists. */
  public record LeaveGroup() {}

  /** Request: run {@code reader} on the core's thread, between two applied messages. */
  public record Read(java.util.function.Supplier<?> reader, Object token) {}

  // ------------------------------------------------------------------ outcomes

  /**
   * Delivered to the application: view {@code view} is installed here; {@code joined} are new in
   * it, {@code left} were in this member's previous view and are not in it, {@code suspected}
   * those of them that did not leave of their own accord. A joiner's previous view is none.
   */
  public record Installed(View view, List<NodeId> joined, Set<NodeId> left,
      Set<NodeId> suspected) {
    public Installed(View view) {
      this(view, List.of(), Set.of(), Set.of());
    }

    /** The same, in the public API's terms. */
    public dev.meridian.membership.ViewChange change() {
      return new dev.meridian.membership.ViewChange(view, joined, left, suspected);
    }
  }

  /**
   * Delivered to the application: an application message, in the view it was sent in, and what
   * applying it to the {@link GroupState} returned.
   */
  public record Delivered(App app, Object result) {
    public Delivered(App app) {
      this(app, null);
    }
  }

  /** This member cannot reach a majority of its view: submits are refused until it can. */
  public record Blocked(String reason) {}

  /** This member reaches a majority of its view again, or was admitted to a new view. */
  public record Unblocked(long viewId) {}

  /** A state transfer for view {@code viewId} could not be restored; another copy is awaited. */
  public record TransferRefused(long viewId, String problem) {}

  /** A joiner received the state of view {@code viewId} and applies that view's messages now. */
  public record StateRestored(long viewId) {}

  /** The message submitted with {@code token} was applied here, returning {@code result}. */
  public record SubmitDone(Object token, Object result) {}

  /** The message submitted with {@code token} failed; {@code cause} says why. */
  public record SubmitFailed(Object token, RuntimeException cause) {}

  /**
   * A request: the deadline of the submit named {@code token} has passed. If it is still in
   * flight, the core answers with {@link DeadlineMissed}; the submit itself goes on, and its
   * {@link SubmitDone} or {@link SubmitFailed} still follows.
   */
  public record DeadlinePassed(Object token) {}

  /** A submit missed its deadline: {@code late} had not applied (or received) it. */
  public record DeadlineMissed(Object token, List<NodeId> late, String why) {}

  /** A read ran: {@code result}, or {@code failure} if the reader threw. */
  public record ReadDone(Object token, Object result, RuntimeException failure) {}

  /** This member left the group gracefully: view {@code viewId} does not contain it. */
  public record Left(long viewId) {}

  /**
   * Delivered, if asked for ({@link #reportViewIncarnations}), once the incarnation of every
   * member of the installed view is known: right after {@link Installed} for a view a proposal
   * brought, and for the founders' view 1 once every founder has been heard from (their
   * incarnations are learnt from their first frames). For layers that must tell a member from its
   * restarted successor, such as snapshots, which fail when a member of theirs leaves the view.
   */
  public record ViewIncarnations(View view, Map<NodeId, Integer> incarnations) {
    public ViewIncarnations {
      incarnations = Map.copyOf(incarnations);
    }
  }

  /**
   * Timing and limits.
   *
   * @param detector failure detection
   * @param changeTimeoutNanos how long a coordinator waits for a view-change round
   * @param appIntervalNanos how often the built-in workload multicasts (0: never)
   * @param links link settings
   */
  public record Settings(DetectorSettings detector, long changeTimeoutNanos,
      long appIntervalNanos, LinkSettings links) {
    public Settings {
      if (detector == null || links == null) {
        throw new IllegalArgumentException("detector and links must not be null");
      }
      if (changeTimeoutNanos < 1_000_000L) {
        throw new IllegalArgumentException("changeTimeoutNanos must be >= 1 ms, got "
            + changeTimeoutNanos);
      }
      if (appIntervalNanos < 0) {
        throw new IllegalArgumentException("appIntervalNanos must be >= 0, got "
            + appIntervalNanos);
      }
    }
  }

  private final NodeId self;
  private final int incarnation;
  private final boolean founder;
  private final GroupState state;
  private final List<NodeId> universe;
  private final Settings settings;
  private final Variant variant;
  private final RandomGenerator random;
  private final ReliableLinks<MemberWire> links;
  private final FailureDetector detector;
  private final Map<NodeId, Integer> incarnations = new HashMap<>(); // newest seen per node
  private final Map<NodeId, Integer> memberIncarnations = new HashMap<>(); // of my view's members
  private boolean reportViewIncarnations; // deliver ViewIncarnations
  private long incarnationsReported; // the view whose ViewIncarnations was delivered last

  // the view
  private View view; // null: in no view, joining
  private long viewFloor; // a joiner installs only views newer than this (it left or was told)
  private Proposal lastInstall;
  private final Map<NodeId, Long> receivedSeq = new HashMap<>(); // FIFO, per sender, this view
  // Per sender, what this member received in this view and some member may still lack: a flush
  // hands it on. Heartbeats tell what every member has; that prefix is dropped (see prune).
  private final Map<NodeId, java.util.ArrayDeque<App>> kept = new TreeMap<>();
  private final Map<NodeId, Map<NodeId, Long>> peerReceived = new HashMap<>();
  private final Map<NodeId, Long> peerTotalDelivered = new HashMap<>();
  // this member's own submitted messages in this view, by seq, until their outcome is reported
  private final OwnOps own = new OwnOps();
  private boolean progressTimerSet; // a progress report to the view is due shortly
  private final java.util.ArrayDeque<Submit> queued = new java.util.ArrayDeque<>();
  private long awaitingState; // a joiner waits for the state of this view (0: has state)
  private final List<App> heldForState = new ArrayList<>();
  private boolean hasState; // founders start with the (empty) initial state
  private boolean departing; // this member asked to leave
  private boolean gone; // it left: it does nothing any more
  private final Set<NodeId> departingMembers = new LinkedHashSet<>(); // asked to leave my view
  private final List<MemberWire> early = new ArrayList<>(); // for a view not installed yet
  // total order in this view
  // the sequencer's places known here, as runs keyed by their first place
  private final TreeMap<Long, Placed> orders = new TreeMap<>();
  // total-order messages received and not delivered yet: per sender, in seq order
  private final Map<NodeId, java.util.ArrayDeque<App>> awaitingOrder = new HashMap<>();
  // as the sequencer: received this turn (or earlier, while links were full), not placed yet
  private final java.util.ArrayDeque<App> toPlace = new java.util.ArrayDeque<>();
  private long totalDelivered; // orders delivered: 1..totalDelivered
  private long ordersGiven; // as the sequencer
  private long nextSeq = 1;
  private long workloadSubmits; // the built-in workload's, over all views
  private final Set<NodeId> restarted = new LinkedHashSet<>(); // view members seen restarted
  private final Map<NodeId, Integer> joiners = new LinkedHashMap<>();
  private final Set<NodeId> outsiders = new LinkedHashSet<>(); // heard from, not in my view
  private final Set<NodeId> behind = new LinkedHashSet<>(); // members still in my previous view

  // acceptor, for the change from the current view
  private Ballot promised;
  private Ballot acceptedBallot;
  private Proposal accepted;
  private List<NodeId> acceptQuorum = List.of(); // who must all accept `accepted` for it to count
  // Learner: who accepted under which ballot. Every acceptor tells every member of the quorum,
  // so a member learns the decision one hop after the Accept rather than two (via an Install).
  private final Map<Ballot, Set<NodeId>> acceptedBy = new HashMap<>();
  // Fast phase 1. A member told that a peer's process is gone promises its coordinator's lowest
  // ballot, Ballot(0, coordinator), unasked; the coordinator skips the Prepare to members that
  // did. Each member proposes under its own Ballot(0, self) at most once per view.
  private final Set<NodeId> peersGone = new LinkedHashSet<>(); // hinted gone in this view
  private final Map<NodeId, Promise> volunteers = new LinkedHashMap<>(); // unasked, to me
  private boolean fastBallotUsed;

  // coordinator
  private Ballot ballot;
  private long maxRound;
  private Set<NodeId> quorum = Set.of();
  private List<NodeId> proposedMembers = List.of();
  private Map<NodeId, Integer> proposedIncarnations = Map.of();
  private Set<NodeId> proposedJoiners = Set.of();
  private Set<NodeId> proposedDeparted = Set.of();
  private final Map<NodeId, Promise> promises = new LinkedHashMap<>();
  private final Set<NodeId> accepts = new LinkedHashSet<>();
  private Proposal proposing;
  private long attemptStarted;
  private long retryNotBefore;
  private final Set<NodeId> unresponsive = new LinkedHashSet<>();
  private boolean blockedReported; // a Blocked was delivered and no Unblocked since
  private boolean inMinority; // this member sees less than a majority of its view: it blocks
  private int reachableCount; // of my view's members, at the last tick
  private long lastTick; // when that was
  private String outdatedBy; // evidence that the group moved past my view, or null

  /**
   * @param self this node
   * @param incarnation its incarnation: 1 for a founder, which starts in view 1 of {@code
   *     universe}; a later incarnation starts in no view and joins
   * @param universe every node that may ever be a member, founders in age order
   */
  public MembershipCore(NodeId self, int incarnation, List<NodeId> universe, Settings settings,
      Variant variant, RandomGenerator random) {
    this(self, incarnation, incarnation == 1, universe, settings, variant, random, GroupState.NONE);
  }

  /**
   * @param self this node
   * @param incarnation its incarnation; a node that restarts must use a larger one
   * @param founder whether it starts in view 1 of {@code universe} (with the initial state); else
   *     it starts in no view, joins, and receives a state transfer. A founder's peers learn its
   *     incarnation from its first message; one that restarts and claims view 1 again is removed
   *     and rejoins like any other restarted member.
   * @param universe every node that may ever be a member, founders in age order
   * @param state the replicated state delivered messages are applied to
   */
  public MembershipCore(NodeId self, int incarnation, boolean founder, List<NodeId> universe,
      Settings settings, Variant variant, RandomGenerator random, GroupState state) {
    if (self == null || universe == null || settings == null || variant == null
        || random == null || state == null) {
      throw new IllegalArgumentException("no argument may be null");
    }
    if (!universe.contains(self)) {
      throw new IllegalArgumentException(self + " is not in the universe " + universe);
    }
    if (incarnation < 1) {
      throw new IllegalArgumentException("incarnation must be >= 1, got " + incarnation);
    }
    this.self = self;
    this.incarnation = incarnation;
    this.founder = founder;
    this.state = state;
    this.universe = List.copyOf(universe);
    this.settings = settings;
    this.variant = variant;
    this.random = random;
    this.links = new ReliableLinks<>(self, incarnation, this.universe, settings.links());
    this.detector = new FailureDetector(settings.detector());
    if (founder) {
      this.view = View.initial(this.universe);
      this.hasState = true;
      memberIncarnations.put(self, incarnation);
      if (incarnation == 1) { // the simulator's founders: every one is incarnation 1
        for (NodeId n : this.universe) {
          memberIncarnations.put(n, 1);
        }
      }
    }
  }

  /**
   * Asks for a {@link ViewIncarnations} delivery for every installed view. Off by default, so
   * that what the core delivers stays as it was for those who do not need it. Call before the
   * core handles its first event.
   */
  public void reportViewIncarnations() {
    this.reportViewIncarnations = true;
  }

  /** The view installed here, or null while joining. */
  public View view() {
    return view;
  }

  // ------------------------------------------------------------------ events

  @Override
  public List<Effect<LinkFrame<MemberWire>>> handle(Event<LinkFrame<MemberWire>> event) {
    // A frame of n application messages delivers about n of them, each with an outcome or two.
    List<Effect<LinkFrame<MemberWire>>> out = new ArrayList<>(
        event instanceof Event.Message<LinkFrame<MemberWire>> m
            ? 8 + 2 * m.payload().payloads().size() : 10);
    long now = event.now().monotonicNanos();
    if (gone) {
      if (event instanceof Event.Request<LinkFrame<MemberWire>> r) {
        refuse(r.request(), new IllegalStateException(self + " has left the group"), out);
      }
      return out;
    }
    if (event instanceof Event.Request<LinkFrame<MemberWire>> r) {
      request(r.request(), now, out);
    } else if (event instanceof Event.Start<LinkFrame<MemberWire>>) {
      if (view != null) {
        for (NodeId n : view.members()) {
          if (!n.equals(self)) { // founders start one by one: more grace for the first contact
            detector.watch(n, now, FOUNDER_GRACE_TIMEOUTS * settings.detector().suspectAfterNanos());
          }
        }
        installed(view, now, out);
        out.add(new Effect.Deliver<>(new Installed(view, view.members(), Set.of(), Set.of())));
        reportIncarnationsIfKnown(out);
      }
      out.add(new Effect.SetTimer<>(TICK_TIMER, settings.detector().heartbeatIntervalNanos()));
      out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER, settings.links().retransmitIntervalNanos()));
      if (settings.appIntervalNanos() > 0) {
        out.add(new Effect.SetTimer<>(APP_TIMER, settings.appIntervalNanos()));
      }
    } else if (event instanceof Event.Timer<LinkFrame<MemberWire>> t) {
      switch (t.name()) {
        case TICK_TIMER -> {
          tick(now, out);
          out.add(new Effect.SetTimer<>(TICK_TIMER, settings.detector().heartbeatIntervalNanos()));
        }
        case SUSPICION_TIMER -> {
          if (!pausedSinceTick(now)) { // else the coming tick judges, after selfPaused
            judge(now, out);
          }
        }
        case RETRANSMIT_TIMER -> {
          links.retransmitAll();
          out.add(new Effect.SetTimer<>(RETRANSMIT_TIMER,
              settings.links().retransmitIntervalNanos()));
        }
        case PROGRESS_TIMER -> {
          progressTimerSet = false;
          reportProgress();
        }
        case APP_TIMER -> {
          multicastApp(now, out);
          out.add(new Effect.SetTimer<>(APP_TIMER, settings.appIntervalNanos()));
        }
        default -> { }
      }
    } else if (event instanceof Event.Message<LinkFrame<MemberWire>> m) {
      NodeId from = m.from();
      if (!links.isPeer(from)) {
        return out;
      }
      int known = incarnations.getOrDefault(from, 0);
      int seen = m.payload().senderIncarnation();
      if (seen < known) {
        return out; // an older incarnation's frame, late
      }
      if (seen > known) {
        incarnations.put(from, seen);
      }
      if (view != null && view.contains(from)) {
        Integer member = memberIncarnations.get(from);
        if (member == null && view.id() == 1) {
          memberIncarnations.put(from, seen); // a founder, heard from for the first time
          reportIncarnationsIfKnown(out);
        } else if (member == null || seen > member) {
          restarted.add(from); // the incarnation in my view is gone; the new one must rejoin
        }
      }
      detector.heartbeat(from, now);
      for (MemberWire w : links.receive(from, m.payload())) {
        receive(from, seen, w, now, out);
      }
      if (!own.isEmpty()) {
        completeStable(out); // the frame may have carried progress
      }
    }
    return out;
  }

  @Override
  public List<Effect<LinkFrame<MemberWire>>> flush() {
    List<Effect<LinkFrame<MemberWire>>> out = new ArrayList<>();
    if (!gone && !queued.isEmpty()) {
      sendQueued(out); // room may have been made by acknowledgements this turn
    }
    if (!gone && !toPlace.isEmpty()) {
      placeReceived(out); // the turn's messages, own ones included, in one OrderBatch
    }
    out.addAll(links.flush(frame -> frame));
    return out;
  }

  private boolean pausedSinceTick(long now) {
    long interval = settings.detector().heartbeatIntervalNanos();
    return lastTick != 0 && now - lastTick
        > Math.max(3 * interval, settings.detector().suspectAfterNanos() / 2);
  }

  private void tick(long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (pausedSinceTick(now)) {
      detector.selfPaused(now); // this member was stalled: it cannot judge who was silent
    }
    lastTick = now;
    if (view == null) {
      for (NodeId n : universe) {
        if (!n.equals(self)) {
          send(n, new Join());
        }
      }
      return;
    }
    Heartbeat beat = new Heartbeat(view.id(), receivedSeq, totalDelivered);
    for (NodeId n : view.members()) {
      if (!n.equals(self)) {
        send(n, beat);
        if (departing && queued.isEmpty()) {
          // After all it sent, on the same FIFO link: whoever learns of the leave has its
          // messages, so the flush of the coming change carries them.
          send(n, new MemberWire.Leave(view.id()));
        }
      }
    }
    for (NodeId n : outsiders) {
      if (!view.contains(n)) { // still true now: a stale "you were removed" would be a lie
        send(n, new NotMember(view.id()));
      }
    }
    outsiders.clear();
    if (lastInstall != null) {
      for (NodeId n : behind) {
        if (view.contains(n)) {
          send(n, new Install(lastInstall));
        }
      }
    }
    behind.clear();
    judge(now, out);
  }

  /**
   * Who is reachable now, whether this member is in a minority, and whether a view change is
   * due; then arms the suspicion timer for the next instant a peer's silence would cross the
   * hard bound, when that comes before the next tick (so a silent peer is suspected at the
   * bound, not up to one heartbeat interval after it).
   */
  private void judge(long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null) {
      return;
    }
    long deadline = detector.nextHardDeadline(now);
    long sinceTick = lastTick == 0 ? 0 : now - lastTick;
    long nextTickIn = settings.detector().heartbeatIntervalNanos() - sinceTick;
    if (deadline != Long.MAX_VALUE && deadline - now < nextTickIn) {
      out.add(new Effect.SetTimer<>(SUSPICION_TIMER, deadline - now));
    }
    Set<NodeId> reachable = new LinkedHashSet<>(view.members());
    reachable.removeAll(detector.suspects(now));
    reachable.removeAll(restarted);
    inMinority = variant != Variant.NO_MAJORITY && !view.isMajorityOf(reachable);
    reachableCount = reachable.size();
    if (inMinority && !blockedReported) {
      blockedReported = true;
      String reason = noQuorum(reachable.size());
      out.add(new Effect.Deliver<>(new Blocked(reason)));
      failQueued(() -> new NoQuorumException(reason), out);
      // Sent but not confirmed by every member: they would wait for as long as the partition
      // lasts. Their fate is open — applied everywhere if this view heals, lost if not.
      failOwn(reason + "; the operation was sent and may or may not be applied", out);
    } else if (!inMinority && blockedReported && promised == null) {
      blockedReported = false;
      out.add(new Effect.Deliver<>(new Unblocked(view.id())));
    }
    maybeChange(now, out);
  }

  private String noQuorum(int reachable) {
    StringBuilder out = new StringBuilder();
    for (NodeId n : view.members()) {
      String why = restarted.contains(n) ? "restarted"
          : n.equals(self) ? "" : detector.why(n, lastTick);
      if (!why.isEmpty()) {
        out.append(out.length() == 0 ? " (" : ", ").append(n).append(": ").append(why);
      }
    }
    return self + " reaches only " + reachable + " of the " + view.size() + " members of view "
        + view.id() + " " + view.members() + "; a majority (" + (view.size() / 2 + 1)
        + ") is needed" + (out.length() == 0 ? "" : out + ")");
  }

  // ------------------------------------------------------------------ requests

  private void request(Object request, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (request instanceof dev.meridian.core.PeerUnreachable hint) {
      if (view != null && view.contains(hint.peer()) && !hint.peer().equals(self)) {
        detector.unreachable(hint.peer());
        peersGone.add(hint.peer());
        tick(now, out); // act on it now, not at the next heartbeat
      }
    } else if (request instanceof Submit submit) {
      RuntimeException refusal = refusal();
      if (refusal != null) {
        out.add(new Effect.Deliver<>(new SubmitFailed(submit.token(), refusal)));
      } else {
        queued.addLast(submit);
        sendQueued(out);
      }
    } else if (request instanceof DeadlinePassed d) {
      deadlinePassed(d.token(), out);
    } else if (request instanceof LeaveGroup) {
      departing = true;
      if (view != null && view.size() == 1) {
        departed(out); // nobody to tell
      } else if (view == null) {
        departed(out); // not in a view: nothing to hand over
      }
    } else if (request instanceof Read read) {
      try {
        out.add(new Effect.Deliver<>(new ReadDone(read.token(), read.reader().get(), null)));
      } catch (RuntimeException e) {
        out.add(new Effect.Deliver<>(new ReadDone(read.token(), null, e)));
      }
    } else {
      throw new IllegalArgumentException("unknown request " + request);
    }
  }

  /** Why a submit would be refused now, or null: it is sent, or queued until the change ends. */
  private RuntimeException refusal() {
    if (departing) {
      return new IllegalStateException(self + " is leaving the group");
    }
    if (view == null) {
      return new NoQuorumException(self + " is in no view: it was removed from the group (or"
          + " has just started) and is joining" + (viewFloor > 0 ? "; the group is past view "
          + viewFloor : ""));
    }
    if (inMinority) {
      return new NoQuorumException(noQuorum(reachableCount));
    }
    if (outdatedBy != null) {
      return new NoQuorumException(self + "'s view " + view.id() + " is outdated (" + outdatedBy
          + "); it is catching up or rejoining");
    }
    return null;
  }

  private void refuse(Object request, RuntimeException why,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (request instanceof Submit submit) {
      out.add(new Effect.Deliver<>(new SubmitFailed(submit.token(), why)));
    } else if (request instanceof Read read) {
      out.add(new Effect.Deliver<>(new ReadDone(read.token(), null, why)));
    } else if (request instanceof LeaveGroup) {
      out.add(new Effect.Deliver<>(new Left(viewFloor)));
    }
  }

  private void failQueued(java.util.function.Supplier<RuntimeException> why,
      List<Effect<LinkFrame<MemberWire>>> out) {
    for (Submit s : queued) {
      out.add(new Effect.Deliver<>(new SubmitFailed(s.token(), why.get())));
    }
    queued.clear();
  }

  /**
   * Sends queued submits while this member is in a view, no change is under way, and every
   * member's link has room (half of each buffer stays free for control messages).
   */
  private void sendQueued(List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null || promised != null || inMinority || outdatedBy != null) {
      return;
    }
    int reserve = settings.links().sendBufferPerPeer() / 2;
    while (!queued.isEmpty()) {
      for (NodeId n : view.members()) {
        if (!n.equals(self) && links.sendCapacity(n) <= reserve) {
          return;
        }
      }
      Submit submit = queued.pollFirst();
      App app = new App(view.id(), self, nextSeq++, submit.total(), submit.payload());
      own.put(app.seq(), new OwnOp(submit.token(), app.total()));
      multicast(app, out);
    }
  }

  private void multicast(App app, List<Effect<LinkFrame<MemberWire>>> out) {
    for (NodeId n : view.members()) {
      if (!n.equals(self)) {
        links.send(n, app);
      }
    }
    receiveInOrder(app, out); // its own message, like any other
  }

  /**
   * A submitted message of this member, until its outcome is reported. It completes once it is
   * applied here <i>and</i> every member of the view reported (in its progress) that it holds it
   * for the flush — for a total-order one, that it applied it, so its place is known everywhere.
   * Then whichever survivors form the next view hold it and the flush delivers it to all of
   * them: an acknowledged operation outlives the crash of the member that acknowledged it. (A
   * transport acknowledgement would not do: a member may receive a message after promising a
   * flush that leaves it out.)
   */
  private static final class OwnOp {
    final Object token;
    final boolean total;
    boolean applied;
    long place; // a total-order one's place in the view's sequence, once applied
    Object result;

    OwnOp(Object token, boolean total) {
      this.token = token;
      this.total = total;
    }
  }

  /**
   * This member's own messages in flight, by seq: a ring of the consecutive seqs from the oldest
   * one on (a slot is null once its message was settled out of turn). Cheaper than a map keyed by
   * boxed seqs, which every operation looked up.
   */
  private static final class OwnOps {
    private OwnOp[] slots = new OwnOp[16]; // a power of two
    private long first; // the seq in slot head
    private int head;
    private int span; // seqs first .. first + span - 1 have a slot
    private int count; // slots not null

    boolean isEmpty() {
      return count == 0;
    }

    void put(long seq, OwnOp op) {
      if (count == 0) { // every slot is null: start the ring at seq
        first = seq;
        span = 0;
      }
      if (seq < first) {
        throw new IllegalStateException("own message " + seq + " after " + first);
      }
      while (seq - first >= slots.length) {
        grow();
      }
      int at = (int) (seq - first);
      if (slots[index(at)] == null) {
        count++;
      }
      slots[index(at)] = op;
      span = Math.max(span, at + 1);
    }

    OwnOp get(long seq) {
      long at = seq - first;
      return count == 0 || at < 0 || at >= span ? null : slots[index((int) at)];
    }

    void remove(long seq) {
      long at = seq - first;
      if (count != 0 && at >= 0 && at < span && slots[index((int) at)] != null) {
        slots[index((int) at)] = null;
        count--;
        trim();
      }
    }

    /** The oldest in flight (check {@link #isEmpty} first), its seq, and its removal. */
    OwnOp first() {
      return slots[head];
    }

    long firstSeq() {
      return first;
    }

    void removeFirst() {
      slots[head] = null;
      count--;
      trim();
    }

    /** The seq of the op in flight with this token (by identity), or -1. */
    long seqOf(Object token) {
      for (int i = 0; i < span; i++) {
        OwnOp op = slots[index(i)];
        if (op != null && op.token == token) {
          return first + i;
        }
      }
      return -1;
    }

    /** The ops in flight, oldest first. */
    List<OwnOp> values() {
      List<OwnOp> all = new ArrayList<>(count);
      for (int i = 0; i < span; i++) {
        if (slots[index(i)] != null) {
          all.add(slots[index(i)]);
        }
      }
      return all;
    }

    void clear() {
      java.util.Arrays.fill(slots, null);
      count = 0;
      span = 0;
      head = 0;
    }

    private int index(int at) {
      return (head + at) & (slots.length - 1);
    }

    /** Drops empty slots at the front, so that slot head holds the oldest op (if any). */
    private void trim() {
      if (count == 0) {
        span = 0;
        return;
      }
      while (slots[head] == null) {
        head = (head + 1) & (slots.length - 1);
        first++;
        span--;
      }
    }

    private void grow() {
      OwnOp[] bigger = new OwnOp[slots.length * 2];
      for (int i = 0; i < span; i++) {
        bigger[i] = slots[index(i)];
      }
      slots = bigger;
      head = 0;
    }
  }

  /** Reports, in order, the own messages applied here and held by every member. */
  private void completeStable(List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null || promised != null || own.isEmpty() || !own.first().applied) {
      return; // a change is under way (the install settles them), or nothing to report yet
    }
    // What every other member reported: the total-order places it applied, and how many of
    // this member's messages it holds.
    long placesEverywhere = Long.MAX_VALUE;
    long heldEverywhere = Long.MAX_VALUE;
    for (NodeId n : view.members()) {
      if (!n.equals(self)) {
        placesEverywhere = Math.min(placesEverywhere, peerTotalDelivered.getOrDefault(n, 0L));
        heldEverywhere = Math.min(heldEverywhere,
            peerReceived.getOrDefault(n, Map.of()).getOrDefault(self, 0L));
      }
    }
    while (!own.isEmpty()) {
      OwnOp op = own.first();
      if (!op.applied
          || (op.total ? placesEverywhere < op.place : heldEverywhere < own.firstSeq())) {
        return; // not applied here yet, or some member has not reported it yet
      }
      out.add(new Effect.Deliver<>(new SubmitDone(op.token, op.result)));
      own.removeFirst();
    }
  }

  /**
   * Names the members that have not yet delivered the submit {@code token}, if it is still in
   * flight: not applied here, or not reported by a member (the same test as {@link
   * #completeStable}).
   */
  private void deadlinePassed(Object token, List<Effect<LinkFrame<MemberWire>>> out) {
    for (Submit s : queued) {
      if (s.token() == token) {
        List<NodeId> everyone = view == null ? List.of(self) : view.members();
        out.add(new Effect.Deliver<>(new DeadlineMissed(token, everyone,
            "not sent yet: " + (view == null ? "not in a view" : "a view change is under way"))));
        return;
      }
    }
    long seq = own.seqOf(token);
    if (seq < 0 || view == null) {
      return; // settled already (its outcome is on its way), or nothing to judge against
    }
    OwnOp op = own.get(seq);
    List<NodeId> late = new ArrayList<>();
    for (NodeId n : view.members()) {
      boolean has;
      if (n.equals(self)) {
        has = op.applied;
      } else if (op.total) {
        has = op.applied && peerTotalDelivered.getOrDefault(n, 0L) >= op.place;
      } else {
        has = peerReceived.getOrDefault(n, Map.of()).getOrDefault(self, 0L) >= seq;
      }
      if (!has) {
        late.add(n);
      }
    }
    if (!late.isEmpty()) {
      out.add(new Effect.Deliver<>(new DeadlineMissed(token, late,
          "view " + view.id() + " " + view.members() + ": not yet delivered by " + late)));
    }
  }

  /** After receiving messages, report progress to the view soon (members wait for it). */
  private void progressSoon(List<Effect<LinkFrame<MemberWire>>> out) {
    if (!progressTimerSet && view != null) {
      progressTimerSet = true;
      out.add(new Effect.SetTimer<>(PROGRESS_TIMER, PROGRESS_DELAY_NANOS));
    }
  }

  private void reportProgress() {
    if (view == null) {
      return;
    }
    Heartbeat progress = new Heartbeat(view.id(), receivedSeq, totalDelivered);
    for (NodeId n : view.members()) {
      if (!n.equals(self)) {
        send(n, progress);
      }
    }
  }

  /**
   * The view ends with this member in the next one (or leaving gracefully): the flush delivered
   * its messages to every survivor, so those applied here are done; the rest failed.
   */
  private void settleOwn(String whyNotApplied, List<Effect<LinkFrame<MemberWire>>> out) {
    for (OwnOp op : own.values()) {
      out.add(new Effect.Deliver<>(op.applied ? new SubmitDone(op.token, op.result)
          : new SubmitFailed(op.token, new IllegalStateException(whyNotApplied))));
    }
    own.clear();
  }

  private void multicastApp(long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null || promised != null || inMinority || outdatedBy != null) {
      return; // joining, flushing, or cut off from a majority: no new messages in this view
    }
    for (NodeId n : view.members()) {
      if (!n.equals(self) && links.sendCapacity(n) < settings.links().sendBufferPerPeer() / 2) {
        return; // back-pressure: keep room for control messages
      }
    }
    long n = ++workloadSubmits; // through the submit path, as an application's would go
    byte[] payload = ByteBuffer.allocate(8).putLong(n).array();
    request(new Submit(payload, random.nextInt(3) == 0, "workload-" + n), now, out);
  }

  // ------------------------------------------------------------------ receiving

  private void receive(NodeId from, int fromIncarnation, MemberWire w, long now,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (w instanceof App app) {
      onApp(app, out);
    } else if (w instanceof MemberWire.Order || w instanceof MemberWire.OrderBatch) {
      onOrders(w, out); // while flushing too: known, not delivered (the install decides)
    } else if (w instanceof Heartbeat h) {
      if (view != null && !view.contains(from)) {
        outsiders.add(from);
      } else if (view != null && h.viewId() == view.id() - 1) {
        behind.add(from);
      } else if (view != null && h.viewId() > view.id()) {
        // A member of my view is in a newer one: I missed an install or was left out. Until
        // the install or the "you were removed" arrives, take no submits and give no places.
        outdatedBy = from + " is in view " + h.viewId();
      } else if (view != null && h.viewId() == view.id()) {
        peerReceived.put(from, h.received());
        peerTotalDelivered.put(from, h.totalDelivered());
        prune();
      }
    } else if (w instanceof MemberWire.Gone g) {
      if (view != null && g.viewId() == view.id() && view.contains(from) && !from.equals(self)
          && view.contains(g.peer()) && !g.peer().equals(self) && peersGone.add(g.peer())) {
        detector.unreachable(g.peer()); // as if this member's own transport had said so
        tick(now, out);
      }
    } else if (w instanceof MemberWire.Leave l) {
      if (view != null && l.viewId() == view.id() && view.contains(from)) {
        departingMembers.add(from);
      }
    } else if (w instanceof MemberWire.StateTransfer st) {
      if (view == null ? st.viewId() > viewFloor : st.viewId() > view.id()) {
        early.add(st); // for a view not installed here yet
      } else if (awaitingState != 0 && st.viewId() == awaitingState && view != null
          && view.id() == awaitingState) {
        restoreState(st, out);
      }
    } else if (w instanceof Join) {
      if (view != null && (!view.contains(from) || restarted.contains(from))) {
        joiners.put(from, fromIncarnation); // the newest incarnation that asked
      } else if (view != null) {
        behind.add(from); // admitted, but its install went missing
      }
    } else if (w instanceof NotMember nm) {
      if (view != null && nm.viewId() > view.id()) {
        leave(out); // the group moved on without me
        viewFloor = Math.max(viewFloor, nm.viewId());
      }
    } else if (w instanceof Prepare p) {
      onPrepare(from, p, now, out);
    } else if (w instanceof Promise p) {
      onPromise(from, p, now, out);
    } else if (w instanceof Nack n) {
      if (ballot != null && n.ballot().equals(ballot)) {
        maxRound = Math.max(maxRound, n.promised().round());
        abandonAttempt(now, true);
      }
    } else if (w instanceof Accept a) {
      onAccept(from, a, now, out);
    } else if (w instanceof Accepted a) {
      if (view != null && a.viewId() == view.id()) {
        onAccepted(from, a.ballot(), now, out);
      }
    } else if (w instanceof Install i) {
      onInstall(i.proposal(), now, out);
    }
  }

  private void onApp(App app, List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null && app.viewId() > viewFloor) {
      early.add(app); // a joiner: its install may come after a member's first message
      return;
    }
    if (view == null || app.viewId() < view.id()) {
      return; // of a view this member is not in (any more)
    }
    if (app.viewId() > view.id() || promised != null) {
      early.add(app); // a view not installed yet, or flushing: decided at the install
      return;
    }
    receiveInOrder(app, out);
  }

  /** FIFO reception; anything but the next of its sender is a duplicate the flush handled. */
  private void receiveInOrder(App app, List<Effect<LinkFrame<MemberWire>>> out) {
    long have = receivedSeq.getOrDefault(app.sender(), 0L);
    if (app.seq() != have + 1) {
      return;
    }
    receivedSeq.put(app.sender(), app.seq());
    kept.computeIfAbsent(app.sender(), k -> new java.util.ArrayDeque<>()).addLast(app);
    if (!app.sender().equals(self)) {
      progressSoon(out); // its sender waits to hear that every member holds it
    }
    if (!app.total() || variant == Variant.TOTAL_ON_RECEIPT) {
      deliver(app, out);
      return;
    }
    awaitingOrder.computeIfAbsent(app.sender(), k -> new java.util.ArrayDeque<>()).addLast(app);
    if (promised == null && outdatedBy == null && self.equals(view.coordinator())) {
      // The sequencer: places are given in the order it receives the messages, at the end of
      // the turn (placeReceived), in one OrderBatch for all of them.
      toPlace.addLast(app);
    } else {
      deliverOrdered(out);
    }
  }

  /** Most runs in one OrderBatch; a turn with more sends several. */
  static final int MAX_RUNS_PER_BATCH = 1024;

  /**
   * The sequencer, at the end of a turn: gives the messages received and not placed yet their
   * places, in the order received, and tells the view in one {@link MemberWire.OrderBatch} (a run
   * per stretch of one sender's messages). Only while every member's link has room beyond a
   * quarter of its buffer, kept for control messages: an order must never be dropped, since a
   * member that lacks one delivers nothing after it until the view changes. What waits is placed
   * at a later turn, once acknowledgements made room — or, if the view changes first, by the
   * flush, like any message without a place.
   */
  private void placeReceived(List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null || promised != null || outdatedBy != null
        || !self.equals(view.coordinator())) {
      return;
    }
    int reserve = settings.links().sendBufferPerPeer() / 4;
    while (!toPlace.isEmpty()) {
      for (NodeId n : view.members()) {
        if (!n.equals(self) && links.sendCapacity(n) <= reserve) {
          return;
        }
      }
      List<MemberWire.OrderRun> runs = new ArrayList<>();
      App a = toPlace.pollFirst();
      NodeId sender = a.sender();
      long firstSeq = a.seq();
      int count = 1;
      while ((a = toPlace.peekFirst()) != null) {
        if (a.sender().equals(sender) && a.seq() == firstSeq + count
            && count < Integer.MAX_VALUE) {
          count++;
        } else if (runs.size() + 1 < MAX_RUNS_PER_BATCH) {
          runs.add(new MemberWire.OrderRun(sender, firstSeq, count));
          sender = a.sender();
          firstSeq = a.seq();
          count = 1;
        } else {
          break;
        }
        toPlace.pollFirst();
      }
      runs.add(new MemberWire.OrderRun(sender, firstSeq, count));
      MemberWire.OrderBatch batch = new MemberWire.OrderBatch(view.id(), ordersGiven + 1, runs);
      ordersGiven += batch.places();
      for (NodeId n : view.members()) {
        if (!n.equals(self)) {
          links.send(n, batch); // room was checked above
        }
      }
      onOrders(batch, out);
    }
  }

  /** An {@link MemberWire.Order} or an {@link MemberWire.OrderBatch} from the sequencer. */
  private void onOrders(MemberWire w, List<Effect<LinkFrame<MemberWire>>> out) {
    long viewId = orderView(w);
    if (view == null && viewId > viewFloor) {
      early.add(w);
      return;
    }
    if (view == null || viewId < view.id()) {
      return;
    }
    if (viewId > view.id()) {
      early.add(w);
      return;
    }
    if (w instanceof MemberWire.Order o) {
      putPlaces(o.number(), o.sender(), o.seq(), 1);
    } else {
      MemberWire.OrderBatch b = (MemberWire.OrderBatch) w;
      long place = b.first();
      for (MemberWire.OrderRun r : b.runs()) {
        putPlaces(place, r.sender(), r.firstSeq(), r.count());
        place += r.count();
      }
    }
    deliverOrdered(out);
  }

  /** The view a message held in {@link #early} belongs to. */
  private static long earlyView(MemberWire w) {
    if (w instanceof App app) {
      return app.viewId();
    }
    if (w instanceof MemberWire.StateTransfer st) {
      return st.viewId();
    }
    return orderView(w);
  }

  private static long orderView(MemberWire w) {
    return w instanceof MemberWire.Order o ? o.viewId() : ((MemberWire.OrderBatch) w).viewId();
  }

  /**
   * Places {@code first..first+count-1} go to {@code sender}'s messages {@code firstSeq...}.
   * Places already known keep what they were given (one sequencer per view gives each place
   * once, so a repeat says the same).
   */
  private void putPlaces(long first, NodeId sender, long firstSeq, long count) {
    while (count > 0) {
      Map.Entry<Long, Placed> below = orders.floorEntry(first);
      if (below != null && below.getValue().last() >= first) {
        long known = Math.min(count, below.getValue().last() - first + 1);
        first += known;
        firstSeq += known;
        count -= known;
        continue;
      }
      Long next = orders.higherKey(first);
      long n = next == null ? count : Math.min(count, next - first);
      orders.put(first, new Placed(first, sender, firstSeq, n));
      first += n;
      firstSeq += n;
      count -= n;
    }
  }

  /** Places {@code first..first+count-1}, given to {@code sender}'s {@code firstSeq...}. */
  private record Placed(long first, NodeId sender, long firstSeq, long count) {
    long last() {
      return first + count - 1;
    }
  }

  /** Removes and returns {@code sender}'s total-order message {@code seq}, if it is waiting. */
  private App takeAwaiting(NodeId sender, long seq) {
    java.util.ArrayDeque<App> waiting = awaitingOrder.get(sender);
    if (waiting == null || waiting.isEmpty()) {
      return null;
    }
    if (waiting.peekFirst().seq() == seq) {
      return waiting.pollFirst(); // places follow each sender's order: the usual case
    }
    if (seq < waiting.peekFirst().seq() || seq > waiting.peekLast().seq()) {
      return null;
    }
    for (java.util.Iterator<App> it = waiting.iterator(); it.hasNext(); ) {
      App app = it.next();
      if (app.seq() == seq) {
        it.remove();
        return app;
      }
    }
    return null;
  }

  /** The known places as single orders, in place order (for a promise). */
  private List<MemberWire.Order> knownOrders() {
    List<MemberWire.Order> known = new ArrayList<>();
    for (Placed r : orders.values()) {
      for (long i = 0; i < r.count(); i++) {
        known.add(new MemberWire.Order(view.id(), r.first() + i, r.sender(), r.firstSeq() + i));
      }
    }
    return known;
  }

  /** Delivers total-order messages while the next place is known and its message is here. */
  private void deliverOrdered(List<Effect<LinkFrame<MemberWire>>> out) {
    if (promised != null) {
      return; // flushing: the install decides
    }
    while (true) {
      Map.Entry<Long, Placed> e = orders.floorEntry(totalDelivered + 1);
      if (e == null || e.getValue().last() <= totalDelivered) {
        return; // the next place is not known yet
      }
      Placed run = e.getValue();
      while (totalDelivered < run.last()) {
        App app = takeAwaiting(run.sender(), run.firstSeq() + (totalDelivered + 1 - run.first()));
        if (app == null) {
          return;
        }
        totalDelivered++;
        deliver(app, out);
        progressSoon(out);
      }
    }
  }

  private void deliver(App app, List<Effect<LinkFrame<MemberWire>>> out) {
    if (awaitingState != 0) {
      heldForState.add(app); // a joiner applies its view's messages on top of the transfer
      return;
    }
    Object result = state.apply(app);
    out.add(new Effect.Deliver<>(new Delivered(app, result)));
    if (app.sender().equals(self)) {
      OwnOp op = own.get(app.seq());
      if (op != null) {
        op.applied = true;
        op.place = totalDelivered; // for a total-order one, its place (it was just counted)
        op.result = result;
        if (variant == Variant.ACK_ON_APPLY) {
          own.remove(app.seq());
          out.add(new Effect.Deliver<>(new SubmitDone(op.token, result)));
        }
        completeStable(out);
      }
    }
  }

  private void restoreState(MemberWire.StateTransfer st, List<Effect<LinkFrame<MemberWire>>> out) {
    if (variant != Variant.SKIP_STATE_TRANSFER) {
      try {
        state.restore(st.state());
      } catch (IllegalArgumentException e) {
        // Not a snapshot this state understands: wait for another member's copy (every old
        // member sends one) rather than apply this view's messages to the wrong state.
        out.add(new Effect.Deliver<>(new TransferRefused(st.viewId(), e.getMessage())));
        return;
      }
    }
    awaitingState = 0;
    hasState = true;
    out.add(new Effect.Deliver<>(new StateRestored(st.viewId())));
    List<App> held = List.copyOf(heldForState);
    heldForState.clear();
    for (App app : held) {
      deliver(app, out);
    }
  }

  /**
   * Drops what every member of the view has received (from each sender) and delivered (of the
   * sequencer's places): no flush can need it, since a flush only hands on what some survivor
   * lacks. Without this a long-lived view would keep every message it ever carried.
   */
  private void prune() {
    for (Map.Entry<NodeId, java.util.ArrayDeque<App>> e : kept.entrySet()) {
      long stable = receivedSeq.getOrDefault(e.getKey(), 0L);
      for (NodeId m : view.members()) {
        if (!m.equals(self)) {
          Map<NodeId, Long> theirs = peerReceived.get(m);
          stable = Math.min(stable, theirs == null ? 0 : theirs.getOrDefault(e.getKey(), 0L));
        }
      }
      java.util.ArrayDeque<App> apps = e.getValue();
      while (!apps.isEmpty() && apps.peekFirst().seq() <= stable) {
        apps.pollFirst();
      }
    }
    long delivered = totalDelivered;
    for (NodeId m : view.members()) {
      if (!m.equals(self)) {
        delivered = Math.min(delivered, peerTotalDelivered.getOrDefault(m, 0L));
      }
    }
    while (!orders.isEmpty() && orders.firstEntry().getValue().last() <= delivered) {
      orders.pollFirstEntry();
    }
  }

  // ------------------------------------------------------------------ acceptor

  private void onPrepare(NodeId from, Prepare p, long now,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null) {
      return; // a joiner answers for no view
    }
    if (p.viewId() == view.id() - 1 && lastInstall != null) {
      deliverOrSend(from, new Install(lastInstall), now, out); // it missed the install I have
      return;
    }
    if (p.viewId() != view.id()) {
      return;
    }
    if (promised != null && p.ballot().compareTo(promised) < 0) {
      deliverOrSend(from, new Nack(p.ballot(), promised), now, out);
      return;
    }
    promised = p.ballot();
    List<App> keeping = new ArrayList<>();
    kept.values().forEach(keeping::addAll);
    deliverOrSend(from, new Promise(p.ballot(), view.id(), acceptedBallot, accepted,
        keeping, knownOrders(), hasState), now, out);
  }

  private void onAccept(NodeId from, Accept a, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null || a.proposal().view().id() != view.id() + 1) {
      return;
    }
    if (promised != null && a.ballot().compareTo(promised) < 0) {
      deliverOrSend(from, new Nack(a.ballot(), promised), now, out);
      return;
    }
    if (!a.quorum().contains(self) || !a.quorum().contains(from)
        || variant != Variant.NO_MAJORITY && !view.isMajorityOf(Set.copyOf(a.quorum()))) {
      return; // not a quorum this member can learn from; a coordinator never sends one
    }
    promised = a.ballot();
    acceptedBallot = a.ballot();
    accepted = a.proposal();
    acceptQuorum = a.quorum();
    for (NodeId q : a.quorum()) {
      if (!q.equals(self)) {
        send(q, new Accepted(a.ballot(), view.id())); // the coordinator and every learner
      }
    }
    onAccepted(self, a.ballot(), now, out);
  }

  /**
   * Counts an acceptance. The coordinator completes its round when every member of its quorum
   * accepted; any other member installs the proposal it accepted once the same holds for it:
   * the Paxos learner's rule, so it never installs a proposal that was not chosen.
   */
  private void onAccepted(NodeId from, Ballot b, long now,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (view == null) {
      return;
    }
    Set<NodeId> by = acceptedBy.computeIfAbsent(b, k -> new HashSet<>());
    by.add(from);
    if (ballot != null && b.equals(ballot) && proposing != null) {
      accepts.add(from);
      if (accepts.containsAll(quorum)) {
        chosen(proposing, now, out);
      }
    } else if (accepted != null && b.equals(acceptedBallot)
        && accepted.view().id() == view.id() + 1 && by.containsAll(acceptQuorum)) {
      onInstall(accepted, now, out);
    }
  }

  private void onInstall(Proposal p, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    View next = p.view();
    if (view != null && next.id() > view.id() + 1 && p.joined().contains(self)
        && Integer.valueOf(incarnation).equals(p.incarnations().get(self))) {
      // Admitted again as a joiner, so removed in a view between: that view's install never
      // came here (installs go to the view's members), so nothing else would move this member
      // on. It leaves and takes the install as the joiner it is. What arrived early for the
      // new view (its state transfer, its first messages) is kept: the links deliver it once.
      List<MemberWire> ahead = new ArrayList<>();
      for (MemberWire w : early) {
        if (earlyView(w) >= next.id()) {
          ahead.add(w);
        }
      }
      leave(out);
      early.addAll(ahead);
    }
    if (view == null) {
      Integer admitted = p.incarnations().get(self);
      if (p.joined().contains(self) && admitted != null && admitted == incarnation
          && next.id() > viewFloor) { // never back into a view the group has already left
        List<MemberWire> later = new ArrayList<>(early);
        installed(p, now, out); // a joiner: no old-view messages, ever
        replay(later, out);
      }
      return;
    }
    if (next.id() != view.id() + 1) {
      return; // old news, or too far ahead to follow (the heartbeats will tell)
    }
    if (!next.contains(self)) {
      if (departing) {
        departed(out); // it asked to go: done
      } else {
        leave(out); // removed (a wrongly suspected member rejoins like any other)
      }
      return;
    }
    if (variant != Variant.INSTALL_WITHOUT_FLUSH) {
      flush(p, out);
    }
    heldForState.clear(); // still without state: the next view's transfer replaces these
    settleOwn(self + " moved to view " + next.id() + " before its operation was applied here;"
        + " other members may or may not apply it", out);
    List<MemberWire> later = new ArrayList<>(early);
    installed(p, now, out);
    replay(later, out);
  }

  /** Handles what arrived for the view just installed before its install did. */
  private void replay(List<MemberWire> later, List<Effect<LinkFrame<MemberWire>>> out) {
    for (MemberWire w : later) {
      if (w instanceof App app && app.viewId() == view.id()) {
        onApp(app, out);
      } else if ((w instanceof MemberWire.Order || w instanceof MemberWire.OrderBatch)
          && orderView(w) == view.id()) {
        onOrders(w, out);
      } else if (w instanceof MemberWire.StateTransfer st && st.viewId() == view.id()
          && awaitingState == view.id()) {
        restoreState(st, out);
      }
    }
  }

  /**
   * The flush: receive what the union adds (every survivor then holds exactly the union), then
   * deliver the total-order messages left — first in the places the sequencer gave, skipping a
   * place whose message no survivor has (so nobody delivered it, nor anything after it), then
   * the unplaced ones by (sender, seq). Every survivor decides the same from the same proposal.
   */
  private void flush(Proposal p, List<Effect<LinkFrame<MemberWire>>> out) {
    for (App app : p.union()) { // per sender in order
      receiveInOrder(app, out);
    }
    for (MemberWire.Order o : p.orders()) {
      if (o.number() > totalDelivered) {
        App app = takeAwaiting(o.sender(), o.seq());
        if (app != null) {
          deliver(app, out);
        }
        totalDelivered = o.number();
      }
    }
    List<App> unplaced = new ArrayList<>();
    awaitingOrder.values().forEach(unplaced::addAll);
    unplaced.sort(java.util.Comparator.comparing(App::sender).thenComparingLong(App::seq));
    for (App app : unplaced) {
      deliver(app, out);
    }
    awaitingOrder.clear();
  }

  private void installed(Proposal p, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    View previous = view;
    lastInstall = p;
    installed(p.view(), now, out);
    Set<NodeId> left = new LinkedHashSet<>();
    if (previous != null) {
      left.addAll(previous.members());
      left.removeAll(p.view().members());
    }
    Set<NodeId> suspected = new LinkedHashSet<>(left);
    suspected.removeAll(p.departed());
    List<NodeId> joined = new ArrayList<>(); // new to the group: joiners and restarts
    for (NodeId n : p.view().members()) {
      if (p.joined().contains(n) || previous != null && !previous.contains(n)) {
        joined.add(n);
      }
    }
    out.add(new Effect.Deliver<>(new Installed(p.view(), joined, left, suspected)));
    if (blockedReported) {
      blockedReported = false;
      out.add(new Effect.Deliver<>(new Unblocked(p.view().id())));
    }
    if (p.joined().contains(self)) {
      awaitingState = p.view().id(); // new here, or still without state: a transfer follows
      heldForState.clear();
    } else if (hasState && !p.joined().isEmpty()) {
      // Every old member sends: any one copy will do, so a joiner is not stuck when one sender
      // fails. The snapshot is taken here, between the flush and the new view's first message.
      MemberWire.StateTransfer transfer =
          new MemberWire.StateTransfer(p.view().id(), state.snapshot());
      for (NodeId j : p.joined()) {
        if (!j.equals(self)) {
          send(j, transfer);
        }
      }
    }
    memberIncarnations.clear();
    memberIncarnations.putAll(p.incarnations());
    reportIncarnationsIfKnown(out);
    // Restarted members are now either out of the view or back in it as their new incarnation.
    restarted.removeIf(n -> !p.view().contains(n)
        || p.incarnations().get(n) >= incarnations.getOrDefault(n, 0));
  }

  /** Delivers {@link ViewIncarnations} for the view, once, if asked to and all are known. */
  private void reportIncarnationsIfKnown(List<Effect<LinkFrame<MemberWire>>> out) {
    if (!reportViewIncarnations || view == null || incarnationsReported == view.id()
        || !memberIncarnations.keySet().containsAll(view.members())) {
      return;
    }
    incarnationsReported = view.id();
    Map<NodeId, Integer> known = new TreeMap<>();
    for (NodeId n : view.members()) {
      known.put(n, memberIncarnations.get(n));
    }
    out.add(new Effect.Deliver<>(new ViewIncarnations(view, known)));
  }

  private void installed(View next, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    endView();
    view = next;
    for (NodeId n : new ArrayList<>(joiners.keySet())) {
      if (next.contains(n)) {
        joiners.remove(n);
      }
    }
    for (NodeId n : next.members()) {
      if (!n.equals(self)) {
        detector.watch(n, now); // a fresh grace period for everyone in the new view
      }
    }
  }


  /** Removed from the group: forget the view and everything about it, then join again. */
  private void leave(List<Effect<LinkFrame<MemberWire>>> out) {
    viewFloor = Math.max(viewFloor, view.id());
    String why = self + " was removed from view " + view.id() + " " + view.members();
    failQueued(() -> new NoQuorumException(why + " before the operation was sent; it was not"), out);
    failOwn(why + " before every member confirmed the operation; other members may or may"
        + " not apply it", out);
    if (!blockedReported) {
      blockedReported = true;
      out.add(new Effect.Deliver<>(new Blocked(why + "; it is joining again")));
    }
    endView();
    view = null;
    memberIncarnations.clear();
    lastInstall = null;
    joiners.clear();
    restarted.clear();
  }

  /** It asked to leave and is out: fail what is pending, then stop for good. */
  private void departed(List<Effect<LinkFrame<MemberWire>>> out) {
    long last = view == null ? viewFloor : view.id();
    String why = self + " left the group";
    failQueued(() -> new IllegalStateException(why + " before the operation was sent"), out);
    settleOwn(why + " before the operation was applied here", out); // its Leave came last
    if (view != null) {
      endView();
    }
    view = null;
    gone = true;
    out.add(new Effect.Deliver<>(new Left(last)));
  }

  /** Removed from the view: what was not confirmed everywhere may or may not survive. */
  private void failOwn(String why, List<Effect<LinkFrame<MemberWire>>> out) {
    for (OwnOp op : own.values()) {
      out.add(new Effect.Deliver<>(new SubmitFailed(op.token, new IllegalStateException(why))));
    }
    own.clear();
  }

  /** Drops all per-view state: deliveries, the change in progress, what heartbeats told. */
  private void endView() {
    receivedSeq.clear();
    kept.clear();
    peerReceived.clear();
    peerTotalDelivered.clear();
    departingMembers.clear();
    early.clear();
    orders.clear();
    awaitingOrder.clear();
    toPlace.clear();
    totalDelivered = 0;
    ordersGiven = 0;
    nextSeq = 1;
    promised = null;
    acceptedBallot = null;
    accepted = null;
    acceptQuorum = List.of();
    acceptedBy.clear();
    peersGone.clear();
    volunteers.clear();
    fastBallotUsed = false;
    ballot = null;
    proposing = null;
    promises.clear();
    accepts.clear();
    unresponsive.clear();
    inMinority = false;
    outdatedBy = null;
    outsiders.clear(); // gathered under the previous view: not evidence about the next one
    behind.clear();
    for (NodeId n : detector.watched()) {
      detector.forget(n);
    }
  }

  // ------------------------------------------------------------------ coordinator

  /** The oldest member of my view I do not suspect. */
  private boolean actingCoordinator(Set<NodeId> out) {
    for (NodeId m : view.members()) {
      if (!out.contains(m)) {
        return m.equals(self);
      }
    }
    return false;
  }

  private void maybeChange(long now, List<Effect<LinkFrame<MemberWire>>> out) {
    if (ballot != null && now - attemptStarted > settings.changeTimeoutNanos()) {
      // The round stalled: whoever did not answer is left out of the next one.
      for (NodeId q : quorum) {
        if (!promises.containsKey(q) || proposing != null && !accepts.contains(q)) {
          unresponsive.add(q);
        }
      }
      abandonAttempt(now, false);
    }
    if (ballot != null || now < retryNotBefore) {
      return;
    }
    Set<NodeId> leaving = new LinkedHashSet<>(detector.suspects(now));
    leaving.addAll(restarted);
    leaving.addAll(departingMembers);
    if (departing) {
      leaving.add(self); // it is going: the next oldest coordinates
    }
    leaving.addAll(unresponsive); // for the next attempt only: a slow member gets another chance
    unresponsive.clear();
    if (!actingCoordinator(leaving)) {
      volunteer(leaving, now, out);
      return;
    }
    Map<NodeId, Integer> joining = new LinkedHashMap<>();
    for (Map.Entry<NodeId, Integer> j : joiners.entrySet()) {
      if (variant == Variant.IGNORE_JOINS) {
        break;
      }
      if (!view.contains(j.getKey()) || leaving.contains(j.getKey())) {
        joining.put(j.getKey(), j.getValue());
      }
    }
    if (leaving.isEmpty() && joining.isEmpty()) {
      return;
    }
    for (NodeId n : view.members()) {
      if (!memberIncarnations.containsKey(n)) {
        leaving.add(n); // a founder never heard from: no incarnation to admit it under
      }
    }
    View next = view.next(leaving, List.copyOf(joining.keySet()));
    Set<NodeId> survivors = new LinkedHashSet<>(view.members());
    survivors.removeAll(leaving);
    if (variant != Variant.NO_MAJORITY && !view.isMajorityOf(survivors)) {
      if (!blockedReported) {
        blockedReported = true;
        out.add(new Effect.Deliver<>(new Blocked(noQuorum(survivors.size()))));
      }
      return;
    }
    // The lowest ballot, once per view, while this member promised nobody: members that heard a
    // peer is gone may have promised it already (volunteer()), sparing a round trip.
    boolean fast = !fastBallotUsed && promised == null;
    fastBallotUsed = true;
    ballot = fast ? new Ballot(0, self) : new Ballot(++maxRound, self);
    attemptStarted = now;
    quorum = survivors;
    proposedMembers = next.members();
    Map<NodeId, Integer> admitted = new LinkedHashMap<>();
    for (NodeId n : next.members()) {
      admitted.put(n, joining.containsKey(n) ? joining.get(n) : memberIncarnations.get(n));
    }
    proposedIncarnations = admitted;
    proposedJoiners = Set.copyOf(joining.keySet());
    proposedDeparted = new LinkedHashSet<>(departingMembers);
    proposedDeparted.retainAll(leaving);
    promises.clear();
    accepts.clear();
    proposing = null;
    if (fast) {
      volunteers.forEach((member, promise) -> {
        if (quorum.contains(member) && !member.equals(self)) {
          promises.put(member, promise);
        }
      });
    }
    volunteers.clear();
    Prepare prepare = new Prepare(ballot, view.id());
    for (NodeId q : List.copyOf(quorum)) {
      if (!q.equals(self) && !promises.containsKey(q)) {
        send(q, prepare);
      }
    }
    receive(self, incarnation, prepare, now, out); // last: its promise may complete phase 1
  }

  /**
   * Fast phase 1, at a member that is not the coordinator: once a peer is known to be gone (its
   * own transport said so, or a member relayed it), it promises the coordinator's lowest ballot
   * unasked, reporting what it received as any promise does, so the coordinator can go straight
   * to Accept. It is an ordinary Paxos promise, only sent early, so safety is unchanged. The
   * relayed {@link MemberWire.Gone} makes the coordinator start the change that ends this
   * member's freeze even if its own transport noticed nothing. Repeated every tick until a
   * change begins; never in a minority (it is blocked anyway).
   */
  private void volunteer(Set<NodeId> leaving, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    Set<NodeId> goneNow = new LinkedHashSet<>(peersGone);
    goneNow.retainAll(detector.suspects(now)); // a heartbeat since clears a hint
    if (goneNow.isEmpty() || inMinority || ballot != null) {
      return;
    }
    NodeId coordinator = null;
    for (NodeId m : view.members()) {
      if (!leaving.contains(m)) {
        coordinator = m;
        break;
      }
    }
    if (coordinator == null || coordinator.equals(self)) {
      return;
    }
    Ballot fast = new Ballot(0, coordinator);
    if (promised != null && !(promised.equals(fast) && accepted == null)) {
      return; // a change is under way already
    }
    onPrepare(coordinator, new Prepare(fast, view.id()), now, out); // promises and answers it
    for (NodeId g : goneNow) {
      if (!g.equals(coordinator)) {
        send(coordinator, new MemberWire.Gone(view.id(), g));
      }
    }
  }

  private void abandonAttempt(long now, boolean backOff) {
    ballot = null;
    proposing = null;
    promises.clear();
    accepts.clear();
    if (backOff) {
      // Randomized, so that two coordinators who see each other's ballots stop taking turns.
      retryNotBefore = now + random.nextLong(settings.changeTimeoutNanos());
    }
  }

  private void onPromise(NodeId from, Promise p, long now,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (ballot == null && view != null && p.viewId() == view.id() && !fastBallotUsed
        && p.ballot().equals(new Ballot(0, self))) {
      volunteers.put(from, p); // promised unasked: kept for this member's fast attempt
      return;
    }
    if (ballot == null || !p.ballot().equals(ballot) || proposing != null
        || view == null || p.viewId() != view.id()) {
      return;
    }
    promises.put(from, p);
    if (!promises.keySet().containsAll(quorum)) {
      return;
    }
    // Adopt the proposal accepted under the highest ballot, if any: it may have been chosen.
    Promise highest = null;
    for (Promise q : promises.values()) {
      if (q.accepted() != null
          && (highest == null || q.acceptedBallot().compareTo(highest.acceptedBallot()) > 0)) {
        highest = q;
      }
    }
    if (highest != null) {
      proposing = highest.accepted();
    } else {
      Set<NodeId> joined = new LinkedHashSet<>(proposedJoiners);
      promises.forEach((member, promise) -> {
        if (!promise.hasState() && proposedMembers.contains(member)) {
          joined.add(member); // joined the old view and its transfer never came: send it again
        }
      });
      proposing = new Proposal(new View(view.id() + 1, proposedMembers), union(promises.values()),
          longestOrders(promises.values()), proposedIncarnations, joined, proposedDeparted);
    }
    sendToQuorum(new Accept(ballot, proposing, List.copyOf(quorum)), now, out);
  }

  /**
   * The longest run of the sequencer's orders any survivor knew: each knows a contiguous run
   * that starts at or before the first place some member has not delivered (older places are
   * pruned only once every member delivered them), so the run reaching furthest covers them all.
   */
  private static List<MemberWire.Order> longestOrders(Iterable<Promise> promises) {
    List<MemberWire.Order> longest = List.of();
    for (Promise p : promises) {
      if (!p.orders().isEmpty() && (longest.isEmpty()
          || p.orders().get(p.orders().size() - 1).number()
              > longest.get(longest.size() - 1).number())) {
        longest = p.orders();
      }
    }
    return longest;
  }

  /**
   * Per sender, the messages of the survivor that received most of them: FIFO makes each
   * survivor's a prefix, kept from a point every member had reached, so this run covers what
   * any survivor lacks.
   */
  private static List<App> union(Iterable<Promise> promises) {
    Map<NodeId, List<App>> longest = new TreeMap<>();
    for (Promise p : promises) {
      Map<NodeId, List<App>> bySender = new HashMap<>();
      for (App a : p.delivered()) {
        bySender.computeIfAbsent(a.sender(), s -> new ArrayList<>()).add(a);
      }
      for (Map.Entry<NodeId, List<App>> e : bySender.entrySet()) {
        List<App> best = longest.get(e.getKey());
        if (best == null || last(e.getValue()) > last(best)) {
          longest.put(e.getKey(), e.getValue());
        }
      }
    }
    List<App> union = new ArrayList<>();
    longest.values().forEach(union::addAll);
    return union;
  }

  private static long last(List<App> apps) {
    return apps.get(apps.size() - 1).seq();
  }

  private void chosen(Proposal p, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    Set<NodeId> to = new LinkedHashSet<>(p.view().members());
    to.addAll(quorum);
    to.addAll(p.departed()); // a leaver waits to see the view it is not in
    to.remove(self);
    for (NodeId n : to) {
      send(n, new Install(p));
    }
    onInstall(p, now, out); // last: it resets the coordinator's state
  }

  /**
   * Sends {@code w} to every member of the quorum, this member last: handling its own copy may
   * complete the round and install the next view, which resets the round's state.
   */
  private void sendToQuorum(MemberWire w, long now, List<Effect<LinkFrame<MemberWire>>> out) {
    List<NodeId> to = List.copyOf(quorum);
    for (NodeId q : to) {
      if (!q.equals(self)) {
        send(q, w);
      }
    }
    if (to.contains(self)) {
      receive(self, incarnation, w, now, out);
    }
  }

  /** Sends {@code w} to {@code to}, or handles it at once when {@code to} is this member. */
  private void deliverOrSend(NodeId to, MemberWire w, long now,
      List<Effect<LinkFrame<MemberWire>>> out) {
    if (to.equals(self)) {
      receive(self, incarnation, w, now, out);
    } else {
      send(to, w);
    }
  }

  private void send(NodeId to, MemberWire w) {
    if (to.equals(self)) {
      throw new IllegalStateException("send to self: " + w);
    }
    if (links.sendCapacity(to) > 0) {
      links.send(to, w);
    }
  }
}
