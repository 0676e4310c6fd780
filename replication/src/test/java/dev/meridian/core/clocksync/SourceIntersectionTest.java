package dev.meridian.core.clocksync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.time.TimeInterval;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SourceIntersectionTest {
  private static TimeInterval i(long a, long b) {
    return new TimeInterval(a, b);
  }

  @Test
  void withNoFalsetickerItIsThePlainIntersection() {
    assertEquals(i(12, 15), SourceIntersection.of(List.of(i(10, 20), i(12, 18), i(5, 15)), 0));
    assertNull(SourceIntersection.of(List.of(i(10, 20), i(21, 30)), 0), "disjoint");
    assertEquals(i(20, 20), SourceIntersection.of(List.of(i(10, 20), i(20, 30)), 0),
        "closed intervals touching at one instant");
  }

  @Test
  void oneFalsetickerOfThreeIsOutvoted() {
    // The third source is far off: the two that agree decide.
    assertEquals(i(12, 18), SourceIntersection.of(List.of(i(10, 20), i(12, 18), i(90, 95)), 1));
    // A falseticker that overlaps one correct source only widens the result, which still holds
    // every instant two sources agree on.
    assertEquals(i(12, 20), SourceIntersection.of(List.of(i(10, 20), i(12, 18), i(17, 40)), 1));
  }

  @Test
  void tooFewSourcesOrTooMuchDisagreementGiveNothing() {
    assertNull(SourceIntersection.of(List.of(i(1, 2)), 1), "one source cannot outvote one liar");
    assertNull(SourceIntersection.of(List.of(), 0));
    assertNull(SourceIntersection.of(List.of(i(0, 1), i(5, 6), i(10, 11)), 1),
        "no two sources agree");
    assertThrows(IllegalArgumentException.class, () -> SourceIntersection.of(List.of(), -1));
  }

  /** The guarantee, on random inputs: with at most f wrong intervals, true time is inside. */
  @Test
  void containsTrueTimeWheneverAtMostFIntervalsMissIt() {
    SplittableRandom random = new SplittableRandom(42);
    for (int run = 0; run < 20_000; run++) {
      long truth = random.nextLong(-1_000_000, 1_000_000);
      int n = 1 + random.nextInt(7);
      int f = random.nextInt(n);
      int wrong = random.nextInt(f + 1);
      List<TimeInterval> intervals = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        long half = 1 + random.nextLong(1000);
        long center = k < wrong
            ? truth + (random.nextBoolean() ? 1 : -1) * (half + 1 + random.nextLong(5000))
            : truth + random.nextLong(-half, half + 1);
        intervals.add(TimeInterval.around(center, half));
      }
      TimeInterval got = SourceIntersection.of(intervals, f);
      if (n - f >= 1) {
        assertTrue(got != null && got.contains(truth),
            "n=" + n + " f=" + f + " wrong=" + wrong + " " + intervals + " -> " + got
                + " misses " + truth);
      }
    }
  }
}
