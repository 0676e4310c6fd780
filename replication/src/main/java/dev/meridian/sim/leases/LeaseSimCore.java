package dev.meridian.sim.leases;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.clocksync.ClockSyncCore;
import dev.meridian.core.clocksync.ClockSyncSettings;
import dev.meridian.core.clocksync.SyncMessage;
import dev.meridian.core.lease.LeaseTable;
import dev.meridian.time.TimeInterval;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * One node of the {@code leases} scenario: a {@link ClockSyncCore} for its synchronized clock,
 * plus one role. The <em>table</em> node holds the {@link LeaseTable} — the same state machine
 * the group replicates in deployment, here applied in arrival order by one durable node, since
 * total order is checked by the membership scenario — and the protected resource, which fences
 * writes by token. <em>Holders</em> ask for the lease on one resource, act while their lease is
 * valid by the rule of {@link dev.meridian.lease.Lease}, and sometimes pause between a check and
 * the write that follows it.
 */
public final class LeaseSimCore implements ProtocolCore<LeaseSimMessage> {
  static final String RESOURCE = "R";
  private static final String TRY_TIMER = "lease-try";
  private static final String ACT_TIMER = "lease-act";
  private static final String PAUSED_WRITE_TIMER = "lease-paused-write";

  /** Broken variants, each caught by a checker of the {@code leases} scenario. */
  public enum Variant {
    CORRECT,
    /** Holders judge validity and stamp requests by their own wall clock, not the synced one. */
    TRUST_LOCAL_CLOCK,
    /** The protected resource takes every write, whatever its token. */
    NO_FENCING;

    /** The command-line spelling. */
    public String flag() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** A holder concluded its lease is valid at this step (and acts). */
  public record Acting(String resource, long token, TimeInterval clock) {}

  /** The table granted a lease. */
  public record Granted(String resource, long token, NodeId holder, long expiryNanos) {}

  /** The protected resource took a write. */
  public record WriteAccepted(String resource, long token) {}

  /** The protected resource refused a stale write. */
  public record WriteFenced(String resource, long token, long highest) {}

  private final NodeId self;
  private final NodeId tableNode;
  private final boolean holder;
  private final double maxDrift;
  private final long durationNanos;
  private final RandomGenerator random;
  private final Variant variant;
  private final ClockSyncCore clock;

  // table node
  private final LeaseTable table = new LeaseTable();
  private final LeaseTable.State state = table.initialState();
  private final Map<String, Long> highestWritten = new HashMap<>();

  // holder
  private TimeInterval reading;
  private long readingMono;
  private long nextRequest = 1;
  private long waitingFor; // request id, 0 if none
  private long sentMono;
  private long token; // 0 when not holding
  private long expiry;
  private long pendingWriteToken;

  public LeaseSimCore(NodeId self, NodeId tableNode, boolean holder, ClockSyncSettings clock,
      long durationNanos, RandomGenerator random, Variant variant) {
    this.self = self;
    this.tableNode = tableNode;
    this.holder = holder;
    this.maxDrift = clock.maxDrift();
    this.durationNanos = durationNanos;
    this.random = random;
    this.variant = variant;
    this.clock = new ClockSyncCore(self, clock, ClockSyncCore.Variant.CORRECT);
  }

  @Override
  public List<Effect<LeaseSimMessage>> handle(Event<LeaseSimMessage> event) {
    List<Effect<LeaseSimMessage>> out = new ArrayList<>();
    Now now = event.now();
    if (event instanceof Event.Message<LeaseSimMessage> m) {
      if (m.payload() instanceof LeaseSimMessage.Clock c) {
        clockEvent(new Event.Message<>(m.from(), c.message(), now), out);
      } else if (m.payload() instanceof LeaseSimMessage.Request r && self.equals(tableNode)) {
        LeaseTable.Result result = table.apply(state, r.op(), m.from());
        if (result.granted() && r.op().kind() == LeaseTable.Kind.ACQUIRE) {
          out.add(new Effect.Deliver<>(new Granted(r.op().resource(), result.grant().token(),
              m.from(), result.grant().expiryNanos())));
        }
        out.add(new Effect.Send<>(m.from(), new LeaseSimMessage.Reply(r.id(), result)));
      } else if (m.payload() instanceof LeaseSimMessage.Reply r && holder) {
        replied(r, now, out);
      } else if (m.payload() instanceof LeaseSimMessage.Write w && self.equals(tableNode)) {
        long highest = highestWritten.getOrDefault(w.resource(), 0L);
        if (w.token() >= highest || variant == Variant.NO_FENCING) {
          highestWritten.put(w.resource(), Math.max(highest, w.token()));
          out.add(new Effect.Deliver<>(new WriteAccepted(w.resource(), w.token())));
        } else {
          out.add(new Effect.Deliver<>(new WriteFenced(w.resource(), w.token(), highest)));
        }
      }
    } else if (event instanceof Event.Timer<LeaseSimMessage> t) {
      switch (t.name()) {
        case TRY_TIMER -> tryAcquire(now, out);
        case ACT_TIMER -> act(now, out);
        case PAUSED_WRITE_TIMER -> {
          out.add(new Effect.Send<>(tableNode,
              new LeaseSimMessage.Write(RESOURCE, pendingWriteToken)));
          pendingWriteToken = 0;
        }
        default -> clockEvent(new Event.Timer<>(t.name(), now), out);
      }
    } else if (event instanceof Event.Start<LeaseSimMessage>) {
      clockEvent(new Event.Start<>(now), out);
      if (holder) {
        out.add(new Effect.SetTimer<>(TRY_TIMER, gap()));
      }
    }
    return out;
  }

