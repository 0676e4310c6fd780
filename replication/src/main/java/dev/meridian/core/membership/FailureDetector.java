package dev.meridian.core.membership;

import dev.meridian.NodeId;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A heartbeat failure detector: a pure component (it reads no clock; its owner passes monotonic
 * time in) that a membership core feeds with heartbeat arrivals and asks whom it suspects.
 *
 * <p><b>What it promises — and what nobody can.</b> In an asynchronous system a slow member and a
 * dead one look alike, so a suspicion can be wrong (and a correct member is then removed by the
 * view change, and rejoins as a new incarnation). What this detector does promise: a member that
 * stops sending heartbeats is suspected within a bounded time of its last heartbeat — {@link
 * DetectorSettings#suspectAfterNanos()} for {@link DetectorSettings.Kind#TIMEOUT}; for {@link
 * DetectorSettings.Kind#PHI_ACCRUAL} a bound that adapts to the observed heartbeat intervals and
 * never exceeds {@code suspectAfterNanos} either — and a member whose heartbeats arrive is no
 * longer suspected as soon as one does.
 *
 * <p><b>Phi accrual</b> (Hayashibara et al., 2004): from the mean μ and standard deviation σ of
 * the last {@link DetectorSettings#windowSize()} inter-arrival times, {@code phi(t) =
 * -log10(P(next heartbeat later than t))} under a normal distribution; suspected when phi exceeds
 * the threshold. phi = 8 means the silence would be this long by chance about once in 10^8
 * heartbeats. σ is floored at half the heartbeat interval, so that a regular history does not
 * turn one lost heartbeat into a suspicion (with a tenth, a 5 % lossy network in the membership
 * simulation removed healthy members again and again); with threshold 8 a member is suspected
 * after about mean + 2.8 heartbeat intervals of silence at the earliest. And phi suspects
 * nobody before {@value #MIN_HISTORY} intervals are known: a member just added is held to the
 * hard bound only (without this, new members were suspected on their first late heartbeat and
 * removed again, over and over, in the membership simulation).
 */
public final class FailureDetector {
  /** Inter-arrival times phi needs before it may suspect; until then only the hard bound. */
  static final int MIN_HISTORY = 10;

  private final DetectorSettings settings;
  private final Map<NodeId, History> watched = new LinkedHashMap<>();

  /** Inter-arrival times of one peer, in a ring of the last {@code windowSize}. */
  private static final class History {
    final long[] intervals;
    int count;
    int next;
    double sum;
    double sumOfSquares;
    long last;
    boolean heard; // a heartbeat arrived since it was watched
    long graceUntil; // not suspected before this unless heard from
    boolean unreachable; // hinted gone, until its next heartbeat

    History(int windowSize, long now) {
      this.intervals = new long[windowSize];
      this.last = now;
    }

    void add(long interval) {
      if (count == intervals.length) {
        long old = intervals[next];
        sum -= old;
        sumOfSquares -= (double) old * old;
      } else {
        count++;
      }
      intervals[next] = interval;
      next = (next + 1) % intervals.length;
      sum += interval;
      sumOfSquares += (double) interval * interval;
    }
  }

  public FailureDetector(DetectorSettings settings) {
    if (settings == null) {
      throw new IllegalArgumentException("settings must not be null");
    }
    this.settings = settings;
  }

  /**
   * Starts watching {@code peer} as if a heartbeat arrived at {@code nowNanos}: a member just
   * added gets a full timeout of grace. Watching a peer already watched changes nothing.
   */
  public void watch(NodeId peer, long nowNanos) {
    watch(peer, nowNanos, 0);
  }

  /**
   * Like {@link #watch(NodeId, long)}, with {@code graceNanos} more before a peer never heard
   * from is suspected: founders of a group start one after another, and one that takes a few
   * seconds to come up is not dead.
   */
  public void watch(NodeId peer, long nowNanos, long graceNanos) {
    if (graceNanos < 0) {
      throw new IllegalArgumentException("graceNanos must be >= 0, got " + graceNanos);
    }
    if (!watched.containsKey(requirePeer(peer))) {
      watched.put(peer, new History(settings.windowSize(), nowNanos));
      watched.get(peer).graceUntil = nowNanos + graceNanos;
    }
  }

  /**
   * This node itself was paused (its timer fired far too late: a long GC, a starved CPU): the
   * silence it measured is its own, not its peers'. Restarts every peer's silence at {@code
   * nowNanos}, so nobody is suspected for a pause of the judge.
   */
  public void selfPaused(long nowNanos) {
    for (History h : watched.values()) {
      h.last = Math.max(h.last, nowNanos);
    }
  }

  /** Stops watching {@code peer} (it left the view); unknown peers are ignored. */
  public void forget(NodeId peer) {
    watched.remove(peer);
  }

  /** The peers watched, in the order they were first watched. */
  public Set<NodeId> watched() {
    return new LinkedHashSet<>(watched.keySet());
  }

  /**
   * A heartbeat (or any frame, which proves the same) from {@code peer} arrived at {@code
   * nowNanos}. Heartbeats from peers not watched are ignored: they are not in the view.
   *
   * @throws IllegalArgumentException if {@code nowNanos} is earlier than a time passed before
   *     for this peer (monotonic time never goes back)
   */
  public void heartbeat(NodeId peer, long nowNanos) {
    History h = watched.get(requirePeer(peer));
    if (h == null) {
      return;
    }
    if (nowNanos < h.last) {
      throw new IllegalArgumentException("time went back for " + peer + ": " + nowNanos + " < "
          + h.last + " (pass monotonic time)");
    }
    h.add(nowNanos - h.last);
    h.last = nowNanos;
    h.heard = true;
    h.unreachable = false;
  }

  /**
   * A hint from outside that {@code peer}'s process is gone (its port refuses connections):
   * suspect it now rather than after the timeout, until its next heartbeat. Ignored for a peer
   * never heard from since it was watched — at start-up a peer's port is closed until it runs.
   */
  public void unreachable(NodeId peer) {
    History h = watched.get(requirePeer(peer));
    if (h != null && h.heard) {
      h.unreachable = true;
    }
  }

  /**
   * Why {@code peer} is suspected at {@code nowNanos}, for messages: its silence, or the
   * unreachable hint; empty if it is not suspected.
   */
  public String why(NodeId peer, long nowNanos) {
    History h = watched.get(requirePeer(peer));
    if (h == null || !suspected(peer, nowNanos)) {
      return "";
    }
    return h.unreachable ? "its port refuses connections"
        : "silent for " + (nowNanos - h.last) / 1_000_000 + " ms";
  }

  /** Whether {@code peer} is suspected at {@code nowNanos}; false for peers not watched. */
  public boolean suspected(NodeId peer, long nowNanos) {
    History h = watched.get(requirePeer(peer));
    if (h == null) {
      return false;
    }
    long silence = nowNanos - h.last;
    if (!h.heard && nowNanos < h.graceUntil) {
      return false; // a founder still starting
    }
    if (h.unreachable || silence > settings.suspectAfterNanos()) {
      return true; // the hard bound, for both kinds
    }
    // Phi only once the history says something: a member just watched (or just joined) is held
    // to the hard bound until MIN_HISTORY intervals are known.
    return settings.kind() == DetectorSettings.Kind.PHI_ACCRUAL && h.count >= MIN_HISTORY
        && phi(h, silence) > settings.phiThreshold();
  }

  /**
   * The earliest instant after {@code nowNanos} at which a peer not suspected now would cross the
   * hard bound if nothing more arrives from it; {@link Long#MAX_VALUE} if there is none. A core
   * that checks its suspicions then, instead of at its next periodic tick only, finds a silent
   * peer within the bound rather than up to one tick after it.
   */
  public long nextHardDeadline(long nowNanos) {
    long next = Long.MAX_VALUE;
    for (Map.Entry<NodeId, History> e : watched.entrySet()) {
      History h = e.getValue();
      if (suspected(e.getKey(), nowNanos)) {
        continue;
      }
      long at = h.last + settings.suspectAfterNanos() + 1;
      if (!h.heard) {
        at = Math.max(at, h.graceUntil);
      }
      next = Math.min(next, Math.max(at, nowNanos + 1));
    }
    return next;
  }

  /** Every watched peer suspected at {@code nowNanos}, in watch order. */
  public Set<NodeId> suspects(long nowNanos) {
    Set<NodeId> out = new LinkedHashSet<>();
    for (NodeId peer : watched.keySet()) {
      if (suspected(peer, nowNanos)) {
        out.add(peer);
      }
    }
    return out;
  }

  /**
   * The phi value of {@code peer} at {@code nowNanos} (0 for peers not watched). Until two
   * intervals are known, the configured heartbeat interval stands in for the mean.
   */
  public double phi(NodeId peer, long nowNanos) {
    History h = watched.get(requirePeer(peer));
    return h == null ? 0 : phi(h, nowNanos - h.last);
  }

  private double phi(History h, long silence) {
    double mean;
    double variance;
    if (h.count < 2) {
      mean = settings.heartbeatIntervalNanos();
      variance = 0;
    } else {
      mean = h.sum / h.count;
      variance = Math.max(0, h.sumOfSquares / h.count - mean * mean);
    }
    double sigma = Math.max(Math.sqrt(variance), settings.heartbeatIntervalNanos() / 2.0);
    // P(X > silence) for X ~ N(mean, sigma), with the logistic approximation of the normal CDF
    // (max error ~1e-4 in the CDF, good enough to compare with a threshold).
    double y = (silence - mean) / sigma;
    double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    double pLater = silence > mean ? e / (1.0 + e) : 1.0 - 1.0 / (1.0 + e);
    return -Math.log10(Math.max(pLater, Double.MIN_NORMAL));
  }

  private static NodeId requirePeer(NodeId peer) {
    if (peer == null) {
      throw new IllegalArgumentException("peer must not be null");
    }
    return peer;
  }
}
