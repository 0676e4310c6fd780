package dev.meridian.time;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Settings of a new {@link SyncedClock}. A bad value fails naming the setting and its range.
 *
 * <p>Required: {@link #nodeId}, at least one {@link #peer}, and either sources ({@link #source})
 * or this member being a {@link #reference}. Defaults: every peer is a source, f = 0 with fewer
 * than three sources and (n − 1) / 2 otherwise, ρ = 100 ppm, no minimum delay, each source asked
 * every second, a step tolerance of 1 ms, listening on {@code 127.0.0.1:0}.
 */
public final class SyncedClockBuilder {
  private NodeId nodeId;
  private String listenAddress;
  private final Map<NodeId, String> peers = new LinkedHashMap<>();
  private final List<NodeId> sources = new ArrayList<>();
  private Integer falsetickers;
  private double maxDrift = 1e-4;
  private Duration minDelay = Duration.ZERO;
  private Duration period = Duration.ofSeconds(1);
  private Duration referenceError;
  private Duration stepTolerance = Duration.ofMillis(1);
  private Consumer<String> faultListener = fault -> { };

  SyncedClockBuilder() {}

  /** This member's id. */
  public SyncedClockBuilder nodeId(NodeId id) {
    this.nodeId = nonNull("nodeId", id);
    return this;
  }

  /** {@code host:port} to listen on (default {@code 127.0.0.1:0}), or {@code memory:<group>}. */
  public SyncedClockBuilder listen(String address) {
    this.listenAddress = nonNull("listen", address);
    return this;
  }

  /** Another member and its address. */
  public SyncedClockBuilder peer(NodeId id, String address) {
    nonNull("peer id", id);
    nonNull("peer address", address);
    if (peers.putIfAbsent(id, address) != null) {
      throw new IllegalArgumentException("peer " + id + " given twice");
    }
    return this;
  }

  /** A member asked for the time (default: every peer). */
  public SyncedClockBuilder source(NodeId id) {
    sources.add(nonNull("source", id));
    return this;
  }

  /** How many sources may be wrong at once, 0..sources−1. */
  public SyncedClockBuilder falsetickers(int f) {
    if (f < 0) {
      throw new IllegalArgumentException("falsetickers must be >= 0, got " + f);
    }
    this.falsetickers = f;
    return this;
  }

  /** ρ, the bound on any clock's rate error, in [0, 0.01] (1e-4 = 100 ppm). */
  public SyncedClockBuilder maxDrift(double rho) {
    if (!(rho >= 0 && rho <= 0.01)) {
      throw new IllegalArgumentException("maxDrift must be in [0, 0.01], got " + rho);
    }
    this.maxDrift = rho;
    return this;
  }

  /** The least one-way delay between members; must be a true lower bound. */
  public SyncedClockBuilder minDelay(Duration delay) {
    this.minDelay = range("minDelay", delay, Duration.ZERO, Duration.ofSeconds(1));
    return this;
  }

  /** How often each source is asked, 1 ms..1 h. */
  public SyncedClockBuilder period(Duration every) {
    this.period = range("period", every, Duration.ofMillis(1), Duration.ofHours(1));
    return this;
  }

  /**
   * Makes this member a reference: it vouches for its own wall clock within {@code error} (once
   * the other references, if any, confirm it). The engine adds the few µs by which its reading
   * of the wall clock and of the monotonic clock may be apart.
   */
  public SyncedClockBuilder reference(Duration error) {
    this.referenceError = range("reference error", error, Duration.ZERO, Duration.ofHours(1));
    return this;
  }

  /** How far the wall clock may jump, beyond the drift bound, before it counts as stepped. */
  public SyncedClockBuilder stepTolerance(Duration tolerance) {
    this.stepTolerance = range("stepTolerance", tolerance, Duration.ZERO, Duration.ofHours(1));
    return this;
  }

  /** Told (on an engine thread) about every clock fault: steps, falsetickers, contradictions. */
  public SyncedClockBuilder faultListener(Consumer<String> listener) {
    this.faultListener = nonNull("faultListener", listener);
    return this;
  }

  /**
   * Starts the clock: it listens, asks its sources and answers its peers.
   *
   * @throws IllegalStateException if a required setting is missing or settings conflict
   */
  public SyncedClock start() {
    if (nodeId == null) {
      throw new IllegalStateException("nodeId is required");
    }
    if (peers.isEmpty()) {
      throw new IllegalStateException("at least one peer is required");
    }
    if (peers.containsKey(nodeId)) {
      throw new IllegalStateException("node " + nodeId + " is listed as its own peer");
    }
    List<NodeId> from = sources.isEmpty() ? List.copyOf(peers.keySet()) : List.copyOf(sources);
    for (NodeId s : from) {
      if (!s.equals(nodeId) && !peers.containsKey(s)) {
        throw new IllegalStateException("source " + s + " is not a peer; peers are "
            + peers.keySet());
      }
    }
    long asked = from.stream().filter(s -> !s.equals(nodeId)).count();
    int f = falsetickers != null ? falsetickers : asked < 3 ? 0 : (int) ((asked - 1) / 2);
    if (asked > 0 && f >= asked) {
      throw new IllegalStateException("falsetickers (" + f + ") must be below the number of"
          + " sources (" + asked + ")");
    }
    if (asked == 0 && referenceError == null) {
      throw new IllegalStateException("a member with no sources must be a reference");
    }
    SyncedClockConfig config = new SyncedClockConfig(nodeId,
        listenAddress != null ? listenAddress : "127.0.0.1:0", Map.copyOf(peers), from, f,
        maxDrift, minDelay, period, referenceError, stepTolerance, faultListener);
    Iterator<SyncedClockFactory> it = ServiceLoader.load(SyncedClockFactory.class).iterator();
    if (!it.hasNext()) {
      throw new IllegalStateException("no Meridian engine found: add the dependency"
          + " dev.meridian:meridian-replication next to meridian-api");
    }
    return it.next().start(config);
  }

  private static <T> T nonNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }

  private static Duration range(String name, Duration value, Duration min, Duration max) {
    nonNull(name, value);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got "
          + value);
    }
    return value;
  }
}
