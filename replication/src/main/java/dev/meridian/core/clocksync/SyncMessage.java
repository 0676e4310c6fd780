package dev.meridian.core.clocksync;

/** What members say to each other to synchronize their clocks (a Cristian/NTP exchange). */
public sealed interface SyncMessage {

  /** "What time is it?" — {@code id} pairs the answer with the asker's send time. */
  record Ask(long id) implements SyncMessage {}

  /** How much an {@link Answer}'s interval is worth. */
  enum Vouch {
    /** Nothing: the source has no interval it can stand by (bounds meaningless). */
    NONE,
    /** An interval the source stands by: its synchronized reading, or a confirmed reference's. */
    VOUCHED,
    /**
     * A reference's own wall clock ± its error, not yet confirmed against other references: only
     * other references use it, to confirm their own clocks when they all start together.
     */
    UNCONFIRMED_CLAIM
  }

  /** The source's interval for true time at the moment it answered, and what it is worth. */
  record Answer(long id, long earliest, long latest, Vouch vouch) implements SyncMessage {
    /** An answer that vouches for nothing. */
    public static Answer nothing(long id) {
      return new Answer(id, 0, 0, Vouch.NONE);
    }
  }
}
