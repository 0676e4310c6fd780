package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LamportClockTest {

  @Test
  void zeroReadsZero() {
    assertEquals(0, LamportClock.ZERO.time());
    assertSame(LamportClock.ZERO, LamportClock.at(0));
  }

  @Test
  void tickAdvancesByOneAndLeavesTheOriginalUnchanged() {
    LamportClock c0 = LamportClock.ZERO;
    LamportClock c1 = c0.tick();
    LamportClock c2 = c1.tick();
    assertEquals(0, c0.time());
    assertEquals(1, c1.time());
    assertEquals(2, c2.time());
  }

  @Test
  void sendIsALocalEvent() {
    assertEquals(1, LamportClock.ZERO.send().time());
    assertEquals(8, LamportClock.at(7).send().time());
  }

  /**
   * Lamport 1978, IR2: a process that had one event (LT(A)=1) sends: the message carries 2. The
   * receiver, also at LT=1, sets max(1, 2) + 1 = 3.
   */
  @Test
  void paperExampleReceiveFromAheadSender() {
    LamportClock a = LamportClock.ZERO.tick();
    assertEquals(1, a.time());
    LamportClock aSent = a.send();
    assertEquals(2, aSent.time());

    LamportClock b = LamportClock.ZERO.tick();
    assertEquals(1, b.time());
    LamportClock bReceived = b.receive(aSent.time());
    assertEquals(3, bReceived.time());
    assertTrue(aSent.compareTo(bReceived) < 0, "send must order before its receive");
  }

  @Test
  void receiveFromBehindSenderStillAdvancesLocalTime() {
    // max(LT, LT_m) + 1 with LT > LT_m: the local time wins.
    assertEquals(11, LamportClock.at(10).receive(3).time());
  }

  @Test
  void receiveWithEqualTimes() {
    assertEquals(6, LamportClock.at(5).receive(5).time());
  }

  @Test
  void receiveOfZeroStampAdvances() {
    assertEquals(1, LamportClock.ZERO.receive(0).time());
  }

  @Test
  void chainOfMessagesRespectsHappensBefore() {
    // P1 -> P2 -> P3 -> P1 with local events between; every receive is after its send.
    LamportClock p1 = LamportClock.ZERO.tick().tick(); // 2
    LamportClock p2 = LamportClock.at(5);
    LamportClock p3 = LamportClock.ZERO;

    LamportClock m1 = p1.send(); // 3
    p1 = m1;
    p2 = p2.receive(m1.time()); // max(5,3)+1 = 6
    assertEquals(6, p2.time());
    LamportClock m2 = p2.send(); // 7
    p2 = m2;
    p3 = p3.receive(m2.time()); // 8
    assertEquals(8, p3.time());
    LamportClock m3 = p3.send(); // 9
    p1 = p1.receive(m3.time()); // max(3,9)+1 = 10
    assertEquals(10, p1.time());
    assertTrue(m1.time() < p2.time() && m2.time() < p3.time() && m3.time() < p1.time());
  }

  @Test
  void negativeMessageTimeRejectedNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LamportClock.at(3).receive(-17));
    assertTrue(e.getMessage().contains("-17"), e.getMessage());
  }

  @Test
  void atNegativeRejectedNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LamportClock.at(-1));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LamportClock.at(Long.MIN_VALUE));
  }

  @Test
  void atRestoresAPersistedTime() {
    assertEquals(42, LamportClock.at(42).time());
    assertEquals(Long.MAX_VALUE, LamportClock.at(Long.MAX_VALUE).time());
  }

  @Test
  void tickOverflowThrows() {
    LamportClock max = LamportClock.at(Long.MAX_VALUE);
    ArithmeticException e = assertThrows(ArithmeticException.class, max::tick);
    assertTrue(e.getMessage().contains(Long.toString(Long.MAX_VALUE)), e.getMessage());
    assertThrows(ArithmeticException.class, max::send);
  }

  @Test
  void tickJustBelowMaxReachesMax() {
    assertEquals(Long.MAX_VALUE, LamportClock.at(Long.MAX_VALUE - 1).tick().time());
  }

  @Test
  void receiveOverflowThrows() {
    assertThrows(ArithmeticException.class, () -> LamportClock.ZERO.receive(Long.MAX_VALUE));
    assertThrows(ArithmeticException.class,
        () -> LamportClock.at(Long.MAX_VALUE).receive(0));
    assertEquals(Long.MAX_VALUE, LamportClock.ZERO.receive(Long.MAX_VALUE - 1).time());
  }

  @Test
  void orderingEqualityAndToString() {
    LamportClock three = LamportClock.at(3);
    assertEquals(three, LamportClock.ZERO.tick().tick().tick());
    assertEquals(three.hashCode(), LamportClock.at(3).hashCode());
    assertNotEquals(three, LamportClock.at(4));
    assertNotEquals(three, 3L);
    assertTrue(three.compareTo(LamportClock.at(4)) < 0);
    assertTrue(LamportClock.at(4).compareTo(three) > 0);
    assertEquals(0, three.compareTo(LamportClock.at(3)));
    assertTrue(LamportClock.at(Long.MAX_VALUE).compareTo(LamportClock.ZERO) > 0);
    assertEquals("LT(3)", three.toString());
  }
}
