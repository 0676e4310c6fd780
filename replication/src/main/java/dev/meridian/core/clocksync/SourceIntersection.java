package dev.meridian.core.clocksync;

import dev.meridian.time.TimeInterval;
import java.util.Arrays;
import java.util.List;

/**
 * Marzullo's intersection of source intervals, in the form NTP uses: the smallest interval that
 * holds every instant covered by at least {@code n - f} of the {@code n} intervals.
 *
 * <p>Guarantee: if at most {@code f} of the intervals miss true time, the result contains true
 * time — true time is covered by the {@code >= n - f} correct intervals, so it lies between the
 * lowest and highest instants with that coverage. (Marzullo's original "region of greatest
 * overlap" does not promise this: a falseticker can make a narrower region win.) The fewer
 * sources agree, the wider the result; nothing is ever narrowed by guessing.
 */
public final class SourceIntersection {
  private SourceIntersection() {}

  /**
   * @param intervals the sources' intervals, all for the same instant
   * @param falsetickers f, how many of them may be wrong
   * @return the intersection, or null when no instant is covered by {@code n - f} intervals (more
   *     than f sources are wrong, or the bounds are) or there are not more than f intervals
   * @throws IllegalArgumentException if {@code falsetickers < 0}
   */
  public static TimeInterval of(List<TimeInterval> intervals, int falsetickers) {
    if (falsetickers < 0) {
      throw new IllegalArgumentException("falsetickers must be >= 0, got " + falsetickers);
    }
    int n = intervals.size();
    int needed = n - falsetickers;
    if (needed < 1) {
      return null;
    }
    long[] lows = new long[n];
    long[] highs = new long[n];
    for (int i = 0; i < n; i++) {
      lows[i] = intervals.get(i).earliest();
      highs[i] = intervals.get(i).latest();
    }
    Arrays.sort(lows);
    Arrays.sort(highs);
    // Lowest instant with coverage >= needed: the smallest low l such that at least `needed`
    // intervals start at or before l and have not ended before it. Scanning lows in order, the
    // coverage at lows[i] is (i + 1 + ties) minus the intervals that ended before lows[i].
    Long lower = null;
    for (int i = 0; i < n && lower == null; i++) {
      long at = lows[i];
      if (coverage(lows, highs, at) >= needed) {
        lower = at;
      }
    }
    if (lower == null) {
      return null;
    }
    Long upper = null;
    for (int i = n - 1; i >= 0 && upper == null; i--) {
      long at = highs[i];
      if (coverage(lows, highs, at) >= needed) {
        upper = at;
      }
    }
    if (upper == null || upper < lower) {
      return null;
    }
    return new TimeInterval(lower, upper);
  }

  /** How many closed intervals contain {@code at}: started at or before it, not ended before it. */
  private static int coverage(long[] sortedLows, long[] sortedHighs, long at) {
    int started = upperBound(sortedLows, at); // lows <= at
    int ended = lowerBound(sortedHighs, at); // highs < at
    return started - ended;
  }

  private static int upperBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static int lowerBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
