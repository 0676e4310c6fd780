package dev.meridian.time;

/**
 * An interval of true time, {@code [earliest, latest]} in nanoseconds, both ends inclusive.
 *
 * <p>A synchronized clock answers "what time is it?" with such an interval instead of a point: the
 * guarantee it gives is that true time lies inside, whenever the clock's assumptions (its drift
 * bound and its sources' uncertainty) hold. Comparisons are therefore three-valued: one interval is
 * {@linkplain #definitelyBefore definitely before} another, {@linkplain #definitelyAfter definitely
 * after} it, or they {@linkplain #overlaps overlap} and the order of the instants they stand for is
 * unknown.
 *
 * @param earliest the earliest instant true time can be, in nanoseconds
 * @param latest the latest instant true time can be, in nanoseconds; never less than {@code
 *     earliest}
 */
public record TimeInterval(long earliest, long latest) {

  /** @throws IllegalArgumentException if {@code latest < earliest} */
  public TimeInterval {
    if (latest < earliest) {
      throw new IllegalArgumentException(
          "TimeInterval needs earliest <= latest, got earliest=" + earliest + " latest=" + latest);
    }
  }

  /**
   * The interval {@code [center - uncertainty, center + uncertainty]}.
   *
   * @throws IllegalArgumentException if {@code uncertaintyNanos} is negative
   * @throws ArithmeticException if an end does not fit in a long
   */
  public static TimeInterval around(long centerNanos, long uncertaintyNanos) {
    if (uncertaintyNanos < 0) {
      throw new IllegalArgumentException("uncertainty must be >= 0 ns, got " + uncertaintyNanos);
    }
    return new TimeInterval(
        Math.subtractExact(centerNanos, uncertaintyNanos),
        Math.addExact(centerNanos, uncertaintyNanos));
  }

  /** True when {@code instantNanos} lies in {@code [earliest, latest]}. */
  public boolean contains(long instantNanos) {
    return earliest <= instantNanos && instantNanos <= latest;
  }

  /** True when every instant of this interval is before every instant of {@code other}. */
  public boolean definitelyBefore(TimeInterval other) {
    return latest < other.earliest;
  }

  /** True when every instant of this interval is after every instant of {@code other}. */
  public boolean definitelyAfter(TimeInterval other) {
    return earliest > other.latest;
  }

  /** True when the intervals share at least one instant: their order is then not known. */
  public boolean overlaps(TimeInterval other) {
    return earliest <= other.latest && other.earliest <= latest;
  }

  /**
   * {@code latest - earliest}: how much is not known.
   *
   * @throws ArithmeticException if the width does not fit in a long (ends more than {@link
   *     Long#MAX_VALUE} ns apart)
   */
  public long widthNanos() {
    return Math.subtractExact(latest, earliest);
  }

  @Override
  public String toString() {
    return "[" + earliest + ", " + latest + "]";
  }
}
