package dev.meridian.time;

/**
 * A {@link SyncedClock} has no interval it can vouch for: too few sources have answered, or they
 * disagree beyond the falsetickers tolerated. The message says which.
 */
public class ClockUnsynchronizedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** @param reason what is missing, naming the sources */
  public ClockUnsynchronizedException(String reason) {
    super(reason);
  }
}
