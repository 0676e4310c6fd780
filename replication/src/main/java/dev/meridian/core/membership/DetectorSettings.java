package dev.meridian.core.membership;

/**
 * Settings of a {@link FailureDetector}.
 *
 * @param kind plain timeout, or phi accrual (which adapts to the heartbeats observed)
 * @param heartbeatIntervalNanos how often members send heartbeats
 * @param suspectAfterNanos silence after which a member is suspected in any case; must exceed the
 *     heartbeat interval
 * @param phiThreshold phi above which a member is suspected ({@link Kind#PHI_ACCRUAL} only)
 * @param windowSize inter-arrival times remembered per member ({@link Kind#PHI_ACCRUAL} only)
 */
public record DetectorSettings(Kind kind, long heartbeatIntervalNanos, long suspectAfterNanos,
    double phiThreshold, int windowSize) {

  /** How suspicion is decided. */
  public enum Kind {
    /** Suspect after {@code suspectAfterNanos} of silence. */
    TIMEOUT,
    /** Suspect when phi exceeds the threshold, or after {@code suspectAfterNanos} of silence. */
    PHI_ACCRUAL
  }

  /** @throws IllegalArgumentException naming the setting and its allowed range */
  public DetectorSettings {
    if (kind == null) {
      throw new IllegalArgumentException("kind must be TIMEOUT or PHI_ACCRUAL, got null");
    }
    if (heartbeatIntervalNanos < 1_000_000L || heartbeatIntervalNanos > 60_000_000_000L) {
      throw new IllegalArgumentException("heartbeatIntervalNanos must be in [1 ms, 60 s], got "
          + heartbeatIntervalNanos);
    }
    if (suspectAfterNanos <= heartbeatIntervalNanos || suspectAfterNanos > 600_000_000_000L) {
      throw new IllegalArgumentException("suspectAfterNanos must be in (heartbeat interval "
          + heartbeatIntervalNanos + ", 600 s], got " + suspectAfterNanos);
    }
    if (!(phiThreshold >= 1 && phiThreshold <= 50)) {
      throw new IllegalArgumentException("phiThreshold must be in [1, 50], got " + phiThreshold);
    }
    if (windowSize < 2 || windowSize > 10_000) {
      throw new IllegalArgumentException("windowSize must be in [2, 10000], got " + windowSize);
    }
  }

  /** LAN defaults: heartbeat every 100 ms, suspect after 1 s of silence, plain timeout. */
  public static DetectorSettings defaults() {
    return new DetectorSettings(Kind.TIMEOUT, 100_000_000L, 1_000_000_000L, 8.0, 100);
  }

  /** Phi accrual with threshold 8 over the last 100 intervals, heartbeat 100 ms, at most 1 s. */
  public static DetectorSettings phiAccrual() {
    return new DetectorSettings(Kind.PHI_ACCRUAL, 100_000_000L, 1_000_000_000L, 8.0, 100);
  }
}
