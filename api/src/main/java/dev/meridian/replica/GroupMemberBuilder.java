package dev.meridian.replica;

import static dev.meridian.replica.ReplicaBuilder.or;
import static dev.meridian.replica.ReplicaBuilder.requireNonNull;
import static dev.meridian.replica.ReplicaBuilder.requireRange;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Settings of a new {@link GroupMember}. Each setting may be set once; a bad value fails naming
 * the setting and its allowed range.
 *
 * <p>Required: {@link #nodeId}, at least one {@link #peer} (every other node that may ever be a
 * member), and the {@link #stateMachine}. Defaults suit a LAN: heartbeat every 100 ms, suspicion
 * after 1 s of silence (plain timeout), 10000 submits in flight, operations up to 1 MiB, 10 s
 * read timeout, 30 s join timeout, 2 s leave timeout, listening on {@code 127.0.0.1:0}.
 *
 * <p>Every node listed (this one and its peers) is a founder — it starts in view 1 — unless it
 * is started with {@link #join()}. A process that restarts after a crash may be started either
 * way: a restarted founder is recognised by its new incarnation, removed, and admitted again with
 * a state transfer; {@code join()} just skips the removal.
 */
public final class GroupMemberBuilder {
  private NodeId nodeId;
  private String listenAddress;
  private final Map<NodeId, String> peers = new LinkedHashMap<>();
  private boolean join;
  private Duration heartbeatInterval;
  private Duration suspectAfter;
  private boolean phiAccrual;
  private Integer maxQueuedSubmits;
  private Integer maxOperationBytes;
  private Duration readTimeout;
  private Duration joinTimeout;
  private Duration leaveTimeout;
  private final List<MembershipListener> listeners = new ArrayList<>();

  GroupMemberBuilder() {}

  /** This member's id. Required. */
  public GroupMemberBuilder nodeId(NodeId id) {
    if (nodeId != null) {
      throw new IllegalStateException("nodeId already set to " + nodeId);
    }
    this.nodeId = requireNonNull("nodeId", id);
    return this;
  }

  /** Where this member listens: {@code host:port} or {@code memory:<group>}. */
  public GroupMemberBuilder listen(String address) {
    if (listenAddress != null) {
      throw new IllegalStateException("listen already set to " + listenAddress);
    }
    this.listenAddress = ReplicaBuilder.validateAddress("listen", address);
    return this;
  }

  /** Another node that may be a member, and its address. Each at most once. */
  public GroupMemberBuilder peer(NodeId id, String address) {
    requireNonNull("peer id", id);
    if (peers.containsKey(id)) {
      throw new IllegalStateException("peer " + id + " already set to " + peers.get(id));
    }
    peers.put(id, ReplicaBuilder.validateAddress("peer " + id, address));
    return this;
  }

  /** Start outside the group and join it (receiving a state transfer) instead of founding it. */
  public GroupMemberBuilder join() {
    this.join = true;
    return this;
  }

  /** How often heartbeats are sent, in [1 ms, 10 s]. */
  public GroupMemberBuilder heartbeatInterval(Duration interval) {
    heartbeatInterval = once("heartbeatInterval", heartbeatInterval,
        requireRange("heartbeatInterval", interval, Duration.ofMillis(1), Duration.ofSeconds(10)));
    return this;
  }

  /** Silence after which a member is suspected, in [2 ms, 10 min]; must exceed the heartbeat. */
  public GroupMemberBuilder suspectAfter(Duration timeout) {
    suspectAfter = once("suspectAfter", suspectAfter,
        requireRange("suspectAfter", timeout, Duration.ofMillis(2), Duration.ofMinutes(10)));
    return this;
  }

  /** Suspect by phi accrual (adapting to observed heartbeat jitter), still within suspectAfter. */
  public GroupMemberBuilder phiAccrual() {
    this.phiAccrual = true;
    return this;
  }

  /** Submits in flight before further submits fail fast, in [1, 1048576]. */
  public GroupMemberBuilder maxQueuedSubmits(int submits) {
    maxQueuedSubmits = once("maxQueuedSubmits", maxQueuedSubmits,
        requireRange("maxQueuedSubmits", submits, 1, 1 << 20));
    return this;
  }

  /** The largest encoded operation accepted, in [1, 16 MiB]. */
  public GroupMemberBuilder maxOperationBytes(int bytes) {
    maxOperationBytes = once("maxOperationBytes", maxOperationBytes,
        requireRange("maxOperationBytes", bytes, 1, 16 << 20));
    return this;
  }

  /** How long {@link GroupMember#read} waits, in [1 ms, 10 min]. */
  public GroupMemberBuilder readTimeout(Duration timeout) {
    readTimeout = once("readTimeout", readTimeout,
        requireRange("readTimeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(10)));
    return this;
  }

  /** How long a joiner's start waits to be admitted with its state, in [1 ms, 1 h]. */
  public GroupMemberBuilder joinTimeout(Duration timeout) {
    joinTimeout = once("joinTimeout", joinTimeout,
        requireRange("joinTimeout", timeout, Duration.ofMillis(1), Duration.ofHours(1)));
    return this;
  }

  /** How long close waits for its graceful leave, in [0, 10 min]. */
  public GroupMemberBuilder leaveTimeout(Duration timeout) {
    leaveTimeout = once("leaveTimeout", leaveTimeout,
        requireRange("leaveTimeout", timeout, Duration.ZERO, Duration.ofMinutes(10)));
    return this;
  }

  /** Adds a listener of view changes, blocking and unblocking. */
  public GroupMemberBuilder listener(MembershipListener listener) {
    listeners.add(requireNonNull("listener", listener));
    return this;
  }

  /** The state machine; ends the settings. Required. */
  public <S, O, R> Starter<S, O, R> stateMachine(StateMachine<S, O, R> machine) {
    return new Starter<>(this, requireNonNull("stateMachine", machine));
  }

  /** The last step: starts the member. */
  public static final class Starter<S, O, R> {
    private final GroupMemberBuilder settings;
    private final StateMachine<S, O, R> machine;

    private Starter(GroupMemberBuilder settings, StateMachine<S, O, R> machine) {
      this.settings = settings;
      this.machine = machine;
    }

    /**
     * Validates the settings and starts the member. A founder returns at once; a joiner returns
     * once it is in a view and holds the transferred state.
     *
     * @throws IllegalStateException if a required setting is missing or inconsistent, a joiner
     *     was not admitted within the join timeout, or no engine is on the class path
     */
    public GroupMember<S, O, R> start() {
      return factory().start(settings.config(), machine);
    }
  }

  GroupMemberConfig config() {
    String listen = ReplicaBuilder.checkMembers(nodeId, listenAddress, peers);
    Duration heartbeat = or(heartbeatInterval, Duration.ofMillis(100));
    Duration suspect = or(suspectAfter, Duration.ofSeconds(1));
    if (suspect.compareTo(heartbeat) <= 0) {
      throw new IllegalStateException("suspectAfter (" + suspect + ") must be longer than"
          + " heartbeatInterval (" + heartbeat + ")");
    }
    return new GroupMemberConfig(nodeId, listen, peers, !join, heartbeat, suspect, phiAccrual,
        or(maxQueuedSubmits, 10_000), or(maxOperationBytes, 1 << 20),
        or(readTimeout, Duration.ofSeconds(10)), or(joinTimeout, Duration.ofSeconds(30)),
        or(leaveTimeout, Duration.ofSeconds(2)), listeners);
  }

  private static GroupMemberFactory factory() {
    Iterator<GroupMemberFactory> it = ServiceLoader.load(GroupMemberFactory.class).iterator();
    if (!it.hasNext()) {
      throw new IllegalStateException("no Meridian engine found: add the dependency"
          + " dev.meridian:meridian-replication next to meridian-api");
    }
    return it.next();
  }

  private static <T> T once(String name, T current, T value) {
    if (current != null) {
      throw new IllegalStateException(name + " already set to " + current);
    }
    return value;
  }
}
