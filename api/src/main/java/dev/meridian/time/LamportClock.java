package dev.meridian.time;

/**
 * A Lamport logical clock (Lamport 1978), as an immutable value.
 *
 * <p><b>Guarantee.</b> If event a happens before event b (a → b), then {@code LT(a) < LT(b)},
 * provided every process follows the three rules below for every event that matters to it:
 *
 * <ol>
 *   <li>on a local event, {@link #tick()};
 *   <li>on a send, {@link #send()} and stamp the message with the new {@link #time()};
 *   <li>on a receive of a message stamped {@code LT_m}, {@link #receive(long)}, which sets
 *       {@code LT = max(LT, LT_m) + 1}.
 * </ol>
 *
 * <p>The converse does not hold: {@code LT(a) < LT(b)} does not mean a → b. Use {@link
 * VectorClock} to tell concurrent events apart.
 *
 * <p><b>Failure model.</b> A process that loses its clock in a crash and restarts from zero is a new
 * process as far as this guarantee is concerned: its events are ordered after nothing it forgot.
 */
public final class LamportClock implements Comparable<LamportClock> {
  /** The clock of a process that has seen no event yet. */
  public static final LamportClock ZERO = new LamportClock(0);

  private final long time;

  private LamportClock(long time) {
    this.time = time;
  }

  /**
   * A clock reading {@code time}, for restoring a persisted clock.
   *
   * @throws IllegalArgumentException if {@code time} is negative
   */
  public static LamportClock at(long time) {
    if (time < 0) {
      throw new IllegalArgumentException("Lamport time must be >= 0, got " + time);
    }
    return time == 0 ? ZERO : new LamportClock(time);
  }

  /** The current Lamport time. */
  public long time() {
    return time;
  }

  /** Rule 1: a local event. Returns the clock one later. */
  public LamportClock tick() {
    return new LamportClock(increment(time));
  }

  /**
   * Rule 2: a send is a local event whose new time stamps the message. Returns the clock one
   * later; send {@code result.time()} with the message.
   */
  public LamportClock send() {
    return tick();
  }

  /**
   * Rule 3: the receipt of a message stamped {@code messageTime}: {@code max(LT, LT_m) + 1}.
   *
   * @throws IllegalArgumentException if {@code messageTime} is negative (no correct sender stamps
   *     one)
   */
  public LamportClock receive(long messageTime) {
    if (messageTime < 0) {
      throw new IllegalArgumentException("message Lamport time must be >= 0, got " + messageTime);
    }
    return new LamportClock(increment(Math.max(time, messageTime)));
  }

  private static long increment(long t) {
    if (t == Long.MAX_VALUE) {
      throw new ArithmeticException("Lamport time overflow at " + t);
    }
    return t + 1;
  }

  @Override
  public int compareTo(LamportClock other) {
    return Long.compare(time, other.time);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LamportClock other && time == other.time;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(time);
  }

  @Override
  public String toString() {
    return "LT(" + time + ")";
  }
}
