package dev.meridian.replica;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Settings of a new {@link Replica}. Each setting may be set once; a second call fails naming the
 * value already set, and a bad value fails naming the setting and its allowed range.
 *
 * <p>Required: {@link #nodeId}, at least one {@link #peer}, and the state ({@link #state}).
 * Defaults: listen on {@code 127.0.0.1:0} (an ephemeral loopback port — set it so peers can find
 * you), 4096 operations buffered per peer, 16384 pending and 16384 awaiting stability, 10000
 * queued submits, retransmit every 50 ms, gossip every 20 ms, 500 ms maximum clock offset, 10 s
 * read timeout.
 *
 * <p>Addresses are {@code host:port} for gRPC (the default transport) or {@code memory:<group>}
 * for members that run in one JVM (examples and tests): all members of an in-memory group use
 * the same group name.
 */
public final class ReplicaBuilder {
  private NodeId nodeId;
  private String listenAddress;
  private final Map<NodeId, String> peers = new LinkedHashMap<>();
  private Integer sendBufferPerPeer;
  private Integer pendingCapacity;
  private Integer stabilityCapacity;
  private Integer maxQueuedSubmits;
  private Duration retransmitInterval;
  private Duration gossipInterval;
  private Duration maxClockOffset;
  private Duration readTimeout;

  ReplicaBuilder() {}

  /** This member's id. Required. */
  public ReplicaBuilder nodeId(NodeId id) {
    requireUnset("nodeId", nodeId);
    this.nodeId = requireNonNull("nodeId", id);
    return this;
  }

  /** Where this member listens: {@code host:port} or {@code memory:<group>}. */
  public ReplicaBuilder listen(String address) {
    requireUnset("listen", listenAddress);
    this.listenAddress = validateAddress("listen", address);
    return this;
  }

  /** Another member and its address. Required at least once; each peer at most once. */
  public ReplicaBuilder peer(NodeId id, String address) {
    requireNonNull("peer id", id);
    if (peers.containsKey(id)) {
      throw new IllegalStateException("peer " + id + " already set to " + peers.get(id));
    }
    peers.put(id, validateAddress("peer " + id, address));
    return this;
  }

  /** Operations kept per peer until acknowledged, in [1, 1048576]. */
  public ReplicaBuilder sendBufferPerPeer(int operations) {
    requireUnset("sendBufferPerPeer", sendBufferPerPeer);
    this.sendBufferPerPeer = requireRange("sendBufferPerPeer", operations, 1, 1 << 20);
    return this;
  }

  /** Operations waiting for their causal past, in [1, 4194304]. */
  public ReplicaBuilder pendingCapacity(int operations) {
    requireUnset("pendingCapacity", pendingCapacity);
    this.pendingCapacity = requireRange("pendingCapacity", operations, 1, 1 << 22);
    return this;
  }

  /** Applied operations kept until every member has them, in [1, 4194304]. */
  public ReplicaBuilder stabilityCapacity(int operations) {
    requireUnset("stabilityCapacity", stabilityCapacity);
    this.stabilityCapacity = requireRange("stabilityCapacity", operations, 1, 1 << 22);
    return this;
  }

  /** Submits that may wait for buffer space before submits fail fast, in [1, 16777216]. */
  public ReplicaBuilder maxQueuedSubmits(int operations) {
    requireUnset("maxQueuedSubmits", maxQueuedSubmits);
    this.maxQueuedSubmits = requireRange("maxQueuedSubmits", operations, 1, 1 << 24);
    return this;
  }

  /** How often unacknowledged operations are resent, in [1 ms, 60 s]. */
  public ReplicaBuilder retransmitInterval(Duration interval) {
    requireUnset("retransmitInterval", retransmitInterval);
    this.retransmitInterval = requireRange("retransmitInterval", interval, Duration.ofMillis(1),
        Duration.ofSeconds(60));
    return this;
  }

  /** How often members exchange what they applied, in [1 ms, 60 s]. */
  public ReplicaBuilder gossipInterval(Duration interval) {
    requireUnset("gossipInterval", gossipInterval);
    this.gossipInterval = requireRange("gossipInterval", interval, Duration.ofMillis(1),
        Duration.ofSeconds(60));
    return this;
  }

  /** How far ahead of local time a remote hybrid timestamp may be adopted, in [1 ms, 1 h]. */
  public ReplicaBuilder maxClockOffset(Duration offset) {
    requireUnset("maxClockOffset", maxClockOffset);
    this.maxClockOffset = requireRange("maxClockOffset", offset, Duration.ofMillis(1),
        Duration.ofHours(1));
    return this;
  }

  /** How long {@link Replica#read} waits for the event thread, in [1 ms, 1 h]. */
  public ReplicaBuilder readTimeout(Duration timeout) {
    requireUnset("readTimeout", readTimeout);
    this.readTimeout = requireRange("readTimeout", timeout, Duration.ofMillis(1),
        Duration.ofHours(1));
    return this;
  }

  /** The replicated state; ends the settings. Required. */
  public <S extends ReplicatedState<O>, O> Starter<S, O> state(S state) {
    requireNonNull("state", state);
    return new Starter<>(this, state);
  }

  /** The last step: starts the member. */
  public static final class Starter<S extends ReplicatedState<O>, O> {
    private final ReplicaBuilder settings;
    private final S state;

    private Starter(ReplicaBuilder settings, S state) {
      this.settings = settings;
      this.state = state;
    }

    /**
     * Validates the settings and starts the member: it listens, and connects to its peers as they
     * become reachable.
     *
     * @throws IllegalStateException if a required setting is missing, this member is also
     *     listed as a peer, or no engine ({@code meridian-replication}) is on the class path
     */
    public Replica<S, O> start() {
      return factory().start(settings.config(), state);
    }
  }

  ReplicaConfig config() {
    String listen = checkMembers(nodeId, listenAddress, peers);
    return new ReplicaConfig(nodeId, listen, peers,
        or(sendBufferPerPeer, 4096), or(pendingCapacity, 16_384), or(stabilityCapacity, 16_384),
        or(maxQueuedSubmits, 10_000),
        or(retransmitInterval, Duration.ofMillis(50)), or(gossipInterval, Duration.ofMillis(20)),
        or(maxClockOffset, Duration.ofMillis(500)), or(readTimeout, Duration.ofSeconds(10)));
  }

  /**
   * Checks what every member's builder needs: an id, peers other than itself, and one transport
   * for all addresses. Returns the listen address, defaulted to an ephemeral loopback port.
   */
  static String checkMembers(NodeId nodeId, String listenAddress, Map<NodeId, String> peers) {
    if (nodeId == null) {
      throw new IllegalStateException("nodeId is required");
    }
    if (peers.isEmpty()) {
      throw new IllegalStateException("at least one peer is required");
    }
    if (peers.containsKey(nodeId)) {
      throw new IllegalStateException("node " + nodeId + " is listed as its own peer");
    }
    String listen = listenAddress != null ? listenAddress : "127.0.0.1:0";
    boolean memory = listen.startsWith("memory:");
    for (Map.Entry<NodeId, String> p : peers.entrySet()) {
      if (p.getValue().startsWith("memory:") != memory) {
        throw new IllegalStateException("peer " + p.getKey() + " at " + p.getValue()
            + " uses another transport than this member's listen address " + listen);
      }
    }
    return listen;
  }

  private static ReplicaFactory factory() {
    Iterator<ReplicaFactory> it = ServiceLoader.load(ReplicaFactory.class).iterator();
    if (!it.hasNext()) {
      throw new IllegalStateException("no Meridian engine found: add the dependency"
          + " dev.meridian:meridian-replication next to meridian-api");
    }
    return it.next();
  }

  static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  static <T> T requireNonNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }

  private static void requireUnset(String name, Object current) {
    if (current != null) {
      throw new IllegalStateException(name + " already set to " + current);
    }
  }

  static int requireRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  static Duration requireRange(String name, Duration value, Duration min, Duration max) {
    requireNonNull(name, value);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  /** Accepts {@code memory:<name>} or {@code host:port} with a port in [0, 65535]. */
  static String validateAddress(String what, String address) {
    requireNonNull(what + " address", address);
    if (address.startsWith("memory:")) {
      if (address.length() == "memory:".length()) {
        throw new IllegalArgumentException(what + " address '" + address + "' names no group");
      }
      return address;
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException(
          what + " address '" + address + "' is not host:port or memory:<group>");
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " address '" + address + "' has a port that is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          what + " address '" + address + "' has port " + port + ", outside [0, 65535]");
    }
    return address;
  }
}
