package dev.meridian.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlobalSnapshotTest {
  static final NodeId A = NodeId.of("a");
  static final NodeId B = NodeId.of("b");

  @Test
  void rendersReadableJsonInAFixedOrder() {
    GlobalSnapshot s = new GlobalSnapshot(new SnapshotId(B, 3), 4,
        Map.of(B, "balance=80", A, "say \"hi\"\n"),
        List.of(new GlobalSnapshot.Channel(B, A, List.of("transfer 5", "x\\y")),
            new GlobalSnapshot.Channel(A, B, List.of())));
    assertEquals("""
        {
          "id": "b/3",
          "initiator": "b",
          "k": 3,
          "view": 4,
          "states": {
            "a": "say \\"hi\\"\\n",
            "b": "balance=80"
          },
          "channels": [
            {"from": "a", "to": "b", "messages": []},
            {"from": "b", "to": "a", "messages": ["transfer 5", "x\\\\y"]}
          ]
        }""", s.toJson());
    assertEquals(List.of(A, B), s.members());
    assertEquals(List.of("transfer 5", "x\\y"), s.inFlight(B, A));
    assertEquals(List.of(), s.inFlight(A, A));
    assertEquals("\"\\u0001\"", GlobalSnapshot.quote("\u0001"));
  }

  @Test
  void refusesChannelsOutsideTheMembersAndDuplicates() {
    SnapshotId id = new SnapshotId(A, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new GlobalSnapshot(id, 1, Map.of(A, "x"),
            List.of(new GlobalSnapshot.Channel(A, B, List.of()))));
    assertTrue(e.getMessage().contains("a->b"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new GlobalSnapshot(id, 1,
        Map.of(A, "x", B, "y"), List.of(new GlobalSnapshot.Channel(A, B, List.of()),
            new GlobalSnapshot.Channel(A, B, List.of("m")))));
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new GlobalSnapshot(id, 1, Map.of(),
        List.of()));
    assertThrows(IllegalArgumentException.class, () -> new GlobalSnapshot.Channel(A, A,
        List.of()));
    assertThrows(IllegalArgumentException.class, () -> new SnapshotId(A, 0));
    assertEquals("snapshot a/1 failed: member b left it (not in view 2)",
        new SnapshotFailedException(id, B, "not in view 2").getMessage());
  }
}
