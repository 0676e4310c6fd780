package dev.meridian.replica.crdt;

import static dev.meridian.replica.CodecAssertions.assertDecodeFails;
import static dev.meridian.replica.CodecAssertions.assertFuzzSafe;
import static dev.meridian.replica.CodecAssertions.assertRoundTrip;
import static dev.meridian.replica.CodecAssertions.assertStrictVersioned;
import static dev.meridian.replica.CodecAssertions.hex;
import static dev.meridian.replica.crdt.Origins.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.time.HybridTimestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LwwRegisterTest {

  private static LwwRegister<String> register() {
    return new LwwRegister<>(Codec.utf8());
  }

  @Test
  void unsetUntilTheFirstWrite() {
    LwwRegister<String> r = register();
    assertEquals(Optional.empty(), r.get());
    assertEquals(Optional.empty(), r.writer());
    r.apply(r.setOp("x"), at("a", 1, 10));
    assertEquals(Optional.of("x"), r.get());
    assertEquals(Optional.of(at("a", 1, 10)), r.writer());
  }

  @Test
  void laterTimestampWinsInEitherApplyOrder() {
    Origin early = at("z", 1, 100); // a larger node id does not help an earlier timestamp
    Origin late = at("a", 1, 200);
    LwwRegister<String> x = register();
    x.apply(new LwwRegister.Set<>("early"), early);
    x.apply(new LwwRegister.Set<>("late"), late);
    LwwRegister<String> y = register();
    y.apply(new LwwRegister.Set<>("late"), late);
    y.apply(new LwwRegister.Set<>("early"), early);
    assertEquals(Optional.of("late"), x.get());
    assertEquals(Optional.of("late"), y.get());
    assertEquals(Optional.of(late), y.writer());
  }

  @Test
  void equalTimestampsAreBrokenByNodeIdInEitherApplyOrder() {
    Origin fromA = at("a", 7, 100);
    Origin fromB = at("b", 1, 100);
    LwwRegister<String> x = register();
    x.apply(new LwwRegister.Set<>("from a"), fromA);
    x.apply(new LwwRegister.Set<>("from b"), fromB);
    LwwRegister<String> y = register();
    y.apply(new LwwRegister.Set<>("from b"), fromB);
    y.apply(new LwwRegister.Set<>("from a"), fromA);
    assertEquals(Optional.of("from b"), x.get());
    assertEquals(Optional.of("from b"), y.get());
  }

  @Test
  void everyPermutationOfWritesEndsWithTheGreatestOrigin() {
    List<Origin> origins = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      origins.add(new Origin(NodeId.of("n" + (i % 3)), i + 1, new HybridTimestamp(50 + i % 2, i % 3)));
    }
    Origin greatest = Collections.max(origins, Origin.LWW_ORDER);
    long seed = 0x1_3377L;
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      Collections.shuffle(origins, random);
      LwwRegister<String> r = register();
      for (Origin o : origins) {
        r.apply(new LwwRegister.Set<>(o.toString()), o);
      }
      assertEquals(Optional.of(greatest.toString()), r.get(), "seed=" + seed + " round " + round);
    }
  }

  @Test
  void applyingTheSameWriteAgainChangesNothing() {
    LwwRegister<String> r = register();
    r.apply(new LwwRegister.Set<>("x"), at("a", 1, 10));
    r.apply(new LwwRegister.Set<>("x"), at("a", 1, 10));
    assertEquals(Optional.of("x"), r.get());
  }

  @Test
  void callersCannotChangeTheStateThroughArrays() {
    LwwRegister<byte[]> r = new LwwRegister<>(Codec.bytes());
    byte[] value = {1, 2, 3};
    r.apply(r.setOp(value), at("a", 1, 10));
    value[0] = 9;
    byte[] read = r.get().orElseThrow();
    assertArrayEquals(new byte[] {1, 2, 3}, read);
    read[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, r.get().orElseThrow());
  }

  @Test
  void refusesNullsNamingThem() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new LwwRegister<String>(null));
    assertTrue(e.getMessage().contains("codec"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> register().setOp(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> register().apply(null, at("a", 1, 1)));
    assertThrows(IllegalArgumentException.class,
        () -> register().apply(new LwwRegister.Set<>("x"), null));
  }

  @Test
  void setOpRefusesValuesTheCodecCannotEncode() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> register().setOp("bad \uD800"));
    assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
  }

  // ---------------------------------------------------------------- codec

  @Test
  void exactBytes() {
    Codec<LwwRegister.Op<String>> codec = register().opCodec();
    assertEquals("01 01 02 68 69", hex(codec.encode(new LwwRegister.Set<>("hi"))));
    assertEquals("01 01 00", hex(codec.encode(new LwwRegister.Set<>(""))));
  }

  @Test
  void roundTripsAndRefusesMalformedInput() {
    Codec<LwwRegister.Op<String>> codec = register().opCodec();
    for (String v : new String[] {"", "x", "héllo", "x".repeat(300)}) {
      byte[] bytes = assertRoundTrip(codec, new LwwRegister.Set<>(v));
      assertStrictVersioned(codec, bytes);
    }
    assertDecodeFails(codec, hex("01 02 00"), "unknown op kind 2 at byte 1");
    assertDecodeFails(codec, hex("01 01 05 68 69"), "value at byte 2 has length 5",
        "only 2 bytes are left");
    assertDecodeFails(codec, hex("01 01 02 c0 80"), "value at byte 2 does not decode",
        "malformed UTF-8");
    assertDecodeFails(codec, hex("01 01 80 00"), "not minimally encoded");
    assertFuzzSafe(codec, codec.encode(new LwwRegister.Set<>("héllo")), 12, 2_000);
  }

  @Test
  void nestedCodecFailuresBecomeIllegalArgumentExceptions() {
    Codec<String> rude = new Codec<>() {
      @Override
      public byte[] encode(String value) {
        return value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }

      @Override
      public String decode(byte[] bytes) {
        throw new IllegalStateException("not today");
      }
    };
    Codec<LwwRegister.Op<String>> codec = new LwwRegister<>(rude).opCodec();
    assertDecodeFails(codec, hex("01 01 01 61"), "value at byte 2 does not decode", "not today");
  }
}
