package dev.meridian.core.clocksync;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import dev.meridian.time.TimeInterval;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Clock synchronization with an explicit error bound: Cristian/NTP exchanges with every source,
 * combined by {@link SourceIntersection} (Marzullo, tolerating {@code f} falsetickers), and aged
 * by the drift bound ρ between exchanges.
 *
 * <p><b>Guarantee.</b> Every {@link Reading} contains true time, provided (1) this member's
 * monotonic clock runs within ρ, (2) the configured minimum delay is a true lower bound, and
 * (3) at most {@code f} sources handed out intervals that missed true time. A reference answers
 * with its wall clock ± its vouched error; any other member answers with its own synchronized
 * interval.
 *
 * <p><b>How one exchange bounds time.</b> The asker sends at local monotonic {@code t0} and gets
 * {@code [e, l]} back at {@code t1}. The source read its interval somewhere in between, at least
 * {@code d_min} after the ask left and at least {@code d_min} before the answer arrived, and the
 * true round trip is at most {@code (t1 - t0)/(1 - ρ)}. So at {@code t1} true time lies in
 * {@code [e + d_min, l + rtt_max - d_min]}. From then on the interval grows by the drift bound:
 * after a local elapsed time {@code d}, by {@code d/(1+ρ)} at the low end and {@code d/(1-ρ)} at
 * the high end. A source's fresh interval is intersected with its previous one aged to now, so
 * the best round trip keeps paying off. This member's wall clock is never used, except by a
 * reference.
 *
 * <p><b>References confirm their own clocks.</b> A reference starts on probation: it answers with
 * its wall clock ± its error marked {@link SyncMessage.Vouch#UNCONFIRMED_CLAIM}, which only other
 * references use, and vouches for it only once its interval overlaps the intervals of all but f
 * of at least f + 1 other references. Its interval disjoint from those of f + 1 others proves it
 * wrong (every correct interval would overlap it, and at most f are not correct): it stays on
 * probation, its claims still helping the others confirm theirs, and synchronizes like any other
 * member until its clock agrees again.
 *
 * <p><b>Leaving the bound is reported, never served silently.</b> A wall clock that jumps
 * against the monotonic clock by more than {@code 2ρ·elapsed + tolerance} is reported as stepped
 * ({@link ClockFault}), and a reference whose wall clock stepped never vouches for it again in
 * this incarnation (its claims still help the others). A source
 * whose interval is disjoint from the agreed one is reported as a falseticker; an exchange that
 * contradicts the same source's earlier, aged interval is reported too (one of the two clocks
 * drifts beyond ρ). When fewer than {@code f + 1} sources vouch, or no instant is covered by
 * {@code n - f} of them, there is no reading: {@link Unsynchronized} says why. What is not
 * caught: a reference that restarts with its clock off by more than its error but less than
 * about twice that plus a round trip overlaps the others and is confirmed; clients tolerate it
 * as one of their f falsetickers.
 *
 * <p>Deterministic and single-threaded, as every {@link ProtocolCore}; time comes only from the
 * events' {@link Now} readings.
 */
public final class ClockSyncCore implements ProtocolCore<SyncMessage> {
  static final String ASK_TIMER = "clock-sync";

  /** Instants beyond ±2^61 ns (about 73 years from the epoch's far side) are malformed. */
  private static final long MAX_INSTANT = 1L << 61;

  /** Broken variants, each caught by a checker of the {@code clocksync} scenario. */
  public enum Variant {
    /** The protocol as documented. */
    CORRECT,
    /** Reports its own wall clock ± 1 ms instead of synchronizing. */
    TRUST_LOCAL_CLOCK,
    /** Averages the sources' midpoints instead of intersecting: a falseticker drags it off. */
    AVERAGE_SOURCES,
    /** Takes a source's answer as a point, ignoring the source's own uncertainty. */
    IGNORE_SOURCE_ERROR,
    /** Never compares the wall clock with the monotonic one: a stepped reference keeps vouching. */
    NO_STEP_DETECTION;

