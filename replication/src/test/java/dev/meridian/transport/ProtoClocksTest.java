package dev.meridian.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.NodeId;
import dev.meridian.proto.v1.VectorClockEntry;
import dev.meridian.time.HybridTimestamp;
import dev.meridian.time.VectorClock;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtoClocksTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");

  @Test
  void vectorClockRoundTripsThroughProtobufBytes() throws InvalidProtocolBufferException {
    VectorClock clock = VectorClock.of(Map.of(A, 3L, B, 0L, NodeId.of("z9"), Long.MAX_VALUE));
    byte[] wire = ProtoClocks.toProto(clock).toByteArray();
    VectorClock back = ProtoClocks.fromProto(dev.meridian.proto.v1.VectorClock.parseFrom(wire));
    assertEquals(clock, back);
    assertEquals("[a:3, b:0, z9:" + Long.MAX_VALUE + "]", back.toString());
  }

  @Test
  void emptyClockRoundTrips() {
    assertEquals(VectorClock.EMPTY, ProtoClocks.fromProto(ProtoClocks.toProto(VectorClock.EMPTY)));
  }

  @Test
  void unsortedOrDuplicateEntriesAreRefused() {
    var unsorted = dev.meridian.proto.v1.VectorClock.newBuilder()
        .addEntries(entry("b", 1)).addEntries(entry("a", 1)).build();
    var e1 = assertThrows(IllegalArgumentException.class, () -> ProtoClocks.fromProto(unsorted));
    assertTrue(e1.getMessage().contains("entry 1 (node a) is not after node b"), e1.getMessage());

    var duplicate = dev.meridian.proto.v1.VectorClock.newBuilder()
        .addEntries(entry("a", 1)).addEntries(entry("a", 2)).build();
    var e2 = assertThrows(IllegalArgumentException.class, () -> ProtoClocks.fromProto(duplicate));
    assertTrue(e2.getMessage().contains("sorted and unique"), e2.getMessage());
  }

  @Test
  void invalidNodeIdAndOversizedCounterAreRefusedByName() {
    var badId = dev.meridian.proto.v1.VectorClock.newBuilder().addEntries(entry("a:b", 1)).build();
    var e1 = assertThrows(IllegalArgumentException.class, () -> ProtoClocks.fromProto(badId));
    assertTrue(e1.getMessage().startsWith("vector clock entry 0: node id \"a:b\""), e1.getMessage());

    var huge = dev.meridian.proto.v1.VectorClock.newBuilder().addEntries(entry("a", -1)).build();
    var e2 = assertThrows(IllegalArgumentException.class, () -> ProtoClocks.fromProto(huge));
    assertTrue(e2.getMessage().contains("counter 18446744073709551615"), e2.getMessage());
  }

  @Test
  void hybridTimestampRoundTripsAndNegativePartsAreRefused() {
    HybridTimestamp ts = new HybridTimestamp(1_767_225_600_000_000_000L, 7);
    assertEquals(ts, ProtoClocks.fromProto(ProtoClocks.toProto(ts)));
    var negative = dev.meridian.proto.v1.HybridTimestamp.newBuilder().setLogical(-1).build();
    var e = assertThrows(IllegalArgumentException.class, () -> ProtoClocks.fromProto(negative));
    assertTrue(e.getMessage().contains("logical part must be >= 0, got -1"), e.getMessage());
  }

  @Test
  void nullsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> ProtoClocks.fromProto((dev.meridian.proto.v1.VectorClock) null));
    assertThrows(IllegalArgumentException.class, () -> ProtoClocks.toProto((VectorClock) null));
  }

  private static VectorClockEntry entry(String node, long counter) {
    return VectorClockEntry.newBuilder().setNode(node).setCounter(counter).build();
  }
}
