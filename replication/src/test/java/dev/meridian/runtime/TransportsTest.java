package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransportsTest {
  @Test
  void incarnationsGrowEvenWithinOneTenthOfASecond() {
    int previous = Transports.timeBasedIncarnation();
    for (int i = 0; i < 1000; i++) { // far faster than the clock's 100 ms steps
      int next = Transports.timeBasedIncarnation();
      assertTrue(next > previous, next + " after " + previous);
      previous = next;
    }
  }
}