  private long gap() {
    return 5_000_000L + random.nextLong(40_000_000L);
  }

  private void clockEvent(Event<SyncMessage> event, List<Effect<LeaseSimMessage>> out) {
    for (Effect<SyncMessage> e : clock.handle(event)) {
      if (e instanceof Effect.Send<SyncMessage> s) {
        out.add(new Effect.Send<>(s.to(), new LeaseSimMessage.Clock(s.payload())));
      } else if (e instanceof Effect.SetTimer<SyncMessage> st) {
        out.add(new Effect.SetTimer<>(st.name(), st.delayNanos()));
      } else if (e instanceof Effect.CancelTimer<SyncMessage> ct) {
        out.add(new Effect.CancelTimer<>(ct.name()));
      } else if (e instanceof Effect.Deliver<SyncMessage> d) {
        if (d.value() instanceof ClockSyncCore.Reading r) {
          reading = r.interval();
          readingMono = r.monotonicNanos();
        } else if (d.value() instanceof ClockSyncCore.Unsynchronized) {
          reading = null;
        }
        out.add(new Effect.Deliver<>(d.value()));
      }
    }
  }

  /** This holder's clock now: the synced interval aged, or (broken) its own wall clock. */
  private TimeInterval now(Now now) {
    if (variant == Variant.TRUST_LOCAL_CLOCK) {
      return new TimeInterval(now.wallNanos(), now.wallNanos());
    }
    if (reading == null) {
      return null;
    }
    return ClockSyncCore.age(reading.earliest(), reading.latest(),
        now.monotonicNanos() - readingMono, maxDrift);
  }

  private void tryAcquire(Now now, List<Effect<LeaseSimMessage>> out) {
    TimeInterval t = now(now);
    if (waitingFor != 0 && now.monotonicNanos() - sentMono >= 100_000_000L) {
      waitingFor = 0; // lost on the way, or refused by silence: ask again (a late grant is void)
    }
    if (t == null || token != 0 || waitingFor != 0) {
      out.add(new Effect.SetTimer<>(TRY_TIMER, gap()));
      return;
    }
    waitingFor = nextRequest++;
    sentMono = now.monotonicNanos();
    out.add(new Effect.Send<>(tableNode, new LeaseSimMessage.Request(waitingFor,
        new LeaseTable.Op(LeaseTable.Kind.ACQUIRE, RESOURCE, 0, durationNanos, t.earliest()))));
    out.add(new Effect.SetTimer<>(TRY_TIMER, 100_000_000L)); // give up waiting after 100 ms
  }

  private void replied(LeaseSimMessage.Reply r, Now now, List<Effect<LeaseSimMessage>> out) {
    if (r.id() != waitingFor) {
      return; // late or duplicated
    }
    waitingFor = 0;
    if (r.result().granted()) {
      token = r.result().grant().token();
      expiry = r.result().grant().expiryNanos();
      act(now, out);
    } else {
      out.add(new Effect.SetTimer<>(TRY_TIMER, gap()));
    }
  }

  /** Checks the lease and, while valid, acts every millisecond. */
  private void act(Now now, List<Effect<LeaseSimMessage>> out) {
    if (token == 0) {
      return;
    }
    TimeInterval t = now(now);
    boolean ownTimer = now.monotonicNanos() - sentMono < (long) (durationNanos * (1 - maxDrift));
    boolean valid = t != null && t.latest() < expiry
        && (ownTimer || variant == Variant.TRUST_LOCAL_CLOCK);
    if (!valid) {
      token = 0;
      out.add(new Effect.SetTimer<>(TRY_TIMER, gap()));
      return;
    }
    out.add(new Effect.Deliver<>(new Acting(RESOURCE, token, t)));
    if (pendingWriteToken == 0 && random.nextInt(20) == 0) {
      // A pause between the check and the write: the write may land after the lease is gone.
      pendingWriteToken = token;
      out.add(new Effect.SetTimer<>(PAUSED_WRITE_TIMER, 5_000_000L
          + random.nextLong(60_000_000L)));
    } else {
      out.add(new Effect.Send<>(tableNode, new LeaseSimMessage.Write(RESOURCE, token)));
    }
    out.add(new Effect.SetTimer<>(ACT_TIMER, 1_000_000L));
  }
}
