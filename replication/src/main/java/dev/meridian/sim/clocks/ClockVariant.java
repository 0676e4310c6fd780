package dev.meridian.sim.clocks;

/**
 * Which rules {@link ClockCore} follows. {@link #CORRECT} follows every rule; each other variant
 * breaks exactly one, so that the checkers can be shown to catch it: a checker that cannot fail
 * proves nothing.
 */
public enum ClockVariant {
  /** All rules followed. */
  CORRECT,
  /** Vector clock: on receive, increment the own entry but do not merge the message's clock. */
  NO_MERGE_ON_RECEIVE,
  /** Vector clock: a send does not increment the own entry. */
  NO_INCREMENT_ON_SEND,
  /** Lamport clock: on receive, {@code LT + 1} instead of {@code max(LT, LT_m) + 1}. */
  LAMPORT_NO_MAX,
  /** Hybrid clock: a receive is treated as a local event; the remote timestamp is ignored. */
  HLC_IGNORES_REMOTE,
  /** Hybrid clock: a remote timestamp is adopted however far ahead of physical time it is. */
  HLC_NO_OFFSET_CHECK;

  /** The command-line spelling: {@code no-merge-on-receive}. */
  public String flag() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /**
   * Parses {@link #flag()}.
   *
   * @throws IllegalArgumentException naming the value and listing the valid ones
   */
  public static ClockVariant fromFlag(String flag) {
    for (ClockVariant v : values()) {
      if (v.flag().equals(flag)) {
        return v;
      }
    }
    StringBuilder valid = new StringBuilder();
    for (ClockVariant v : values()) {
      valid.append(valid.length() == 0 ? "" : ", ").append(v.flag());
    }
    throw new IllegalArgumentException(
        "unknown clock variant '" + flag + "'; valid: " + valid);
  }
}
