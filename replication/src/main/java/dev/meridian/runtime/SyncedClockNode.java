package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.clocksync.ClockSyncCore;
import dev.meridian.core.clocksync.ClockSyncSettings;
import dev.meridian.core.clocksync.SyncMessage;
import dev.meridian.time.ClockUnsynchronizedException;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockConfig;
import dev.meridian.time.TimeInterval;
import dev.meridian.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine behind {@link SyncedClock}: a {@link ClockSyncCore} driven by a {@link NodeRuntime}
 * over gRPC (or the in-memory network). {@link #now()} never waits for the core: it takes the
 * latest reading the core delivered and ages it by the drift bound to the current
 * {@link System#nanoTime()}, the same monotonic clock the runtime hands the core.
 */
final class SyncedClockNode implements SyncedClock {
  private static final Logger LOG = Logger.getLogger(SyncedClockNode.class.getName());

  /** The latest reading, or why there is none. */
  private record Latest(ClockSyncCore.Reading reading, String why) {}

  private final SyncedClockConfig config;
  private final Transport transport;
  private final NodeRuntime<SyncMessage> runtime;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Latest latest = new Latest(null, "no source has answered yet");

  SyncedClockNode(SyncedClockConfig config) {
    this.config = config;
    List<NodeId> members = new ArrayList<>(new TreeSet<>(config.peers().keySet()));
    members.add(config.nodeId());
    members.sort(null);
    this.transport = Transports.of(config.nodeId(), config.listenAddress(), config.peers(),
        members, Transports.timeBasedIncarnation());
    ClockSyncSettings settings = new ClockSyncSettings(config.sources(), config.falsetickers(),
        config.maxDrift(), config.minDelay().toNanos(), config.period().toNanos(),
        Math.max(config.period().toNanos() * 10, 1_000_000_000L),
        config.referenceError() == null ? -1
            : config.referenceError().toNanos() + NodeRuntime.CLOCK_PAIRING_ERROR_NANOS,
        config.stepTolerance().toNanos());
    this.runtime = NodeRuntime.<SyncMessage>builder()
        .core(new ClockSyncCore(config.nodeId(), settings, ClockSyncCore.Variant.CORRECT))
        .transport(transport)
        .codec(new SyncMessageCodec())
        .onDeliver(this::onDeliver)
        .messagesAtArrival()
        .build();
    runtime.start();
  }

  private void onDeliver(Object value) {
    if (value instanceof ClockSyncCore.Reading r) {
      latest = new Latest(r, null);
    } else if (value instanceof ClockSyncCore.Unsynchronized u) {
      latest = new Latest(null, u.why());
    } else if (value instanceof ClockSyncCore.ClockFault f) {
      String what = "clock of " + f.clock() + ": " + f.what();
      LOG.warning(() -> config.nodeId() + " saw a clock fault: " + what);
      try {
        config.faultListener().accept(what);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the clock-fault listener of " + config.nodeId() + " threw", e);
      }
    }
  }

  @Override
  public TimeInterval now() {
    return aged(latest);
  }

  /** {@code l}'s reading aged to now; one reading throughout, even if a newer one arrives. */
  private TimeInterval aged(Latest l) {
    if (closed.get()) {
      throw new ClockUnsynchronizedException(config.nodeId() + "'s clock is closed");
    }
    if (l.reading() == null) {
      throw new ClockUnsynchronizedException(l.why());
    }
    TimeInterval at = l.reading().interval();
    return ClockSyncCore.age(at.earliest(), at.latest(),
        System.nanoTime() - l.reading().monotonicNanos(), config.maxDrift());
  }

  @Override
  public Optional<TimeInterval> tryNow() {
    try {
      return Optional.of(now());
    } catch (ClockUnsynchronizedException e) {
      return Optional.empty();
    }
  }

  @Override
  public long accuracyNanos() {
    TimeInterval now = now();
    return (now.widthNanos() + 1) / 2;
  }

  @Override
  public long precisionNanos() {
    Latest l = latest;
    TimeInterval now = aged(l); // throws when there is no reading
    // Both this interval and the sources' grew by the same drift allowance since the reading.
    long grown = now.widthNanos() - l.reading().interval().widthNanos();
    return l.reading().precisionNanos() + Math.max(0, grown);
  }

  @Override
  public NodeId nodeId() {
    return config.nodeId();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      runtime.close();
      transport.close();
    }
  }

  @Override
  public String toString() {
    return "SyncedClock{" + config.nodeId() + "}";
  }
}
