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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicatedMapTest {

  private static ReplicatedMap<String, Long> map() {
    return new ReplicatedMap<>(Codec.utf8(), Codec.int64());
  }

  private static final Codec<ReplicatedMap.Op<String, Long>> CODEC = map().opCodec();

  @Test
  void putGetRemove() {
    ReplicatedMap<String, Long> m = map();
    assertEquals(Optional.empty(), m.get("k"));
    m.apply(m.putOp("k", 1L), at("a", 1, 1));
    assertEquals(Optional.of(1L), m.get("k"));
    assertTrue(m.containsKey("k"));
    m.apply(m.putOp("k", 2L), at("a", 2, 2));
    assertEquals(Optional.of(2L), m.get("k"));
    assertEquals(Map.of(tag("a", 2), at("a", 2, 2)), m.entries("k"), "the put replaced the one it saw");
    m.apply(m.putOp("j", 3L), at("a", 3, 3));
    assertEquals(Map.of("j", 3L, "k", 2L), m.asMap());
    assertEquals(Set.of("j", "k"), m.keys());
    assertEquals(2, m.size());
    m.apply(m.removeOp("k"), at("a", 4, 4));
    assertFalse(m.containsKey("k"));
    assertEquals(Map.of("j", 3L), m.asMap());
  }

  @Test
  void aCausallyLaterPutWinsEvenWithASmallerTimestamp() {
    // Hybrid clocks make this impossible in practice; the map does not rely on it.
    ReplicatedMap<String, Long> m = map();
    m.apply(m.putOp("k", 1L), at("a", 1, 100));
    m.apply(m.putOp("k", 2L), at("b", 1, 50));
    assertEquals(Optional.of(2L), m.get("k"));
  }

  @Test
  void concurrentPutAndRemoveLeaveThePut() {
    ReplicatedMap<String, Long> a = map();
    ReplicatedMap<String, Long> b = map();
    ReplicatedMap.Put<String, Long> first = a.putOp("k", 1L);
    a.apply(first, at("a", 1, 1));
    b.apply(first, at("a", 1, 1));
    ReplicatedMap.Put<String, Long> put = a.putOp("k", 2L);
    ReplicatedMap.Remove<String, Long> remove = b.removeOp("k");
    a.apply(put, at("a", 2, 5));
    b.apply(remove, at("b", 1, 6)); // a later timestamp does not help a remove
    a.apply(remove, at("b", 1, 6));
    b.apply(put, at("a", 2, 5));
    assertEquals(Optional.of(2L), a.get("k"));
    assertEquals(Optional.of(2L), b.get("k"));
    assertEquals(a.canonicalState(), b.canonicalState());
  }

  @Test
  void concurrentPutsShowTheGreatestOriginInEitherOrder() {
    Origin early = at("z", 1, 10);
    Origin late = at("a", 1, 20);
    Origin tieLow = at("a", 2, 30);
    Origin tieHigh = at("b", 1, 30);
    for (List<Origin> order : List.of(List.of(early, late, tieLow, tieHigh),
        List.of(tieHigh, tieLow, late, early), List.of(late, tieHigh, early, tieLow))) {
      ReplicatedMap<String, Long> m = map();
      for (Origin o : order) {
        m.apply(new ReplicatedMap.Put<>("k", o.timestamp().physicalNanos() * 10 + o.node()
            .value().charAt(0), Set.of()), o);
      }
      assertEquals(Optional.of(300L + 'b'), m.get("k"), "order " + order);
      assertEquals(4, m.entries("k").size(), "concurrent puts all stay live");
    }
  }

  @Test
  void aRemoveThatSawOnlyTheWinnerUncoversTheConcurrentLoser() {
    ReplicatedMap<String, Long> m = map();
    m.apply(new ReplicatedMap.Put<>("k", 1L, Set.of()), at("a", 1, 10));
    m.apply(new ReplicatedMap.Put<>("k", 2L, Set.of()), at("b", 1, 20));
    assertEquals(Optional.of(2L), m.get("k"));
    m.apply(new ReplicatedMap.Remove<>("k", Set.of(tag("b", 1))), at("c", 1, 30));
    assertEquals(Optional.of(1L), m.get("k"));
    m.apply(new ReplicatedMap.Remove<>("k", Set.of(tag("a", 1))), at("c", 2, 40));
    assertFalse(m.containsKey("k"));
  }

  @Test
  void removeOfAnAbsentKeyNamesNoTagAndChangesNothing() {
    ReplicatedMap<String, Long> m = map();
    ReplicatedMap.Remove<String, Long> remove = m.removeOp("k");
    assertEquals(Set.of(), remove.observed());
    m.apply(remove, at("a", 1, 1));
    assertEquals(Map.of(), m.asMap());
  }

  @Test
  void readsAreCopiesAndSnapshots() {
    ReplicatedMap<byte[], byte[]> m = new ReplicatedMap<>(Codec.bytes(), Codec.bytes());
    byte[] key = {1};
    byte[] value = {2};
    m.apply(m.putOp(key, value), at("a", 1, 1));
    key[0] = 9;
    value[0] = 9;
    assertArrayEquals(new byte[] {2}, m.get(new byte[] {1}).orElseThrow());
    m.get(new byte[] {1}).orElseThrow()[0] = 7;
    assertArrayEquals(new byte[] {2}, m.get(new byte[] {1}).orElseThrow());
    Map<byte[], byte[]> snapshot = m.asMap();
    assertThrows(UnsupportedOperationException.class, snapshot::clear);
    assertThrows(UnsupportedOperationException.class, () -> m.keys().clear());
    assertThrows(UnsupportedOperationException.class, () -> m.entries(new byte[] {1}).clear());
    m.apply(m.putOp(new byte[] {3}, new byte[] {4}), at("a", 2, 2));
    assertEquals(1, snapshot.size());
  }

  @Test
  void refusesNullsNamingThem() {
    ReplicatedMap<String, Long> m = map();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ReplicatedMap<String, Long>(Codec.utf8(), null));
    assertTrue(e.getMessage().contains("codec"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> m.putOp("k", null));
    assertTrue(e.getMessage().contains("value"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> m.putOp(null, 1L));
    assertTrue(e.getMessage().contains("key"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> m.removeOp(null));
    assertThrows(IllegalArgumentException.class, () -> m.get(null));
    assertThrows(IllegalArgumentException.class, () -> m.apply(null, at("a", 1, 1)));
    assertThrows(IllegalArgumentException.class, () -> m.apply(m.putOp("k", 1L), null));
    e = assertThrows(IllegalArgumentException.class,
        () -> m.apply(new ReplicatedMap.Put<>("k", 1L, Set.of(tag("a", 1))), at("a", 1, 1)));
    assertTrue(e.getMessage().contains("supersedes its own tag"), e.getMessage());
  }

  // ---------------------------------------------------------------- codec

  @Test
  void exactBytes() {
    assertEquals("01 01 01 6b 08 00 00 00 00 00 00 00 05 01 01 61 01",
        hex(CODEC.encode(new ReplicatedMap.Put<>("k", 5L, Set.of(tag("a", 1))))));
    assertEquals("01 02 01 6b 00", hex(CODEC.encode(new ReplicatedMap.Remove<>("k", Set.of()))));
  }

  @Test
  void roundTripsAndRefusesTruncatedVersionAndTrailingBytes() {
    List<ReplicatedMap.Op<String, Long>> ops = List.of(
        new ReplicatedMap.Put<>("", Long.MIN_VALUE, Set.of()),
        new ReplicatedMap.Put<>("key", -1L, Set.of(tag("a", 1), tag("b", 1 << 20))),
        new ReplicatedMap.Remove<>("日本", Set.of(tag("x", 9))),
        new ReplicatedMap.Remove<>("k", Set.of()));
    for (ReplicatedMap.Op<String, Long> op : ops) {
      assertStrictVersioned(CODEC, assertRoundTrip(CODEC, op));
    }
  }

  @Test
  void refusesMalformedFieldsNamingThem() {
    assertDecodeFails(CODEC, hex("01 00 01 6b 00"), "unknown op kind 0 at byte 1");
    assertDecodeFails(CODEC, hex("01 01 01 6b 07 00 00 00 00 00 00 05 00"),
        "value at byte 4 does not decode", "exactly 8 bytes, got 7");
    assertDecodeFails(CODEC, hex("01 02 01 c0 00"), "key at byte 2 does not decode");
    assertDecodeFails(CODEC, hex("01 02 01 6b 02 01 61 01 01 61 01"), "sorted and unique");
    assertDecodeFails(CODEC, hex("01 02 01 6b 01 01 61 80 00"), "not minimally encoded");
  }

  @Test
  void fuzzedEncodingsAreRefusedOrCanonical() {
    assertFuzzSafe(CODEC,
        CODEC.encode(new ReplicatedMap.Put<>("k1", 77L, Set.of(tag("a", 1), tag("b", 2)))), 15,
        3_000);
    assertFuzzSafe(CODEC, CODEC.encode(new ReplicatedMap.Remove<>("k", Set.of(tag("a", 300)))),
        16, 3_000);
  }
}
