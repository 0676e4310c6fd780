package dev.meridian.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ViewTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");
  private static final NodeId D = NodeId.of("d");

  @Test
  void theOldestMemberCoordinatesAndTheNextViewKeepsAgeOrder() {
    View v1 = View.initial(List.of(A, B, C));
    assertEquals(A, v1.coordinator());
    View v2 = v1.next(Set.of(A), List.of(D));
    assertEquals(new View(2, List.of(B, C, D)), v2);
    assertEquals(B, v2.coordinator(), "the next oldest takes over");
    assertEquals("View#2[b, c, d]", v2.toString());
  }

  @Test
  void onlyAStrictMajorityOfTheViewIsPrimary() {
    View four = new View(7, List.of(A, B, C, D));
    assertFalse(four.isMajorityOf(Set.of(A, B)), "half is not a majority: no split brain");
    assertTrue(four.isMajorityOf(Set.of(A, B, C)));
    assertTrue(four.isMajorityOf(Set.of(B, C, D, NodeId.of("x"))), "outsiders do not count");
    assertFalse(four.isMajorityOf(Set.of(NodeId.of("x"), NodeId.of("y"), NodeId.of("z"))));
  }

  @Test
  void malformedViewsAreRefusedNamingWhy() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new View(0, List.of(A)))
        .getMessage().contains("view id must be >= 1"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new View(1, List.of()))
        .getMessage().contains("at least one member"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new View(3, List.of(A, B, A)))
        .getMessage().contains("view 3 lists a member twice"));
    View v = View.initial(List.of(A, B));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> v.next(Set.of(), List.of(B)))
        .getMessage().contains("b joins view 2 but is already a member of view 1"));
    assertThrows(IllegalArgumentException.class, () -> v.next(Set.of(A, B), List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new ViewChange(v, List.of(), Set.of(), Set.of(A)));
  }
}
