package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class HybridTimestampTest {

  @Test
  void zero() {
    assertEquals(0, HybridTimestamp.ZERO.physicalNanos());
    assertEquals(0, HybridTimestamp.ZERO.logical());
  }

  @Test
  void rejectsNegativePhysicalNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new HybridTimestamp(-1, 0));
    assertTrue(e.getMessage().contains("physical"), e.getMessage());
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new HybridTimestamp(Long.MIN_VALUE, 0));
  }

  @Test
  void rejectsNegativeLogicalNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new HybridTimestamp(5, -2));
    assertTrue(e.getMessage().contains("logical"), e.getMessage());
    assertTrue(e.getMessage().contains("-2"), e.getMessage());
  }

  @Test
  void ordersByPhysicalThenLogical() {
    HybridTimestamp a = new HybridTimestamp(10, 5);
    HybridTimestamp b = new HybridTimestamp(10, 6);
    HybridTimestamp c = new HybridTimestamp(11, 0);
    assertTrue(a.compareTo(b) < 0);
    assertTrue(b.compareTo(c) < 0);
    assertTrue(a.compareTo(c) < 0);
    assertTrue(c.compareTo(a) > 0);
    assertEquals(0, a.compareTo(new HybridTimestamp(10, 5)));
    assertTrue(a.isBefore(b));
    assertFalse(b.isBefore(a));
    assertFalse(a.isBefore(a));
    // Large logical counter never outweighs a larger physical part.
    assertTrue(new HybridTimestamp(10, Long.MAX_VALUE).isBefore(new HybridTimestamp(11, 0)));
    assertTrue(HybridTimestamp.ZERO.isBefore(new HybridTimestamp(0, 1)));
    assertTrue(new HybridTimestamp(Long.MAX_VALUE, 0).compareTo(HybridTimestamp.ZERO) > 0);
  }

  @Test
  void sortsLexicographically() {
    List<HybridTimestamp> list = new ArrayList<>(List.of(
        new HybridTimestamp(2, 0), new HybridTimestamp(1, 9), new HybridTimestamp(2, 1),
        new HybridTimestamp(1, 0), HybridTimestamp.ZERO));
    Collections.sort(list);
    assertEquals("[0.0, 1.0, 1.9, 2.0, 2.1]", list.toString());
  }

  @Test
  void equalityAndToString() {
    assertEquals(new HybridTimestamp(7, 3), new HybridTimestamp(7, 3));
    assertEquals(new HybridTimestamp(7, 3).hashCode(), new HybridTimestamp(7, 3).hashCode());
    assertNotEquals(new HybridTimestamp(7, 3), new HybridTimestamp(3, 7));
    assertEquals("1700000000000000123.4", new HybridTimestamp(1700000000000000123L, 4).toString());
  }
}
