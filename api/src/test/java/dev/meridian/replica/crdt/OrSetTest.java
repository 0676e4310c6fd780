package dev.meridian.replica.crdt;

import static dev.meridian.replica.CodecAssertions.assertDecodeFails;
import static dev.meridian.replica.CodecAssertions.assertFuzzSafe;
import static dev.meridian.replica.CodecAssertions.assertRoundTrip;
import static dev.meridian.replica.CodecAssertions.assertStrictVersioned;
import static dev.meridian.replica.CodecAssertions.hex;
import static dev.meridian.replica.crdt.Origins.at;
import static dev.meridian.replica.crdt.Origins.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrSetTest {

  private static OrSet<String> set() {
    return new OrSet<>(Codec.utf8());
  }

  private static final Codec<OrSet.Op<String>> CODEC = set().opCodec();

  @Test
  void addThenContains() {
    OrSet<String> s = set();
    assertFalse(s.contains("x"));
    s.apply(s.addOp("x"), at("a", 1, 1));
    assertTrue(s.contains("x"));
    assertEquals(Set.of("x"), s.elements());
    assertEquals(1, s.size());
    assertEquals(Set.of(tag("a", 1)), s.tags("x"));
  }

  @Test
  void removeAfterAnObservedAddLeavesItAbsentEverywhere() {
    OrSet<String> a = set();
    OrSet<String> b = set();
    OrSet.Add<String> add = a.addOp("x");
    Origin addOrigin = at("a", 1, 1);
    a.apply(add, addOrigin);
    b.apply(add, addOrigin);
    OrSet.Remove<String> remove = b.removeOp("x"); // b has seen the add
    assertEquals(Set.of(tag("a", 1)), remove.observed());
    Origin removeOrigin = at("b", 1, 2);
    b.apply(remove, removeOrigin);
    a.apply(remove, removeOrigin);
    assertFalse(a.contains("x"));
    assertFalse(b.contains("x"));
    assertEquals(0, a.size());
  }

  /** The headline property: of a concurrent add and remove of x, the add wins at every replica. */
  @Test
  void concurrentAddAndRemoveOfTheSameElementLeavesItPresent() {
    OrSet<String> a = set();
    OrSet<String> b = set();
    // Both start with x added once (tag a/1).
    OrSet.Add<String> first = a.addOp("x");
    a.apply(first, at("a", 1, 1));
    b.apply(first, at("a", 1, 1));
    // Concurrently: a adds x again, b removes x (b has seen only a/1).
    OrSet.Add<String> again = a.addOp("x");
    OrSet.Remove<String> remove = b.removeOp("x");
    a.apply(again, at("a", 2, 5));
    b.apply(remove, at("b", 1, 5));
    // Each then applies the other's op: opposite orders.
    a.apply(remove, at("b", 1, 5));
    b.apply(again, at("a", 2, 5));
    assertTrue(a.contains("x"));
    assertTrue(b.contains("x"));
    assertEquals(Set.of(tag("a", 2)), a.tags("x"));
    assertEquals(a.canonicalState(), b.canonicalState());
  }

  @Test
  void concurrentAddAndRemoveOfAFreshElementLeavesItPresent() {
    OrSet<String> a = set();
    OrSet<String> b = set();
    OrSet.Add<String> add = a.addOp("x");
    OrSet.Remove<String> remove = b.removeOp("x"); // b has not seen x: removes nothing
    assertEquals(Set.of(), remove.observed());
    a.apply(add, at("a", 1, 1));
    b.apply(remove, at("b", 1, 1));
    a.apply(remove, at("b", 1, 1));
    b.apply(add, at("a", 1, 1));
    assertTrue(a.contains("x"));
    assertTrue(b.contains("x"));
  }

  @Test
  void aRemoveKillsOnlyTheTagsItObserved() {
    OrSet<String> s = set();
    s.apply(new OrSet.Add<>("x"), at("a", 1, 1));
    s.apply(new OrSet.Add<>("x"), at("b", 1, 1)); // concurrent adds: two tags
    assertEquals(Set.of(tag("a", 1), tag("b", 1)), s.tags("x"));
    s.apply(new OrSet.Remove<>("x", Set.of(tag("a", 1))), at("c", 1, 2));
    assertTrue(s.contains("x"));
    assertEquals(Set.of(tag("b", 1)), s.tags("x"));
    s.apply(new OrSet.Remove<>("x", Set.of(tag("b", 1))), at("c", 2, 3));
    assertFalse(s.contains("x"));
  }

  @Test
  void reAddingAPresentElementKeepsOneTag() {
    OrSet<String> s = set();
    for (int i = 1; i <= 50; i++) {
      s.apply(s.addOp("x"), at("a", i, i));
    }
    assertEquals(Set.of(tag("a", 50)), s.tags("x"));
  }

  @Test
  void removeOfAnAbsentElementNamesNoTagAndChangesNothing() {
    OrSet<String> s = set();
    s.apply(s.addOp("y"), at("a", 1, 1));
    OrSet.Remove<String> remove = s.removeOp("x");
    assertEquals(Set.of(), remove.observed());
    s.apply(remove, at("a", 2, 2));
    assertEquals(Set.of("y"), s.elements());
  }

  @Test
  void elementsAreIdentifiedByTheirEncodingSoByteArraysWork() {
    OrSet<byte[]> s = new OrSet<>(Codec.bytes());
    byte[] element = {1, 2};
    s.apply(s.addOp(element), at("a", 1, 1));
    assertTrue(s.contains(new byte[] {1, 2}), "a different array with the same contents");
    s.apply(s.removeOp(new byte[] {1, 2}), at("a", 2, 2));
    assertFalse(s.contains(element));
  }

  @Test
  void readsAreCopiesAndSnapshots() {
    OrSet<byte[]> s = new OrSet<>(Codec.bytes());
    byte[] element = {1, 2};
    s.apply(s.addOp(element), at("a", 1, 1));
    element[0] = 9;
    assertTrue(s.contains(new byte[] {1, 2}), "state must not alias the caller's array");
    Set<byte[]> snapshot = s.elements();
    snapshot.iterator().next()[0] = 9;
    assertArrayEquals(new byte[] {1, 2}, s.elements().iterator().next());
    assertThrows(UnsupportedOperationException.class, () -> snapshot.add(new byte[0]));
    s.apply(s.addOp(new byte[] {3}), at("a", 2, 2));
    assertEquals(1, snapshot.size(), "a snapshot does not follow later changes");
    assertThrows(UnsupportedOperationException.class, () -> s.tags(new byte[] {3}).clear());
  }

  @Test
  void iterationFollowsTheUnsignedOrderOfEncodings() {
    OrSet<String> s = set();
    int seq = 0;
    for (String e : List.of("é", "b", "", "a", "ab")) {
      s.apply(s.addOp(e), at("a", ++seq, seq));
    }
    assertEquals(List.of("", "a", "ab", "b", "é"), List.copyOf(s.elements()));
  }

  @Test
  void opsCopyTheirTagSets() {
    Set<Tag> tags = new HashSet<>(Set.of(tag("a", 1)));
    OrSet.Remove<String> remove = new OrSet.Remove<>("x", tags);
    tags.add(tag("b", 1));
    assertEquals(Set.of(tag("a", 1)), remove.observed());
    assertThrows(UnsupportedOperationException.class, () -> remove.observed().clear());
  }

  @Test
  void refusesNullsAndAnAddSupersedingItself() {
    OrSet<String> s = set();
    assertThrows(IllegalArgumentException.class, () -> new OrSet<String>(null));
    assertThrows(IllegalArgumentException.class, () -> s.addOp(null));
    assertThrows(IllegalArgumentException.class, () -> s.removeOp(null));
    assertThrows(IllegalArgumentException.class, () -> s.contains(null));
    assertThrows(IllegalArgumentException.class, () -> new OrSet.Remove<>("x", null));
    Set<Tag> withNull = new HashSet<>();
    withNull.add(null);
    assertThrows(IllegalArgumentException.class, () -> new OrSet.Add<>("x", withNull));
    assertThrows(IllegalArgumentException.class, () -> s.apply(null, at("a", 1, 1)));
    assertThrows(IllegalArgumentException.class, () -> s.apply(new OrSet.Add<>("x"), null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.apply(new OrSet.Add<>("x", Set.of(tag("a", 1))), at("a", 1, 1)));
    assertTrue(e.getMessage().contains("supersedes its own tag a/1"), e.getMessage());
  }

  // ---------------------------------------------------------------- codec

  @Test
  void exactBytes() {
    assertEquals("01 01 01 78 00", hex(CODEC.encode(new OrSet.Add<>("x"))));
    assertEquals("01 02 01 78 02 01 61 03 02 6e 32 01",
        hex(CODEC.encode(new OrSet.Remove<>("x", Set.of(tag("n2", 1), tag("a", 3))))));
  }

  @Test
  void roundTripsAndRefusesTruncatedVersionAndTrailingBytes() {
    List<OrSet.Op<String>> ops = List.of(
        new OrSet.Add<>(""),
        new OrSet.Add<>("x", Set.of(tag("a", 1), tag("a", 2), tag("b#2", Long.MAX_VALUE))),
        new OrSet.Remove<>("héllo", Set.of()),
        new OrSet.Remove<>("x", Set.of(tag("node-1", 300), tag("node-2", 1))));
    for (OrSet.Op<String> op : ops) {
      assertStrictVersioned(CODEC, assertRoundTrip(CODEC, op));
    }
  }

  @Test
  void refusesMalformedFieldsNamingThem() {
    assertDecodeFails(CODEC, hex("01 03 01 78 00"), "unknown op kind 3 at byte 1");
    assertDecodeFails(CODEC, hex("01 02 01 78 02 01 61 01 01 61 01"), "tag 1 of observed tags",
        "sorted and unique");
    assertDecodeFails(CODEC, hex("01 02 01 78 02 01 62 01 01 61 01"), "not after b/1");
    assertDecodeFails(CODEC, hex("01 02 01 78 01 01 61 00"), "sequence number of tag 0",
        "must be in [1, ");
    assertDecodeFails(CODEC, hex("01 02 01 78 01 01 3a 01"), "tag 0 of observed tags", "':'");
    assertDecodeFails(CODEC, hex("01 02 01 78 01 01 e9 01"), "non-ASCII byte 0xe9");
    assertDecodeFails(CODEC, hex("01 02 01 78 01 00 01 00"), "node id must be 1..64 characters");
    assertDecodeFails(CODEC, hex("01 02 01 78 7f 01 61 01"), "claims 127 tags");
    assertDecodeFails(CODEC, hex("01 01 01 ff 00"), "element at byte 2 does not decode",
        "malformed UTF-8");
  }

  @Test
  void fuzzedEncodingsAreRefusedOrCanonical() {
    byte[] valid = CODEC.encode(new OrSet.Remove<>("xy", Set.of(tag("a", 1), tag("b", 200))));
    assertFuzzSafe(CODEC, valid, 13, 3_000);
    assertFuzzSafe(CODEC, CODEC.encode(new OrSet.Add<>("é", Set.of(tag("n", 5)))), 14, 3_000);
  }
}