    /** The command-line spelling: {@code average-sources}. */
    public String flag() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * A synchronized reading: true time lay in {@code interval} at local monotonic time.
   * {@code precisionNanos} bounds the distance between this interval's midpoint and the midpoint
   * of each source that vouched for it (whose interval lies within what this member knows of it,
   * since a source's own reading only narrows between its answers); half the width when there
   * is no such source.
   */
  public record Reading(TimeInterval interval, int agreeing, int sources, long monotonicNanos,
      long precisionNanos) {
    public Reading(TimeInterval interval, int agreeing, int sources, long monotonicNanos) {
      this(interval, agreeing, sources, monotonicNanos, (interval.widthNanos() + 1) / 2);
    }
  }

  /** No reading can be vouched for now, and why. */
  public record Unsynchronized(String why) {}

  /** A clock (this member's or a source's) was seen leaving its bound. */
  public record ClockFault(NodeId clock, String what) {}

  /** A request for the current reading: delivers a {@link Reading} or an {@link Unsynchronized}. */
  public record ReadNow() {}

  /** One source's interval for true time at local monotonic {@code atMono}. */
  private record Estimate(long earliest, long latest, long atMono) {}

  private record Pending(NodeId source, long sentMono) {}

  private final NodeId self;
  private final ClockSyncSettings settings;
  private final Variant variant;
  private final List<NodeId> sources;

  private final Map<NodeId, Estimate> estimates = new LinkedHashMap<>(); // vouched answers
  private final Map<NodeId, Estimate> claims = new LinkedHashMap<>(); // unconfirmed reference claims
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Set<NodeId> reportedFalsetickers = new HashSet<>();
  private long nextAskId = 1;
  private boolean vouchesForOwnClock; // a confirmed reference whose clock never stepped since
  private boolean onProbation; // a reference whose clock is not (or no longer) confirmed
  private boolean refuted; // ... and was last found disjoint from f + 1 others (reported once)
  private boolean stepped; // a reference whose wall clock stepped: never vouches again
  private boolean started;
  private long baselineWallMinusMono; // wall - monotonic when last judged in bound
  private long baselineMono;

  /**
   * @param self this member
   * @param settings sources, bounds and timing
   * @param variant {@link Variant#CORRECT} except in the simulator's broken-variant runs
   */
  public ClockSyncCore(NodeId self, ClockSyncSettings settings, Variant variant) {
    if (self == null || settings == null || variant == null) {
      throw new IllegalArgumentException("self, settings and variant must not be null");
    }
    this.self = self;
    this.settings = settings;
    this.variant = variant;
    this.sources = settings.sources().stream().filter(s -> !s.equals(self)).distinct().toList();
    // A lone reference has nobody to confirm it: it vouches from the start.
    this.onProbation = settings.isReference() && !sources.isEmpty();
    this.vouchesForOwnClock = settings.isReference() && sources.isEmpty();
  }

  /** True while this member is a reference that still vouches for its own wall clock. */
  public boolean vouchesForOwnClock() {
    return vouchesForOwnClock;
  }

  @Override
  public List<Effect<SyncMessage>> handle(Event<SyncMessage> event) {
    List<Effect<SyncMessage>> out = new ArrayList<>(4);
    Now now = event.now();
    watchForSteps(now, out);
    if (event instanceof Event.Start<SyncMessage>) {
      ask(now, out);
    } else if (event instanceof Event.Timer<SyncMessage> timer) {
      if (ASK_TIMER.equals(timer.name())) {
        ask(now, out);
      }
    } else if (event instanceof Event.Message<SyncMessage> m) {
      if (m.payload() instanceof SyncMessage.Ask a) {
        out.add(new Effect.Send<>(m.from(), answer(a.id(), now, out)));
      } else if (m.payload() instanceof SyncMessage.Answer a) {
        answered(m.from(), a, now, out);
      }
    } else if (event instanceof Event.Request<SyncMessage> r) {
      if (r.request() instanceof ReadNow) {
        out.add(new Effect.Deliver<>(readingOrWhyNot(now, out)));
      } else if (r.request() instanceof dev.meridian.core.PeerUnreachable) {
        // a transport's hint; a source that is gone simply stops answering
      } else {
        throw new IllegalArgumentException("unknown request " + r.request());
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ asking and answering

  private void ask(Now now, List<Effect<SyncMessage>> out) {
    // Forget asks that waited too long: their answers would still be correct, only wide, but the
    // table must stay bounded when a source is gone.
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      if (now.monotonicNanos() - it.next().sentMono() > settings.answerTimeoutNanos()) {
        it.remove();
      }
    }
    for (NodeId source : sources) {
      long id = nextAskId++;
      pending.put(id, new Pending(source, now.monotonicNanos()));
      out.add(new Effect.Send<>(source, new SyncMessage.Ask(id)));
    }
    out.add(new Effect.SetTimer<>(ASK_TIMER, settings.periodNanos()));
    out.add(new Effect.Deliver<>(readingOrWhyNot(now, out))); // once a period, even if nobody answers
  }

  private SyncMessage.Answer answer(long id, Now now, List<Effect<SyncMessage>> out) {
    if (onProbation) {
      TimeInterval claim = ownClaim(now);
      return new SyncMessage.Answer(id, claim.earliest(), claim.latest(),
          SyncMessage.Vouch.UNCONFIRMED_CLAIM);
    }
    Object r = readingOrWhyNot(now, out);
    if (r instanceof Reading reading) {
      return new SyncMessage.Answer(id, reading.interval().earliest(),
          reading.interval().latest(), SyncMessage.Vouch.VOUCHED);
    }
    return SyncMessage.Answer.nothing(id);
  }

  private TimeInterval ownClaim(Now now) {
    return TimeInterval.around(now.wallNanos(), settings.referenceErrorNanos());
  }

  private void answered(NodeId from, SyncMessage.Answer a, Now now,
      List<Effect<SyncMessage>> out) {
    Pending p = pending.get(a.id());
    if (p == null || !p.source().equals(from)) {
      return; // forgotten, duplicated, or not ours to pair: no round trip to bound
    }
    pending.remove(a.id());
    if (a.vouch() == SyncMessage.Vouch.NONE || a.vouch() == null) {
      estimates.remove(from); // it no longer vouches for anything, so neither do its old answers
      claims.remove(from);
      return;
    }
    if (a.latest() < a.earliest() || Math.abs(a.earliest()) > MAX_INSTANT
        || Math.abs(a.latest()) > MAX_INSTANT) {
      out.add(new Effect.Deliver<>(new ClockFault(from, "sent a malformed interval ["
          + a.earliest() + ", " + a.latest() + "]; answer ignored")));
      return;
    }
    long rtt = now.monotonicNanos() - p.sentMono();
    long rttMax = (long) Math.ceil(rtt / (1.0 - settings.maxDrift()));
    long dMin = settings.minDelayNanos();
    if (2 * dMin > rttMax) {
      out.add(new Effect.Deliver<>(new ClockFault(self, "a round trip to " + from + " took "
          + rttMax + " ns, less than twice the configured minimum delay " + dMin
          + " ns: that bound is wrong; using half the round trip instead")));
      dMin = rttMax / 2;
    }
    long earliest = a.earliest();
    long latest = a.latest();
    if (variant == Variant.IGNORE_SOURCE_ERROR) {
      earliest = latest = earliest + (latest - earliest) / 2;
    }
    Estimate fresh = new Estimate(earliest + dMin, latest + rttMax - dMin, now.monotonicNanos());
    if (a.vouch() == SyncMessage.Vouch.UNCONFIRMED_CLAIM) {
      estimates.remove(from);
      claims.put(from, fresh);
      checkOwnClockAgainstSources(now, out);
      return;
    }
    claims.remove(from);
    Estimate previous = estimates.get(from);
    if (previous != null) {
      // Both the earlier interval, aged to now, and the fresh one hold true time when the
      // bounds hold: keep their intersection, so one lucky fast round trip keeps paying off
      // (NTP's clock filter, made exact). Disjoint means a bound broke: report, keep the fresh.
      TimeInterval aged = aged(previous, now.monotonicNanos());
      if (!aged.overlaps(new TimeInterval(fresh.earliest(), fresh.latest()))) {
        out.add(new Effect.Deliver<>(new ClockFault(from, "its answer ["
            + fresh.earliest() + ", " + fresh.latest() + "] contradicts its earlier one aged to"
            + " now " + aged + ": its clock or this one runs beyond the drift bound")));
      } else {
        fresh = new Estimate(Math.max(aged.earliest(), fresh.earliest()),
            Math.min(aged.latest(), fresh.latest()), now.monotonicNanos());
      }
    }
    estimates.put(from, fresh);
    checkOwnClockAgainstSources(now, out);
    out.add(new Effect.Deliver<>(readingOrWhyNot(now, out)));
  }

  // ------------------------------------------------------------------ readings

  /** The current reading, or why there is none; reports newly seen falsetickers into out. */
  private Object readingOrWhyNot(Now now, List<Effect<SyncMessage>> out) {
    long mono = now.monotonicNanos();
    if (variant == Variant.TRUST_LOCAL_CLOCK) {
      return new Reading(TimeInterval.around(now.wallNanos(), 1_000_000), 0, 0, mono);
    }
    if (vouchesForOwnClock) {
      return new Reading(ownClaim(now), 1, 1, mono);
    }
    int f = settings.falsetickers();
    List<NodeId> heard = new ArrayList<>(estimates.keySet());
    if (heard.size() < f + 1) {
      return new Unsynchronized(self + " has intervals from " + heard.size() + " of its "
          + sources.size() + " sources " + heard + "; " + (f + 1)
          + " are needed to outvote " + f + " falseticker(s)");
    }
    List<TimeInterval> intervals = new ArrayList<>(heard.size());
    for (NodeId s : heard) {
      intervals.add(aged(estimates.get(s), mono));
    }
    TimeInterval agreed = variant == Variant.AVERAGE_SOURCES
        ? average(intervals) : SourceIntersection.of(intervals, f);
    if (agreed == null) {
      return new Unsynchronized("no instant lies in " + (heard.size() - f) + " of the "
          + heard.size() + " source intervals " + intervals + ": more than " + f
          + " source(s) are wrong");
    }
    int agreeing = 0;
    long precision = (agreed.widthNanos() + 1) / 2;
    for (int i = 0; i < heard.size(); i++) {
      NodeId s = heard.get(i);
      if (intervals.get(i).overlaps(agreed)) {
        agreeing++;
        // Both midpoints lie in their intervals: the farthest two such points bound them.
        precision = Math.max(precision, Math.max(intervals.get(i).latest() - agreed.earliest(),
            agreed.latest() - intervals.get(i).earliest()));
        reportedFalsetickers.remove(s);
      } else if (reportedFalsetickers.add(s)) {
        out.add(new Effect.Deliver<>(new ClockFault(s, "falseticker: its interval "
            + intervals.get(i) + " misses the one " + (heard.size() - f) + " of "
            + heard.size() + " sources agree on, " + agreed)));
      }
    }
    return new Reading(agreed, agreeing, heard.size(), mono, precision);
  }

  /**
   * The interval of an estimate moved to local monotonic {@code mono} and grown by the drift
   * bound. {@code mono} may lie before the estimate: a runtime may hand a message the readings
   * of its arrival, earlier than those of an event handled before it.
   */
  private TimeInterval aged(Estimate e, long mono) {
    return age(e.earliest(), e.latest(), mono - e.atMono(), settings.maxDrift());
  }

  /**
   * Where true time lies {@code elapsed} monotonic nanoseconds (either sign) after an instant at
   * which it lay in {@code [earliest, latest]}, for a monotonic clock within drift bound ρ.
   */
  public static TimeInterval age(long earliest, long latest, long elapsed, double rho) {
    double slow = elapsed / (1.0 + rho);
    double fast = elapsed / (1.0 - rho);
    return new TimeInterval(earliest + (long) Math.floor(Math.min(slow, fast)),
        latest + (long) Math.ceil(Math.max(slow, fast)));
  }

  private static TimeInterval average(List<TimeInterval> intervals) {
    long sumOffsets = 0;
    long base = intervals.get(0).earliest();
    long widest = 0;
    for (TimeInterval i : intervals) {
      sumOffsets += (i.earliest() - base) + i.widthNanos() / 2;
      widest = Math.max(widest, i.widthNanos() / 2);
    }
    return TimeInterval.around(base + sumOffsets / intervals.size(), widest);
  }

  // ------------------------------------------------------------------ own clock

  /**
   * Reports a wall clock that moved against the monotonic clock by more than the two could
   * drift apart since the baseline; a reference stops vouching for a wall clock that did. The
   * baseline moves only when a step is reported, so small steps that add up are caught too.
   */
  private void watchForSteps(Now now, List<Effect<SyncMessage>> out) {
    if (variant == Variant.NO_STEP_DETECTION) {
      return;
    }
    long wallMinusMono = now.wallNanos() - now.monotonicNanos();
    if (!started) {
      started = true;
      baselineWallMinusMono = wallMinusMono;
      baselineMono = now.monotonicNanos();
      return;
    }
    long elapsed = Math.max(0, now.monotonicNanos() - baselineMono);
    long allowed = (long) Math.ceil(2 * settings.maxDrift() * elapsed)
        + settings.stepToleranceNanos();
    long jump = wallMinusMono - baselineWallMinusMono;
    if (Math.abs(jump) > allowed) {
      String what = "wall clock stepped by " + jump + " ns against the monotonic clock"
          + " (allowed " + allowed + " ns)";
      if (settings.isReference() && !stepped) {
        // A stepped clock's error is unknown from now on, and others' intervals are too wide to
        // confirm it again: it stays on probation (its claims still count for the others).
        stepped = true;
        vouchesForOwnClock = false;
        onProbation = true;
        what += "; not vouching for it as a reference again in this incarnation";
      }
      out.add(new Effect.Deliver<>(new ClockFault(self, what)));
      baselineWallMinusMono = wallMinusMono;
      baselineMono = now.monotonicNanos();
    }
  }

  /**
   * Confirms or refutes a reference's own clock against the other references' intervals
   * (vouched or claimed). Disjoint from f + 1 of them: wrong, since every correct interval would
   * overlap it and at most f are not correct. Overlapping all but at most f of at least f + 1:
   * confirmed, as far as others can tell.
   */
  private void checkOwnClockAgainstSources(Now now, List<Effect<SyncMessage>> out) {
    if (!settings.isReference()) {
      return;
    }
    if (variant == Variant.NO_STEP_DETECTION && vouchesForOwnClock) {
      return;
    }
    TimeInterval own = ownClaim(now);
    int f = settings.falsetickers();
    List<NodeId> disagreeing = new ArrayList<>();
    int compared = 0;
    for (Map<NodeId, Estimate> table : List.of(estimates, claims)) {
      for (Map.Entry<NodeId, Estimate> e : table.entrySet()) {
        compared++;
        if (!aged(e.getValue(), now.monotonicNanos()).overlaps(own)) {
          disagreeing.add(e.getKey());
        }
      }
    }
    if (disagreeing.size() >= f + 1) {
      if (vouchesForOwnClock || !refuted) {
        out.add(new Effect.Deliver<>(new ClockFault(self, "own wall clock interval " + own
            + " is disjoint from the intervals of " + disagreeing + "; not vouching for it as a"
            + " reference")));
      }
      vouchesForOwnClock = false;
      onProbation = true; // its claims still let the others confirm theirs
      refuted = true;
    } else if (onProbation && !stepped && compared >= f + 1) {
      onProbation = false;
      vouchesForOwnClock = true;
      refuted = false;
    }
  }
}
