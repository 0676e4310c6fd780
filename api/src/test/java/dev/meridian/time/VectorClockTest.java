package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class VectorClockTest {

  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");

  /** A clock from entries written as {@code "a:1"}. */
  static VectorClock vc(String... entries) {
    Map<NodeId, Long> map = new LinkedHashMap<>();
    for (String e : entries) {
      int colon = e.indexOf(':');
      map.put(NodeId.of(e.substring(0, colon)), Long.parseLong(e.substring(colon + 1)));
    }
    return VectorClock.of(map);
  }

  // ---------------------------------------------------------------- construction, accessors

  @Test
  void emptyHasNoEntries() {
    assertEquals(0, VectorClock.EMPTY.size());
    assertEquals(0, VectorClock.EMPTY.get(A));
    assertTrue(VectorClock.EMPTY.entries().isEmpty());
    assertEquals("[]", VectorClock.EMPTY.toString());
  }

  @Test
  void ofSortsEntriesByNodeId() {
    Map<NodeId, Long> map = new LinkedHashMap<>();
    map.put(C, 3L);
    map.put(A, 1L);
    map.put(B, 2L);
    VectorClock clock = VectorClock.of(map);
    assertEquals("[a:1, b:2, c:3]", clock.toString());
    assertEquals(List.of(A, B, C), List.copyOf(clock.entries().keySet()));
    assertEquals(3, clock.size());
    assertEquals(2, clock.get(B));
  }

  @Test
  void ofCopiesTheMap() {
    Map<NodeId, Long> map = new HashMap<>();
    map.put(A, 1L);
    VectorClock clock = VectorClock.of(map);
    map.put(A, 99L);
    map.put(B, 5L);
    assertEquals(1, clock.get(A));
    assertEquals(0, clock.get(B));
    assertEquals(1, clock.size());
  }

  @Test
  void ofRejectsNullMap() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorClock.of(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void ofRejectsNullKey() {
    Map<NodeId, Long> map = new HashMap<>();
    map.put(A, 1L);
    map.put(null, 2L);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorClock.of(map));
    assertTrue(e.getMessage().contains("null node id"), e.getMessage());
  }

  @Test
  void ofRejectsNullValueNamingTheNode() {
    Map<NodeId, Long> map = new HashMap<>();
    map.put(NodeId.of("node-7"), null);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorClock.of(map));
    assertTrue(e.getMessage().contains("node-7"), e.getMessage());
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void ofRejectsNegativeValueNamingTheNodeAndValue() {
    Map<NodeId, Long> map = new HashMap<>();
    map.put(A, 1L);
    map.put(NodeId.of("node-9"), -4L);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorClock.of(map));
    assertTrue(e.getMessage().contains("node-9"), e.getMessage());
    assertTrue(e.getMessage().contains("-4"), e.getMessage());
  }

  @Test
  void ofAcceptsZeroAndMaxCounters() {
    VectorClock clock = vc("a:0", "b:" + Long.MAX_VALUE);
    assertEquals(0, clock.get(A));
    assertEquals(Long.MAX_VALUE, clock.get(B));
    assertEquals(2, clock.size());
  }

  @Test
  void zeroHasExplicitZeroEntriesAndEqualsEmpty() {
    VectorClock zero = VectorClock.zero(List.of(B, A, C, A));
    assertEquals("[a:0, b:0, c:0]", zero.toString());
    assertEquals(3, zero.size());
    assertEquals(VectorClock.EMPTY, zero);
    assertEquals(zero, VectorClock.EMPTY);
    assertEquals(VectorClock.EMPTY.hashCode(), zero.hashCode());
    assertEquals(Causality.EQUAL, zero.compare(VectorClock.EMPTY));
    assertEquals("[]", VectorClock.zero(List.of()).toString());
  }

  @Test
  void zeroRejectsNullCollectionAndNullMember() {
    assertThrows(IllegalArgumentException.class, () -> VectorClock.zero(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VectorClock.zero(Arrays.asList(A, null)));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void entriesAreSortedIncludeZerosAndAreUnmodifiable() {
    VectorClock clock = vc("b:0", "a:1");
    SortedMap<NodeId, Long> entries = clock.entries();
    assertEquals(new TreeMap<>(Map.of(A, 1L, B, 0L)), entries);
    assertEquals(A, entries.firstKey());
    assertThrows(UnsupportedOperationException.class, () -> entries.put(C, 1L));
    assertThrows(UnsupportedOperationException.class, () -> entries.remove(A));
    assertThrows(UnsupportedOperationException.class, entries::clear);
    assertThrows(UnsupportedOperationException.class,
        () -> entries.entrySet().iterator().next().setValue(7L));
    assertThrows(UnsupportedOperationException.class, () -> entries.headMap(B).clear());
    assertEquals("[a:1, b:0]", clock.toString(), "clock unchanged");
  }

  @Test
  void toStringIsExact() {
    assertEquals("[a:1, b:0]", vc("a:1", "b:0").toString());
    assertEquals("[a:1]", vc("a:1").toString());
    assertEquals("[eu-west.db-3:12, n1:" + Long.MAX_VALUE + "]",
        vc("n1:" + Long.MAX_VALUE, "eu-west.db-3:12").toString());
  }

  // ---------------------------------------------------------------- increment

  @Test
  void incrementAddsAMissingEntryAtOne() {
    VectorClock clock = VectorClock.EMPTY.increment(B);
    assertEquals("[b:1]", clock.toString());
    clock = clock.increment(A);
    assertEquals("[a:1, b:1]", clock.toString());
    clock = clock.increment(C);
    assertEquals("[a:1, b:1, c:1]", clock.toString());
    clock = clock.increment(NodeId.of("bb"));
    assertEquals("[a:1, b:1, bb:1, c:1]", clock.toString());
  }

  @Test
  void incrementBumpsAnExistingEntryAndLeavesTheOriginalUnchanged() {
    VectorClock before = vc("a:1", "b:0", "c:5");
    VectorClock after = before.increment(B).increment(B).increment(C);
    assertEquals("[a:1, b:2, c:6]", after.toString());
    assertEquals("[a:1, b:0, c:5]", before.toString());
    assertEquals(Causality.BEFORE, before.compare(after));
  }

  @Test
  void incrementRejectsNull() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorClock.EMPTY.increment(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void incrementOverflowThrowsNamingNode() {
    VectorClock max = vc("a:" + Long.MAX_VALUE);
    ArithmeticException e = assertThrows(ArithmeticException.class, () -> max.increment(A));
    assertTrue(e.getMessage().contains("a"), e.getMessage());
    assertEquals(Long.MAX_VALUE, max.get(A));
  }

  // ---------------------------------------------------------------- merge

  @Test
  void mergeIsPointwiseMax() {
    VectorClock x = vc("a:3", "b:1", "c:7");
    VectorClock y = vc("a:2", "b:4", "c:7");
    assertEquals("[a:3, b:4, c:7]", x.merge(y).toString());
    assertEquals("[a:3, b:4, c:7]", y.merge(x).toString());
  }

  @Test
  void mergeKeepsTheUnionOfKeys() {
    VectorClock x = vc("a:3", "c:1");
    VectorClock y = vc("b:2", "c:4", "d:0");
    assertEquals("[a:3, b:2, c:4, d:0]", x.merge(y).toString());
    assertEquals("[a:3, b:2, c:4, d:0]", y.merge(x).toString());
  }

  @Test
  void mergeOfDisjointKeys() {
    VectorClock x = vc("a:1", "c:3");
    VectorClock y = vc("b:2", "d:4");
    VectorClock m = x.merge(y);
    assertEquals("[a:1, b:2, c:3, d:4]", m.toString());
    assertEquals(4, m.size());
    assertEquals(Causality.AFTER, m.compare(x));
    assertEquals(Causality.AFTER, m.compare(y));
  }

  @Test
  void mergeWhereAllOfOneSideComesFirst() {
    assertEquals("[a:1, b:2, y:3, z:4]", vc("y:3", "z:4").merge(vc("a:1", "b:2")).toString());
    assertEquals("[a:1, b:2, y:3, z:4]", vc("a:1", "b:2").merge(vc("y:3", "z:4")).toString());
  }

  @Test
  void mergeWhereOneSideCoversTheOther() {
    VectorClock big = vc("a:1", "b:5", "c:2");
    VectorClock small = vc("b:9");
    assertEquals("[a:1, b:9, c:2]", big.merge(small).toString());
    assertEquals("[a:1, b:9, c:2]", small.merge(big).toString());
  }

  @Test
  void mergeWithIdenticalKeyArrays() {
    // Clocks derived from one clock by increment share its key array: the fast path.
    VectorClock base = VectorClock.zero(List.of(A, B, C));
    VectorClock x = base.increment(A).increment(A).increment(C);
    VectorClock y = base.increment(B).increment(C).increment(C).increment(C);
    assertEquals("[a:2, b:0, c:1]", x.toString());
    assertEquals("[a:0, b:1, c:3]", y.toString());
    assertEquals("[a:2, b:1, c:3]", x.merge(y).toString());
    assertEquals("[a:2, b:1, c:3]", y.merge(x).toString());
    assertEquals(Causality.CONCURRENT, x.compare(y));
  }

  @Test
  void mergeFastPathAndGeneralPathAgree() {
    VectorClock base = VectorClock.zero(List.of(A, B, C));
    VectorClock x = base.increment(A).increment(B);
    VectorClock y = base.increment(C).increment(B).increment(B);
    // y2 has the same entries as y but its own key array.
    VectorClock y2 = vc(y.entries().entrySet().stream()
        .map(e -> e.getKey() + ":" + e.getValue()).toArray(String[]::new));
    assertEquals(x.merge(y).toString(), x.merge(y2).toString());
    assertEquals(x.merge(y).entries(), x.merge(y2).entries());
    assertEquals(x.compare(y), x.compare(y2));
  }

  @Test
  void mergeWithSelfAndEmpty() {
    VectorClock x = vc("a:1", "b:0");
    assertEquals("[a:1, b:0]", x.merge(x).toString());
    assertEquals("[a:1, b:0]", x.merge(VectorClock.EMPTY).toString());
    assertEquals("[a:1, b:0]", VectorClock.EMPTY.merge(x).toString());
    assertEquals("[]", VectorClock.EMPTY.merge(VectorClock.EMPTY).toString());
  }

  @Test
  void mergeDoesNotChangeItsInputs() {
    VectorClock x = vc("a:1", "b:5");
    VectorClock y = vc("a:4", "c:2");
    x.merge(y);
    y.merge(x);
    assertEquals("[a:1, b:5]", x.toString());
    assertEquals("[a:4, c:2]", y.toString());
  }

  @Test
  void mergedClockCanBeIncrementedIndependently() {
    // merge may reuse a key array; later increments must not leak into the other clock.
    VectorClock x = vc("a:1", "b:1", "c:1");
    VectorClock y = vc("b:3");
    VectorClock m = x.merge(y);
    VectorClock m2 = m.increment(A).increment(NodeId.of("d"));
    assertEquals("[a:1, b:3, c:1]", m.toString());
    assertEquals("[a:1, b:1, c:1]", x.toString());
    assertEquals("[a:2, b:3, c:1, d:1]", m2.toString());
  }

  @Test
  void mergeRejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> VectorClock.EMPTY.merge(null));
  }

  @Test
  void mergeIsTheLeastUpperBound() {
    VectorClock x = vc("a:3", "b:1");
    VectorClock y = vc("b:2", "c:1");
    VectorClock m = x.merge(y);
    assertTrue(x.happensBefore(m));
    assertTrue(y.happensBefore(m));
    assertEquals(m, y.merge(x));
    assertEquals(m, m.merge(x));
  }

  // ---------------------------------------------------------------- compare

  @Test
  void compareEqual() {
    assertEquals(Causality.EQUAL, vc("a:1", "b:2").compare(vc("b:2", "a:1")));
    assertEquals(Causality.EQUAL, VectorClock.EMPTY.compare(VectorClock.EMPTY));
  }

  @Test
  void compareBeforeAndAfter() {
    VectorClock x = vc("a:1", "b:2");
    VectorClock y = vc("a:1", "b:3");
    assertEquals(Causality.BEFORE, x.compare(y));
    assertEquals(Causality.AFTER, y.compare(x));
    assertTrue(x.happensBefore(y));
    assertFalse(y.happensBefore(x));
    assertFalse(x.concurrentWith(y));
  }

  @Test
  void compareConcurrent() {
    VectorClock x = vc("a:2", "b:1");
    VectorClock y = vc("a:1", "b:2");
    assertEquals(Causality.CONCURRENT, x.compare(y));
    assertEquals(Causality.CONCURRENT, y.compare(x));
    assertTrue(x.concurrentWith(y));
    assertTrue(y.concurrentWith(x));
    assertFalse(x.happensBefore(y));
    assertFalse(y.happensBefore(x));
  }

  @Test
  void absentKeyCountsAsZero() {
    assertEquals(Causality.EQUAL, vc("a:1").compare(vc("a:1", "b:0")));
    assertEquals(Causality.EQUAL, vc("a:1", "b:0").compare(vc("a:1")));
    assertEquals(Causality.EQUAL, vc("a:0").compare(VectorClock.EMPTY));
    assertEquals(Causality.EQUAL, vc("b:0", "c:0").compare(vc("a:0")));
  }

  @Test
  void absentKeyOnOneSideMakesItBefore() {
    // [a:1] vs [a:1, b:1]: b is 0 on the left.
    assertEquals(Causality.BEFORE, vc("a:1").compare(vc("a:1", "b:1")));
    assertEquals(Causality.AFTER, vc("a:1", "b:1").compare(vc("a:1")));
    assertEquals(Causality.BEFORE, VectorClock.EMPTY.compare(vc("z:1")));
    assertEquals(Causality.AFTER, vc("z:1").compare(VectorClock.EMPTY));
    // Absent key first in order on either side.
    assertEquals(Causality.BEFORE, vc("b:1").compare(vc("a:1", "b:1")));
    assertEquals(Causality.AFTER, vc("a:1", "b:1").compare(vc("b:1")));
  }

  @Test
  void disjointNonZeroKeysAreConcurrent() {
    assertEquals(Causality.CONCURRENT, vc("a:1").compare(vc("b:1")));
    assertEquals(Causality.CONCURRENT, vc("b:1").compare(vc("a:1")));
    assertEquals(Causality.CONCURRENT, vc("a:1", "c:0").compare(vc("b:1", "c:0")));
  }

  @Test
  void concurrencyFoundOnlyInTheTail() {
    // The difference that makes it concurrent is in a key present on one side only, at the end.
    assertEquals(Causality.BEFORE, vc("a:2", "b:1").compare(vc("a:3", "b:1", "z:0")));
    assertEquals(Causality.CONCURRENT, vc("a:3", "b:1", "z:1").compare(vc("a:4", "b:1")));
    assertEquals(Causality.CONCURRENT, vc("a:4", "b:1").compare(vc("a:3", "b:1", "z:1")));
  }

  @Test
  void compareWithSharedKeyArray() {
    VectorClock base = VectorClock.zero(List.of(A, B));
    VectorClock x = base.increment(A);
    VectorClock y = x.increment(B);
    VectorClock z = base.increment(B).increment(B);
    assertEquals(Causality.BEFORE, base.compare(x));
    assertEquals(Causality.BEFORE, x.compare(y));
    assertEquals(Causality.CONCURRENT, y.compare(z)); // [a:1, b:1] vs [a:0, b:2]
    assertEquals(Causality.AFTER, y.compare(base.increment(B)));
    assertEquals(Causality.CONCURRENT, x.compare(z));
    assertEquals(Causality.EQUAL, y.compare(x.increment(B)));
  }

  @Test
  void compareRejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> VectorClock.EMPTY.compare(null));
    assertThrows(IllegalArgumentException.class, () -> VectorClock.EMPTY.happensBefore(null));
    assertThrows(IllegalArgumentException.class, () -> VectorClock.EMPTY.concurrentWith(null));
  }

  @Test
  void messagePassingScenarioGivesHappensBefore() {
    // p sends to q after an event; q's receive happens after p's send, and a later event of p
    // (without a message back) is concurrent with q's receive.
    VectorClock p = VectorClock.EMPTY.increment(A); // local event
    VectorClock send = p.increment(A); // send
    VectorClock q = VectorClock.EMPTY.increment(B); // q's own event
    VectorClock receive = q.merge(send).increment(B);
    VectorClock pLater = send.increment(A);
    assertEquals("[a:2, b:2]", receive.toString());
    assertTrue(p.happensBefore(send));
    assertTrue(send.happensBefore(receive));
    assertTrue(q.happensBefore(receive));
    assertTrue(pLater.concurrentWith(receive));
    assertTrue(q.concurrentWith(send));
  }

  // ---------------------------------------------------------------- equals / hashCode

  @Test
  void equalsCountsAbsentAsZeroAndHashCodeAgrees() {
    VectorClock x = vc("a:1");
    VectorClock y = vc("a:1", "b:0");
    VectorClock z = vc("a:1", "b:0", "c:0", "d:0");
    assertEquals(x, y);
    assertEquals(y, x);
    assertEquals(y, z);
    assertEquals(x.hashCode(), y.hashCode());
    assertEquals(x.hashCode(), z.hashCode());
    // Equal clocks from different construction routes.
    VectorClock viaIncrement = VectorClock.zero(List.of(A, B, C)).increment(A);
    assertEquals(x, viaIncrement);
    assertEquals(x.hashCode(), viaIncrement.hashCode());
  }

  @Test
  void unequalClocks() {
    assertNotEquals(vc("a:1"), vc("a:2"));
    assertNotEquals(vc("a:1"), vc("b:1"));
    assertNotEquals(vc("a:1"), vc("a:1", "b:1"));
    assertNotEquals(vc("a:1"), "[a:1]");
    assertNotEquals(vc("a:1"), null);
  }

  @Test
  void equalClocksWorkAsHashKeys() {
    Map<VectorClock, String> map = new HashMap<>();
    map.put(vc("a:1", "b:0"), "x");
    assertEquals("x", map.get(vc("a:1")));
    assertEquals("x", map.get(vc("c:0", "a:1")));
  }

  @Test
  void hashCodeDependsOnWhichNodeHasWhichCount() {
    // Not required by the contract, but a hash that ignores node ids would be useless.
    assertNotEquals(vc("a:1", "b:2").hashCode(), vc("a:2", "b:1").hashCode());
  }

  @Test
  void getReturnsZeroForAbsentNodes() {
    VectorClock clock = vc("b:4");
    assertEquals(4, clock.get(B));
    assertEquals(0, clock.get(A));
    assertEquals(0, clock.get(C));
  }

  @Test
  void sameInstanceIsEqualToItself() {
    VectorClock x = vc("a:1");
    assertEquals(x, x);
    assertSame(Causality.EQUAL, x.compare(x));
  }
}
