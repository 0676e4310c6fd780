package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VectorClockEncodingTest {

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private static String hex(byte[] b) {
    return HexFormat.ofDelimiter(" ").formatHex(b);
  }

  private static IllegalArgumentException decodeFails(byte[] bytes) {
    return assertThrows(IllegalArgumentException.class, () -> VectorClock.decode(bytes),
        () -> "decode should have failed for " + hex(bytes));
  }

  private static void assertMessageContains(IllegalArgumentException e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part),
          "message should contain \"" + part + "\": " + e.getMessage());
    }
  }

  /** A clock with {@code members} nodes; counters spread over all varint lengths. */
  private static VectorClock clockOf(int members, boolean largeCounters) {
    TreeMap<NodeId, Long> map = new TreeMap<>();
    for (int i = 0; i < members; i++) {
      long counter = largeCounters ? Long.MAX_VALUE - i * 1_000_003L : (i * 37L) % 300;
      map.put(NodeId.of("node-" + i), counter);
    }
    return VectorClock.of(map);
  }

  private static void assertRoundTrip(VectorClock clock) {
    byte[] bytes = clock.encode();
    VectorClock decoded = VectorClock.decode(bytes);
    assertEquals(clock, decoded);
    assertEquals(clock.entries(), decoded.entries(), "explicit zeros must survive");
    assertEquals(clock.toString(), decoded.toString());
    assertEquals(clock.size(), decoded.size());
    assertArrayEquals(bytes, decoded.encode(), "re-encoding must give the same bytes");
  }

  // ---------------------------------------------------------------- exact bytes

  @Test
  void exactBytesOfSmallExample() {
    VectorClock clock = VectorClockTest.vc("a:1", "b:0");
    byte[] bytes = clock.encode();
    assertEquals("01 02 01 61 01 01 62 00", hex(bytes));
    assertEquals(8, bytes.length, "documented size of [a:1, b:0]");
    assertEquals("[a:1, b:0]", VectorClock.decode(bytes).toString());
  }

  @Test
  void exactBytesOfEmpty() {
    assertEquals("01 00", hex(VectorClock.EMPTY.encode()));
    assertEquals(VectorClock.EMPTY, VectorClock.decode(hex("01 00")));
    assertEquals(0, VectorClock.decode(hex("01 00")).size());
  }

  @Test
  void countersUseUnsignedLeb128() {
    assertEquals("01 01 01 61 7f", hex(VectorClockTest.vc("a:127").encode()));
    assertEquals("01 01 01 61 80 01", hex(VectorClockTest.vc("a:128").encode()));
    assertEquals("01 01 01 61 ac 02", hex(VectorClockTest.vc("a:300").encode()));
    assertEquals("01 01 01 61 ff ff ff ff ff ff ff ff 7f",
        hex(VectorClockTest.vc("a:" + Long.MAX_VALUE).encode()));
  }

  @Test
  void entryCountAndIdLengthAreVarints() {
    byte[] bytes = clockOf(128, false).encode();
    assertEquals(0x01, bytes[0]);
    assertEquals((byte) 0x80, bytes[1]);
    assertEquals(0x01, bytes[2]);
    assertEquals(6, bytes[3], "length of \"node-0\"");
    assertEquals("node-0", new String(bytes, 4, 6, StandardCharsets.US_ASCII));
  }

  // ---------------------------------------------------------------- round trips

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 16, 128})
  void roundTripsSmallCounters(int members) {
    VectorClock clock = clockOf(members, false);
    assertEquals(members, clock.size());
    assertRoundTrip(clock);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 16, 128})
  void roundTripsLargeCounters(int members) {
    VectorClock clock = clockOf(members, true);
    assertRoundTrip(clock);
    if (members > 0) {
      assertEquals(Long.MAX_VALUE, VectorClock.decode(clock.encode()).get(NodeId.of("node-0")));
    }
  }

  @Test
  void roundTripsEdgeValues() {
    TreeMap<NodeId, Long> map = new TreeMap<>();
    map.put(NodeId.of("x".repeat(NodeId.MAX_LENGTH)), Long.MAX_VALUE);
    map.put(NodeId.of("#"), 0L);
    map.put(NodeId.of("A.b_c-d#9"), 1L << 56);
    map.put(NodeId.of("z"), (1L << 56) - 1);
    map.put(NodeId.of("y"), 1L << 62);
    assertRoundTrip(VectorClock.of(map));
    assertRoundTrip(VectorClock.zero(List.of(NodeId.of("a"), NodeId.of("b"))));
  }

  @Test
  void roundTripOfSharedKeyArrayClocks() {
    VectorClock base = VectorClock.zero(List.of(NodeId.of("a"), NodeId.of("b")));
    VectorClock x = base.increment(NodeId.of("b"));
    assertRoundTrip(x);
    assertEquals("[a:0, b:1]", VectorClock.decode(x.encode()).toString());
  }

  @Test
  void decodedClockDoesNotAliasTheInput() {
    byte[] bytes = VectorClockTest.vc("a:1", "b:0").encode();
    VectorClock decoded = VectorClock.decode(bytes);
    Arrays.fill(bytes, (byte) 0);
    assertEquals("[a:1, b:0]", decoded.toString());
  }

  @Test
  void decodedClockBehavesLikeTheOriginal() {
    VectorClock x = VectorClockTest.vc("a:1", "b:5");
    VectorClock y = VectorClock.decode(VectorClockTest.vc("a:2", "b:5").encode());
    assertEquals(Causality.BEFORE, x.compare(y));
    assertEquals("[a:2, b:5]", x.merge(y).toString());
    assertEquals("[a:2, b:6]", y.increment(NodeId.of("b")).toString());
  }

  // ---------------------------------------------------------------- decode errors

  @Test
  void rejectsNull() {
    IllegalArgumentException e = decodeFails(null);
    assertMessageContains(e, "null");
  }

  @Test
  void rejectsEmpty() {
    IllegalArgumentException e = decodeFails(new byte[0]);
    assertMessageContains(e, "truncated", "version", "byte 0");
  }

  @Test
  void rejectsWrongVersionNamingBoth() {
    assertMessageContains(decodeFails(hex("02 00")), "version 2", "expected 1");
    assertMessageContains(decodeFails(hex("00 00")), "version 0", "expected 1");
    // Read as an unsigned byte: 0xFF is version 255, not -1.
    assertMessageContains(decodeFails(hex("ff 00")), "version 255", "expected 1");
    assertMessageContains(decodeFails(hex("80")), "version 128");
  }

  @Test
  void everyProperPrefixOfAValidEncodingIsRejected() {
    TreeMap<NodeId, Long> map = new TreeMap<>();
    map.put(NodeId.of("alpha"), Long.MAX_VALUE);
    map.put(NodeId.of("b"), 0L);
    map.put(NodeId.of("gamma-" + "g".repeat(40)), 300L);
    List<VectorClock> clocks = List.of(
        VectorClockTest.vc("a:1", "b:0"),
        VectorClock.of(map),
        clockOf(16, true),
        clockOf(128, false));
    for (VectorClock clock : clocks) {
      byte[] full = clock.encode();
      assertEquals(clock, VectorClock.decode(full));
      for (int len = 0; len < full.length; len++) {
        byte[] prefix = Arrays.copyOf(full, len);
        IllegalArgumentException e = decodeFails(prefix);
        String m = e.getMessage();
        assertTrue(m.startsWith("encoded vector clock"), m);
        assertTrue(m.contains("truncated") || m.contains("entries but has only"),
            "prefix of " + len + "/" + full.length + " bytes of " + clock
                + ": message should say it is truncated or too short: " + m);
      }
    }
  }

  @Test
  void truncationInsideEachPartIsNamedWithItsOffset() {
    // [alpha:MAX] = 01 01 05 'alpha' ff ff ff ff ff ff ff ff 7f (17 bytes)
    byte[] full = VectorClockTest.vc("alpha:" + Long.MAX_VALUE).encode();
    assertEquals(17, full.length);
    assertMessageContains(decodeFails(Arrays.copyOf(full, 1)),
        "truncated", "entry count", "byte 1");
    // Cut inside the id: the length says 5, fewer bytes follow.
    assertMessageContains(decodeFails(Arrays.copyOf(full, 6)),
        "truncated", "node id 0", "byte 2", "length 5");
    // Cut inside the counter's varint.
    assertMessageContains(decodeFails(Arrays.copyOf(full, 12)),
        "truncated", "counter of node alpha", "byte 12 of 12");
    assertMessageContains(decodeFails(Arrays.copyOf(full, 16)),
        "truncated", "counter of node alpha", "byte 16 of 16");
    // Cut right after the id.
    assertMessageContains(decodeFails(Arrays.copyOf(full, 8)),
        "truncated", "counter of node alpha", "byte 8");
  }

  @Test
  void rejectsUnsortedEntries() {
    // [b:1, a:0]: b before a.
    IllegalArgumentException e = decodeFails(hex("01 02 01 62 01 01 61 00"));
    assertMessageContains(e, "entry 1", "byte 5", "node a", "not after node b", "sorted");
  }

  @Test
  void rejectsDuplicateEntries() {
    IllegalArgumentException e = decodeFails(hex("01 02 01 61 01 01 61 02"));
    assertMessageContains(e, "entry 1", "byte 5", "node a", "not after node a", "unique");
  }

  @Test
  void rejectsUnsortedLaterInTheList() {
    byte[] bytes = hex("01 03 01 61 00 01 63 00 01 62 00");
    assertMessageContains(decodeFails(bytes), "entry 2", "byte 8", "node b", "not after node c");
  }

  @Test
  void rejectsInvalidNodeIdCharacters() {
    assertMessageContains(decodeFails(hex("01 01 01 3a 01")), "entry 0", "byte 2", "':'");
    assertMessageContains(decodeFails(hex("01 01 03 61 20 62 01")), "entry 0", "' '", "index 1");
    assertMessageContains(decodeFails(hex("01 01 01 00 01")), "entry 0", "U+0000");
    assertMessageContains(decodeFails(hex("01 01 01 0a 01")), "entry 0", "U+000A");
    // Second entry, non-ASCII byte.
    IllegalArgumentException e = decodeFails(hex("01 02 01 61 01 02 62 c3 00"));
    assertMessageContains(e, "entry 1", "byte 5");
    assertInstanceOf(IllegalArgumentException.class, e.getCause(), "cause is NodeId's error");
  }

  @Test
  void rejectsZeroLengthNodeId() {
    assertMessageContains(decodeFails(hex("01 01 00 00 00")),
        "node id 0", "byte 2", "invalid length 0");
  }

  @Test
  void rejectsNodeIdLongerThanMaxLength() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    out.write(1);
    out.write(65);
    for (int i = 0; i < 65; i++) {
      out.write('a');
    }
    out.write(0);
    assertMessageContains(decodeFails(out.toByteArray()), "node id 0", "invalid length 65");
  }

  @Test
  void rejectsEntryCountTheBytesCannotHold() {
    assertMessageContains(decodeFails(hex("01 ff ff ff ff 0f")),
        "claims 4294967295 entries", "0 bytes left");
    assertMessageContains(decodeFails(hex("01 ff ff ff ff ff ff ff ff 7f")),
        "claims " + Long.MAX_VALUE + " entries");
    // Two entries claimed, only one (3 bytes) present.
    assertMessageContains(decodeFails(hex("01 02 01 61 01")), "claims 2 entries", "3 bytes left");
    assertMessageContains(decodeFails(hex("01 01")), "claims 1 entries", "0 bytes left");
  }

  @Test
  void rejectsEntryCountVarintLongerThanNineBytes() {
    assertMessageContains(decodeFails(hex("01 80 80 80 80 80 80 80 80 80 00")),
        "entry count", "byte 1", "does not fit");
  }

  @Test
  void rejectsCounterVarintLongerThanNineBytes() {
    // Ten-byte varint for the value 0 (overlong), and one for a value over 63 bits.
    assertMessageContains(decodeFails(hex("01 01 01 61 80 80 80 80 80 80 80 80 80 00")),
        "counter of node a", "byte 4", "does not fit in a non-negative 64-bit integer");
    assertMessageContains(decodeFails(hex("01 01 01 61 ff ff ff ff ff ff ff ff ff 01")),
        "counter of node a", "byte 4", "does not fit");
  }

  @Test
  void acceptsNineByteCounterAtMaximum() {
    VectorClock clock = VectorClock.decode(hex("01 01 01 61 ff ff ff ff ff ff ff ff 7f"));
    assertEquals(Long.MAX_VALUE, clock.get(NodeId.of("a")));
  }

  @Test
  void rejectsNodeIdLengthVarintLongerThanNineBytes() {
    byte[] bytes = hex("01 01 80 80 80 80 80 80 80 80 80 01 61 00");
    assertMessageContains(decodeFails(bytes), "length of node id 0", "does not fit");
  }

  @Test
  void rejectsTrailingBytes() {
    assertMessageContains(decodeFails(hex("01 02 01 61 01 01 62 00 00")),
        "1 trailing bytes", "byte 8");
    assertMessageContains(decodeFails(hex("01 00 01 61 01")), "3 trailing bytes", "byte 2");
  }

  @Test
  void rejectsEveryOtherVersionByteAndEveryWrongCount() {
    // Any other version byte or entry count fails; only a changed counter decodes (to that value).
    byte[] good = VectorClockTest.vc("a:1", "b:0").encode();
    for (int v = 0; v < 256; v++) {
      byte[] bytes = good.clone();
      bytes[0] = (byte) v;
      if (v != 1) {
        decodeFails(bytes);
      }
    }
    for (int count = 0; count < 128; count++) {
      byte[] bytes = good.clone();
      bytes[1] = (byte) count;
      if (count != 2) {
        decodeFails(bytes);
      }
    }
    assertEquals(Map.of(NodeId.of("a"), 1L, NodeId.of("b"), 1L),
        VectorClock.decode(hex("01 02 01 61 01 01 62 01")).entries());
  }
}
