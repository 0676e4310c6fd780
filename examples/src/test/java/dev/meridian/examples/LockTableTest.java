package dev.meridian.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LockTableTest {
  private final LockTable table = new LockTable();
  private final NodeId origin = NodeId.of("a");

  @Test
  void grantsFreeLocksRefusesHeldOnesAndReleasesOnlyTheOwners() {
    TreeMap<String, String> locks = table.initialState();
    assertTrue(table.apply(locks, LockTable.Op.acquire("printer", "alice"), origin));
    assertFalse(table.apply(locks, LockTable.Op.acquire("printer", "bob"), origin));
    assertTrue(table.apply(locks, LockTable.Op.acquire("printer", "alice"), origin), "re-entrant");
    assertFalse(table.apply(locks, LockTable.Op.release("printer", "bob"), origin));
    assertTrue(table.apply(locks, LockTable.Op.release("printer", "alice"), origin));
    assertTrue(table.apply(locks, LockTable.Op.acquire("printer", "bob"), origin));
    assertEquals(new TreeMap<>(java.util.Map.of("printer", "bob")), locks);
  }

  @Test
  void opsAndStatesRoundTripAndGarbageIsRefusedByName() {
    LockTable.Op op = LockTable.Op.release("disk=0".replace("=", "-"), "carol");
    assertEquals(op, table.opCodec().decode(table.opCodec().encode(op)));
    TreeMap<String, String> locks = new TreeMap<>(java.util.Map.of("a", "x", "b", "y=z"));
    assertEquals(locks, table.stateCodec().decode(table.stateCodec().encode(locks)));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> table.opCodec()
        .decode("Xjunk".getBytes(StandardCharsets.UTF_8))).getMessage()
        .contains("not a lock-table op"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> table.stateCodec()
        .decode("nokey\n".getBytes(StandardCharsets.UTF_8))).getMessage()
        .contains("not a lock-table line"));
    assertThrows(IllegalArgumentException.class, () -> LockTable.Op.acquire("", "alice"));
  }
}
