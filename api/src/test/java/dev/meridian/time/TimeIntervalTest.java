package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimeIntervalTest {

  private static TimeInterval iv(long earliest, long latest) {
    return new TimeInterval(earliest, latest);
  }

  @Test
  void constructorRejectsLatestBeforeEarliestNamingBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> iv(10, 9));
    assertTrue(e.getMessage().contains("earliest=10"), e.getMessage());
    assertTrue(e.getMessage().contains("latest=9"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> iv(Long.MAX_VALUE, Long.MIN_VALUE));
  }

  @Test
  void constructorAcceptsPointAndNegativeInstants() {
    assertEquals(0, iv(5, 5).widthNanos());
    assertEquals(4, iv(-7, -3).widthNanos());
    assertEquals("[-7, -3]", iv(-7, -3).toString());
  }

  @Test
  void containsBothEndsAndNothingOutside() {
    TimeInterval t = iv(10, 20);
    assertTrue(t.contains(10));
    assertTrue(t.contains(15));
    assertTrue(t.contains(20));
    assertFalse(t.contains(9));
    assertFalse(t.contains(21));
    assertTrue(iv(3, 3).contains(3));
    assertFalse(iv(3, 3).contains(4));
    assertTrue(iv(Long.MIN_VALUE, Long.MAX_VALUE).contains(Long.MIN_VALUE));
    assertTrue(iv(Long.MIN_VALUE, Long.MAX_VALUE).contains(Long.MAX_VALUE));
  }

  @Test
  void disjointIntervalsAreDefinitelyOrdered() {
    TimeInterval early = iv(0, 4);
    TimeInterval late = iv(5, 9);
    assertTrue(early.definitelyBefore(late));
    assertFalse(early.definitelyAfter(late));
    assertTrue(late.definitelyAfter(early));
    assertFalse(late.definitelyBefore(early));
    assertFalse(early.overlaps(late));
    assertFalse(late.overlaps(early));
  }

  @Test
  void touchingIntervalsOverlap() {
    // [0,5] and [5,9] share instant 5: order unknown.
    TimeInterval a = iv(0, 5);
    TimeInterval b = iv(5, 9);
    assertTrue(a.overlaps(b));
    assertTrue(b.overlaps(a));
    assertFalse(a.definitelyBefore(b));
    assertFalse(b.definitelyAfter(a));
    assertFalse(a.definitelyAfter(b));
    assertFalse(b.definitelyBefore(a));
  }

  @Test
  void nestedAndPartialOverlaps() {
    TimeInterval outer = iv(0, 100);
    TimeInterval inner = iv(40, 60);
    TimeInterval partial = iv(90, 120);
    assertTrue(outer.overlaps(inner));
    assertTrue(inner.overlaps(outer));
    assertTrue(outer.overlaps(partial));
    assertTrue(partial.overlaps(outer));
    assertFalse(inner.overlaps(partial));
    assertTrue(inner.definitelyBefore(partial));
    assertFalse(outer.definitelyBefore(partial));
    assertFalse(outer.definitelyAfter(inner));
  }

  @Test
  void intervalOverlapsItselfAndPointsCompare() {
    TimeInterval t = iv(3, 8);
    assertTrue(t.overlaps(t));
    assertFalse(t.definitelyBefore(t));
    assertFalse(t.definitelyAfter(t));
    assertTrue(iv(4, 4).overlaps(iv(4, 4)));
    assertTrue(iv(4, 4).definitelyBefore(iv(5, 5)));
  }

  @Test
  void exactlyOneOfTheThreeRelationsHolds() {
    long[] ends = {-3, 0, 1, 4, 5, 9};
    for (long a0 : ends) {
      for (long a1 : ends) {
        for (long b0 : ends) {
          for (long b1 : ends) {
            if (a1 < a0 || b1 < b0) {
              continue;
            }
            TimeInterval a = iv(a0, a1);
            TimeInterval b = iv(b0, b1);
            int holds = (a.definitelyBefore(b) ? 1 : 0) + (a.definitelyAfter(b) ? 1 : 0)
                + (a.overlaps(b) ? 1 : 0);
            assertEquals(1, holds, a + " vs " + b);
            assertEquals(a.definitelyBefore(b), b.definitelyAfter(a), a + " vs " + b);
            assertEquals(a.overlaps(b), b.overlaps(a), a + " vs " + b);
          }
        }
      }
    }
  }

  @Test
  void aroundBuildsSymmetricInterval() {
    TimeInterval t = TimeInterval.around(1_000, 50);
    assertEquals(new TimeInterval(950, 1_050), t);
    assertEquals(100, t.widthNanos());
    assertTrue(t.contains(1_000));
    assertEquals(iv(7, 7), TimeInterval.around(7, 0));
    assertEquals(iv(-10, 10), TimeInterval.around(0, 10));
  }

  @Test
  void aroundRejectsNegativeUncertaintyNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TimeInterval.around(100, -1));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }

  @Test
  void aroundOverflowThrowsArithmeticException() {
    assertThrows(ArithmeticException.class, () -> TimeInterval.around(Long.MAX_VALUE, 1));
    assertThrows(ArithmeticException.class, () -> TimeInterval.around(Long.MIN_VALUE, 1));
    assertThrows(ArithmeticException.class, () -> TimeInterval.around(1, Long.MAX_VALUE));
    assertThrows(ArithmeticException.class, () -> TimeInterval.around(-2, Long.MAX_VALUE));
    // The widest intervals that still fit.
    assertEquals(iv(-Long.MAX_VALUE, Long.MAX_VALUE), TimeInterval.around(0, Long.MAX_VALUE));
    assertEquals(iv(Long.MIN_VALUE, Long.MAX_VALUE - 1), TimeInterval.around(-1, Long.MAX_VALUE));
    assertEquals(iv(Long.MAX_VALUE - 2, Long.MAX_VALUE),
        TimeInterval.around(Long.MAX_VALUE - 1, 1));
  }

  @Test
  void widthNanos() {
    assertEquals(0, iv(0, 0).widthNanos());
    assertEquals(9, iv(0, 9).widthNanos());
    assertEquals(Long.MAX_VALUE, iv(0, Long.MAX_VALUE).widthNanos());
    assertEquals(Long.MAX_VALUE, iv(-1, Long.MAX_VALUE - 1).widthNanos());
  }

  @Test
  void widthThatDoesNotFitInALongThrowsInsteadOfGoingNegative() {
    assertThrows(ArithmeticException.class, () -> iv(Long.MIN_VALUE, Long.MAX_VALUE).widthNanos());
    TimeInterval widest = TimeInterval.around(0, Long.MAX_VALUE);
    assertThrows(ArithmeticException.class, widest::widthNanos);
    assertThrows(ArithmeticException.class, () -> iv(-1, Long.MAX_VALUE).widthNanos());
  }

  @Test
  void recordEqualityAndToString() {
    assertEquals(iv(1, 2), iv(1, 2));
    assertEquals(iv(1, 2).hashCode(), iv(1, 2).hashCode());
    assertEquals("[1, 2]", iv(1, 2).toString());
    assertEquals(1, iv(1, 2).earliest());
    assertEquals(2, iv(1, 2).latest());
  }
}
