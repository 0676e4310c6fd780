package dev.meridian.time;

import java.util.Optional;

/**
 * A clock that says how wrong it may be: {@link #now()} is an interval that contains true time.
 *
 * <p><b>Guarantee.</b> Every interval returned contains true time (as the references define it)
 * provided: this process's monotonic clock runs within the configured drift bound ρ; the
 * configured minimum one-way delay is a true lower bound; and at most {@code f} of the sources
 * hand out intervals that miss true time (a reference's are its wall clock ± the error it
 * vouches for). When the clock cannot vouch for an interval — too few sources heard, or no
 * agreement among them — {@link #now()} throws rather than guess.
 *
 * <p><b>Accuracy and precision.</b> {@link #accuracyNanos()} bounds the distance between the
 * midpoint of {@link #now()} and true time; {@link #precisionNanos()} the distance to the
 * midpoints of this member's sources (agreement), which is what ordering events across members
 * needs. Two members' midpoints also differ by at most the sum of their accuracies.
 *
 * <p>Thread-safe; {@link #now()} does not block (it ages the latest reading by the drift bound).
 */
public interface SyncedClock extends AutoCloseable {

  /** A builder for a synchronized clock; needs the replication engine on the class path. */
  static SyncedClockBuilder builder() {
    return new SyncedClockBuilder();
  }

  /**
   * The interval in which true time lies now, in nanoseconds since the Unix epoch.
   *
   * @throws ClockUnsynchronizedException if no interval can be vouched for, saying why
   */
  TimeInterval now();

  /** {@link #now()}, or empty when there is none. */
  Optional<TimeInterval> tryNow();

  /**
   * Half the width of {@link #now()}: the bound on the distance from its midpoint to true time.
   *
   * @throws ClockUnsynchronizedException if there is no interval
   */
  long accuracyNanos();

  /**
   * A bound on the distance between the midpoint of {@link #now()} and the midpoint of every
   * source's own clock that vouched for an interval: how far this member may disagree with its
   * sources (precision), as opposed to with true time ({@link #accuracyNanos()}). Two members
   * synchronized from one source disagree by at most the sum of their precisions.
   *
   * @throws ClockUnsynchronizedException if there is no interval
   */
  long precisionNanos();

  /** This member's id. */
  dev.meridian.NodeId nodeId();

  /** Stops synchronizing and answering others. Idempotent. */
  @Override
  void close();
}
