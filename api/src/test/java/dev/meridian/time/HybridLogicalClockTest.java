package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {

  private static final long MAX_OFFSET = 1_000;

  private static HybridTimestamp ts(long l, long c) {
    return new HybridTimestamp(l, c);
  }

  /** A clock whose last timestamp is {@code (l, c)}, reached through the public API. */
  private static HybridLogicalClock clockAt(long l, long c) {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET).tick(l);
    for (long i = 0; i < c; i++) {
      clock = clock.tick(l);
    }
    assertEquals(ts(l, c), clock.timestamp());
    return clock;
  }

  // ---------------------------------------------------------------- create

  @Test
  void createRejectsNonPositiveMaxOffsetNamingIt() {
    IllegalArgumentException zero =
        assertThrows(IllegalArgumentException.class, () -> HybridLogicalClock.create(0));
    assertTrue(zero.getMessage().contains("got 0"), zero.getMessage());
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> HybridLogicalClock.create(-1));
    assertTrue(negative.getMessage().contains("got -1"), negative.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HybridLogicalClock.create(Long.MIN_VALUE));
  }

  @Test
  void freshClockStartsAtZero() {
    HybridLogicalClock clock = HybridLogicalClock.create(1);
    assertSame(HybridTimestamp.ZERO, clock.timestamp());
    assertEquals(1, clock.maxOffsetNanos());
    assertEquals(Long.MAX_VALUE, HybridLogicalClock.create(Long.MAX_VALUE).maxOffsetNanos());
  }

  // ---------------------------------------------------------------- tick

  @Test
  void tickWithAdvancingPhysicalTimeTakesItAndResetsLogical() {
    HybridLogicalClock clock = clockAt(100, 3);
    HybridLogicalClock next = clock.tick(250);
    assertEquals(ts(250, 0), next.timestamp());
    assertEquals(ts(100, 3), clock.timestamp(), "clocks are immutable");
    assertEquals(ts(251, 0), next.tick(251).timestamp());
  }

  @Test
  void firstTickFromZero() {
    assertEquals(ts(5, 0), HybridLogicalClock.create(MAX_OFFSET).tick(5).timestamp());
    // Physical time 0 on a fresh clock: l stays 0, so c counts up.
    assertEquals(ts(0, 1), HybridLogicalClock.create(MAX_OFFSET).tick(0).timestamp());
  }

  @Test
  void tickWithPhysicalTimeStandingStillCountsUp() {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET).tick(100);
    HybridTimestamp previous = clock.timestamp();
    for (int i = 1; i <= 5; i++) {
      clock = clock.tick(100);
      assertEquals(ts(100, i), clock.timestamp());
      assertTrue(previous.isBefore(clock.timestamp()));
      previous = clock.timestamp();
    }
  }

  @Test
  void tickWithPhysicalTimeSteppingBackKeepsLAndCountsUp() {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET).tick(1_000);
    clock = clock.tick(400);
    assertEquals(ts(1_000, 1), clock.timestamp());
    clock = clock.tick(0);
    assertEquals(ts(1_000, 2), clock.timestamp());
    clock = clock.tick(1_000);
    assertEquals(ts(1_000, 3), clock.timestamp());
    clock = clock.tick(1_001);
    assertEquals(ts(1_001, 0), clock.timestamp());
  }

  @Test
  void timestampsStrictlyIncreaseUnderAnyPhysicalTime() {
    long seed = 7_331;
    Random rnd = new Random(seed);
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET);
    long pt = 10_000;
    for (int i = 0; i < 10_000; i++) {
      pt = Math.max(0, pt + rnd.nextInt(41) - 20); // wanders forward, stands still, steps back
      HybridTimestamp before = clock.timestamp();
      if (rnd.nextInt(3) == 0) {
        long remoteL = Math.max(0, pt + rnd.nextInt((int) MAX_OFFSET) - MAX_OFFSET / 2);
        clock = clock.receive(ts(remoteL, rnd.nextInt(5)), pt);
      } else {
        clock = clock.tick(pt);
      }
      assertTrue(before.isBefore(clock.timestamp()),
          "seed=" + seed + " step=" + i + ": " + before + " then " + clock.timestamp());
      assertTrue(clock.timestamp().physicalNanos() >= pt,
          "seed=" + seed + " step=" + i + ": l must be >= pt");
    }
  }

  @Test
  void tickRejectsNegativePhysicalTimeNamingIt() {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> clock.tick(-5));
    assertTrue(e.getMessage().contains("-5"), e.getMessage());
  }

  @Test
  void logicalOverflowThrows() {
    HybridLogicalClock atMax =
        HybridLogicalClock.create(MAX_OFFSET).receive(ts(10, Long.MAX_VALUE - 1), 10);
    assertEquals(ts(10, Long.MAX_VALUE), atMax.timestamp());
    assertThrows(ArithmeticException.class, () -> atMax.tick(10));
    assertThrows(ArithmeticException.class, () -> atMax.receive(ts(10, 0), 5));
    // Physical time moving on resets c, so no overflow.
    assertEquals(ts(11, 0), atMax.tick(11).timestamp());
  }

  // ---------------------------------------------------------------- receive (Kulkarni et al.)

  @Test
  void receiveWhenOldAndMessageLTieAndBeatPhysical() {
    // l' = l_old = l_m > pt: c = max(c_old, c_m) + 1
    HybridLogicalClock clock = clockAt(500, 2);
    assertEquals(ts(500, 8), clock.receive(ts(500, 7), 300).timestamp());
    assertEquals(ts(500, 3), clock.receive(ts(500, 1), 300).timestamp());
    assertEquals(ts(500, 3), clock.receive(ts(500, 2), 300).timestamp());
  }

  @Test
  void receiveWhenAllThreeTie() {
    // l_old = l_m = pt: still c = max(c_old, c_m) + 1 (l did not move).
    HybridLogicalClock clock = clockAt(500, 2);
    assertEquals(ts(500, 5), clock.receive(ts(500, 4), 500).timestamp());
  }

  @Test
  void receiveWhenOnlyOldLIsLargest() {
    // l' = l_old > l_m, pt: c = c_old + 1, message counter ignored.
    HybridLogicalClock clock = clockAt(500, 2);
    assertEquals(ts(500, 3), clock.receive(ts(400, 99), 300).timestamp());
    // l_old ties pt but beats l_m.
    assertEquals(ts(500, 3), clock.receive(ts(400, 99), 500).timestamp());
  }

  @Test
  void receiveWhenOnlyMessageLIsLargest() {
    // l' = l_m > l_old, pt: c = c_m + 1.
    HybridLogicalClock clock = clockAt(500, 2);
    assertEquals(ts(900, 8), clock.receive(ts(900, 7), 600).timestamp());
    // l_m ties pt but beats l_old.
    assertEquals(ts(900, 1), clock.receive(ts(900, 0), 900).timestamp());
  }

  @Test
  void receiveWhenOnlyPhysicalTimeIsLargest() {
    // l' = pt > l_old, l_m: c = 0.
    HybridLogicalClock clock = clockAt(500, 2);
    assertEquals(ts(1_200, 0), clock.receive(ts(900, 7), 1_200).timestamp());
  }

  @Test
  void receiveOrdersAfterTheSendAndTheLocalPast() {
    HybridLogicalClock sender = HybridLogicalClock.create(MAX_OFFSET).tick(2_000).tick(2_000);
    HybridTimestamp sent = sender.timestamp();
    HybridLogicalClock receiver = HybridLogicalClock.create(MAX_OFFSET).tick(1_500);
    HybridLogicalClock after = receiver.receive(sent, 1_600);
    assertTrue(sent.isBefore(after.timestamp()));
    assertTrue(receiver.timestamp().isBefore(after.timestamp()));
    assertEquals(ts(2_000, 2), after.timestamp());
    assertEquals(400, after.aheadOfPhysical(1_600));
  }

  @Test
  void receiveRejectsRemoteTooFarAhead() {
    HybridLogicalClock clock = clockAt(500, 2);
    HybridClockOffsetException e = assertThrows(HybridClockOffsetException.class,
        () -> clock.receive(ts(2_001, 3), 1_000));
    assertEquals(1_001, e.aheadByNanos());
    assertEquals(MAX_OFFSET, e.maxOffsetNanos());
    assertTrue(e.getMessage().contains("1001 ns ahead"), e.getMessage());
    assertTrue(e.getMessage().contains("max offset is 1000 ns"), e.getMessage());
    assertTrue(e.getMessage().contains("2001.3"), "names the remote timestamp: " + e.getMessage());
    assertTrue(e.getMessage().contains("local physical time 1000"), e.getMessage());
    assertEquals(ts(500, 2), clock.timestamp(), "clock unchanged");
  }

  @Test
  void receiveAcceptsRemoteExactlyMaxOffsetAhead() {
    HybridLogicalClock clock = clockAt(500, 2);
    HybridLogicalClock after = clock.receive(ts(2_000, 3), 1_000);
    assertEquals(ts(2_000, 4), after.timestamp());
    assertEquals(MAX_OFFSET, after.aheadOfPhysical(1_000));
  }

  @Test
  void receiveOffsetCheckDoesNotOverflowAtExtremes() {
    HybridLogicalClock huge = HybridLogicalClock.create(Long.MAX_VALUE);
    assertEquals(ts(Long.MAX_VALUE, 1), huge.receive(ts(Long.MAX_VALUE, 0), 0).timestamp());
    HybridLogicalClock small = HybridLogicalClock.create(1);
    HybridClockOffsetException e = assertThrows(HybridClockOffsetException.class,
        () -> small.receive(ts(Long.MAX_VALUE, 0), 0));
    assertEquals(Long.MAX_VALUE, e.aheadByNanos());
    assertEquals(1, e.maxOffsetNanos());
  }

  @Test
  void remoteBehindIsNeverRefused() {
    HybridLogicalClock clock = HybridLogicalClock.create(1);
    assertEquals(ts(1_000_000, 0), clock.receive(ts(0, 0), 1_000_000).timestamp());
  }

  @Test
  void receiveRejectsNullRemote() {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> clock.receive(null, 0));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void receiveRejectsNegativePhysicalTime() {
    HybridLogicalClock clock = HybridLogicalClock.create(MAX_OFFSET);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> clock.receive(ts(0, 0), -3));
    assertTrue(e.getMessage().contains("-3"), e.getMessage());
  }

  // ---------------------------------------------------------------- aheadOfPhysical

  @Test
  void aheadOfPhysical() {
    HybridLogicalClock clock = clockAt(500, 1);
    assertEquals(0, clock.aheadOfPhysical(500));
    assertEquals(0, clock.aheadOfPhysical(900), "never negative");
    assertEquals(200, clock.aheadOfPhysical(300));
    assertEquals(500, clock.aheadOfPhysical(0));
    // After the physical clock steps back further than maxOffset, the clock runs ahead more.
    HybridLogicalClock stepped = clockAt(5_000, 0).tick(1_000);
    assertEquals(ts(5_000, 1), stepped.timestamp());
    assertEquals(4_000, stepped.aheadOfPhysical(1_000));
  }

  @Test
  void toStringNamesTimestampAndOffset() {
    assertEquals("HLC(500.2, maxOffset=1000ns)", clockAt(500, 2).toString());
  }

  // ---------------------------------------------------------------- exception

  @Test
  void offsetExceptionCarriesItsFields() {
    HybridClockOffsetException e =
        new HybridClockOffsetException(ts(1_500, 0), 1_000, 100);
    assertEquals(500, e.aheadByNanos());
    assertEquals(100, e.maxOffsetNanos());
    assertTrue(e.getMessage().contains("500 ns ahead"), e.getMessage());
    assertTrue(e.getMessage().contains("max offset is 100 ns"), e.getMessage());
    assertTrue(e instanceof RuntimeException);
  }
}
