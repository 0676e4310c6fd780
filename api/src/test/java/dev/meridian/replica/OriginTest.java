package dev.meridian.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.time.HybridTimestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OriginTest {

  static Origin origin(String node, long sequence, long physical, long logical) {
    return new Origin(NodeId.of(node), sequence, new HybridTimestamp(physical, logical));
  }

  @Test
  void validatesNamingTheBadValue() {
    HybridTimestamp ts = new HybridTimestamp(5, 0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Origin(null, 1, ts));
    assertTrue(e.getMessage().contains("node"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Origin(NodeId.of("a"), 0, ts));
    assertTrue(e.getMessage().contains("sequence number must be >= 1, got 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Origin(NodeId.of("a"), -7, ts));
    assertTrue(e.getMessage().contains("-7"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Origin(NodeId.of("a"), 1, null));
    assertTrue(e.getMessage().contains("timestamp"), e.getMessage());
  }

  @Test
  void lwwOrderIsTimestampFirst() {
    Origin early = origin("z", 9, 100, 5);
    Origin late = origin("a", 1, 101, 0);
    assertTrue(late.isAfter(early));
    assertFalse(early.isAfter(late));
    Origin sameL = origin("a", 1, 100, 6);
    assertTrue(sameL.isAfter(early), "logical part orders within one physical value");
  }

  @Test
  void equalTimestampsAreBrokenByNodeId() {
    Origin a = origin("a", 1, 100, 0);
    Origin b = origin("b", 1, 100, 0);
    assertTrue(b.isAfter(a));
    assertFalse(a.isAfter(b));
  }

  @Test
  void sequenceIsTheLastTieBreakSoTheOrderIsConsistentWithEquals() {
    Origin first = origin("a", 1, 100, 0);
    Origin second = origin("a", 2, 100, 0);
    assertTrue(second.isAfter(first));
    assertEquals(0, Origin.LWW_ORDER.compare(first, origin("a", 1, 100, 0)));
    assertFalse(first.isAfter(first));
  }

  @Test
  void lwwOrderIsATotalOrderOnRandomOrigins() {
    long seed = 0x0_121_6111L;
    SplittableRandom random = new SplittableRandom(seed);
    List<Origin> origins = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      origins.add(origin("n" + random.nextInt(3), 1 + random.nextInt(3), random.nextInt(3),
          random.nextInt(2)));
    }
    for (Origin x : origins) {
      for (Origin y : origins) {
        int c = Origin.LWW_ORDER.compare(x, y);
        assertEquals(-Integer.signum(c), Integer.signum(Origin.LWW_ORDER.compare(y, x)),
            "seed=" + seed + " antisymmetry " + x + " " + y);
        assertEquals(c == 0, x.equals(y), "seed=" + seed + " consistent with equals " + x + " " + y);
        assertEquals(c > 0, x.isAfter(y), "seed=" + seed + " isAfter " + x + " " + y);
      }
    }
    List<Origin> sorted = new ArrayList<>(origins);
    Collections.shuffle(sorted, new java.util.Random(seed));
    sorted.sort(Origin.LWW_ORDER);
    for (int i = 1; i < sorted.size(); i++) {
      assertFalse(sorted.get(i - 1).isAfter(sorted.get(i)), "seed=" + seed + " sorted at " + i);
    }
  }

  @Test
  void isAfterRefusesNull() {
    assertThrows(IllegalArgumentException.class, () -> origin("a", 1, 1, 1).isAfter(null));
  }
}
