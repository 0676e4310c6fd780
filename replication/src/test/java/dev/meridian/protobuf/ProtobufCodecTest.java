package dev.meridian.protobuf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.proto.v1.HybridTimestamp;
import dev.meridian.proto.v1.VectorClock;
import dev.meridian.proto.v1.VectorClockEntry;
import dev.meridian.replica.Codec;
import org.junit.jupiter.api.Test;

class ProtobufCodecTest {
  private final Codec<VectorClock> codec = ProtobufCodec.of(VectorClock.parser());

  @Test
  void roundTripsAndReencodesToTheSameBytes() {
    VectorClock clock = VectorClock.newBuilder()
        .addEntries(VectorClockEntry.newBuilder().setNode("a").setCounter(3))
        .addEntries(VectorClockEntry.newBuilder().setNode("b").setCounter(300))
        .build();
    byte[] bytes = codec.encode(clock);
    VectorClock back = codec.decode(bytes);
    assertEquals(clock, back);
    assertArrayEquals(bytes, codec.encode(back));
    assertEquals(VectorClock.getDefaultInstance(), codec.decode(new byte[0]));
  }

  @Test
  void unknownFieldsFromANewerSchemaSurviveARoundTrip() {
    // A HybridTimestamp read as a VectorClock: its fields are unknown there, and kept.
    byte[] newer = HybridTimestamp.newBuilder().setPhysicalNanos(5).setLogical(7).build()
        .toByteArray();
    assertArrayEquals(newer, codec.encode(codec.decode(newer)));
  }

  @Test
  void malformedBytesAndNullsAreRefusedNamingTheType() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> codec.decode(new byte[] {0x0a, 0x05, 0x01}));
    assertTrue(e.getMessage().contains("not a valid VectorClock (3 bytes)"), e.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.encode(null))
        .getMessage().contains("VectorClock"));
    assertThrows(IllegalArgumentException.class, () -> codec.decode(null));
    assertThrows(IllegalArgumentException.class, () -> ProtobufCodec.of(null));
    assertEquals("ProtobufCodec[VectorClock]", codec.toString());
  }
}
