package dev.meridian.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import org.junit.jupiter.api.Test;

class SnapshotIdTest {
  private static final NodeId N1 = NodeId.of("n1");

  @Test
  void anIncarnationsCountIsReadBackAndPrintedShort() {
    SnapshotId first = SnapshotId.of(N1, 1, 3);
    assertEquals(new SnapshotId(N1, 3), first);
    assertEquals("n1/3", first.toString());
    SnapshotId restarted = SnapshotId.of(N1, 598_102_340, 3);
    assertEquals(598_102_340, restarted.incarnation());
    assertEquals(3, restarted.count());
    assertEquals("n1/3@598102340", restarted.toString());
    assertNotEquals(first, restarted, "a restart never reuses its predecessor's ids");
    assertTrue(first.compareTo(restarted) < 0);
    SnapshotId last = SnapshotId.of(N1, Integer.MAX_VALUE, 0xFFFF_FFFFL);
    assertEquals(Integer.MAX_VALUE, last.incarnation());
    assertTrue(last.k() > 0);
  }

  @Test
  void outOfRangeArgumentsAreNamed() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotId.of(N1, 0, 1))
        .getMessage().contains("incarnation"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotId.of(N1, 1, 0))
        .getMessage().contains("count"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> SnapshotId.of(N1, 1, 1L << 32)).getMessage().contains("count"));
    assertThrows(IllegalArgumentException.class, () -> SnapshotId.of(null, 1, 1));
  }
}
