package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.proto.v1.SnapshotAppMessage;
import dev.meridian.proto.v1.SnapshotChannel;
import dev.meridian.proto.v1.SnapshotContribution;
import dev.meridian.proto.v1.SnapshotIdMessage;
import dev.meridian.proto.v1.SnapshotLinkFrame;
import dev.meridian.proto.v1.SnapshotMarker;
import dev.meridian.proto.v1.SnapshotMessage;
import dev.meridian.replica.Codec;
import dev.meridian.snapshot.SnapshotId;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link SnapshotFrameCodec}: round trips, and malformed frames refused saying what is wrong. */
class SnapshotFrameCodecTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private final SnapshotFrameCodec<Long, String> codec =
      new SnapshotFrameCodec<>(Codec.int64(), Codec.utf8());

  @Test
  void everyKindOfPayloadRoundTrips() {
    SnapshotId id = new SnapshotId(A, (3L << 32) + 7);
    LinkFrame<SnapshotWire<Long, String>> frame = new LinkFrame<>(Integer.MAX_VALUE, 5, 9, 10,
        List.of(new SnapshotWire.App<>(-42L),
            new SnapshotWire.Marker<>(id, 4, Map.of(A, 1, B, Integer.MAX_VALUE)),
            new SnapshotWire.Contribution<>(id, B, 2, "balance=80",
                Map.of(A, List.of(5L, 6L), NodeId.of("c"), List.of())),
            new SnapshotWire.Withdrawn<>(id, B, "not in view 5")));
    assertEquals(frame, codec.decode(codec.encode(frame)));
    LinkFrame<SnapshotWire<Long, String>> ack = new LinkFrame<>(1, 0, 0, 1, List.of());
    assertEquals(ack, codec.decode(codec.encode(ack)));
  }

  @Test
  void malformedFramesAreRefusedNamingWhatIsWrong() {
    assertRefused(new byte[] {(byte) 0xff, (byte) 0xff}, "not a SnapshotLinkFrame");
    assertRefused(new byte[0], "sender incarnation 0 out of range");
    SnapshotLinkFrame.Builder ok = SnapshotLinkFrame.newBuilder().setSenderIncarnation(1)
        .setFirstSeq(1);
    assertRefused(ok.clone().setFirstSeq(0).build().toByteArray(), "first seq 0 out of range");
    assertRefused(ok.clone().setSenderIncarnation(-1).build().toByteArray(),
        "sender incarnation 4294967295 out of range");
    assertRefused(ok.clone().addPayloads(SnapshotMessage.getDefaultInstance()).build()
        .toByteArray(), "payload 0: message of no known kind");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setApp(SnapshotAppMessage.newBuilder()
        .setPayload(ByteString.copyFrom(new byte[3])))), "payload 0: application message does"
        + " not decode");
    SnapshotIdMessage id = SnapshotIdMessage.newBuilder().setInitiator("a").setK(1).build();
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setMarker(SnapshotMarker.newBuilder()
        .setViewId(1).putMembers("a", 1))), "marker without a snapshot id");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setMarker(SnapshotMarker.newBuilder()
        .setId(id.toBuilder().setK(0)).setViewId(1).putMembers("a", 1))),
        "snapshot number 0 out of range");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setMarker(SnapshotMarker.newBuilder()
        .setId(id).setViewId(1))), "names no members");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setMarker(SnapshotMarker.newBuilder()
        .setId(id).setViewId(1).putMembers("a b", 1))), "marker member");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setMarker(SnapshotMarker.newBuilder()
        .setId(id).setViewId(1).putMembers("a", 0))), "incarnation of marker member a 0");
    SnapshotContribution.Builder c = SnapshotContribution.newBuilder().setId(id).setMember("b")
        .setIncarnation(1).setState(ByteString.copyFromUtf8("s"));
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setContribution(c.clone()
        .setState(ByteString.copyFrom(new byte[] {(byte) 0xc0})))),
        "recorded state of b does not decode");
    SnapshotChannel ch = SnapshotChannel.newBuilder().setFrom("a")
        .addMessages(ByteString.copyFrom(new byte[8])).build();
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setContribution(c.clone()
        .addIncoming(ch).addIncoming(ch))), "lists channel from a twice");
    assertRefused(frame(ok, SnapshotMessage.newBuilder().setContribution(c.clone()
        .addIncoming(ch.toBuilder().addMessages(ByteString.copyFrom(new byte[2]))))),
        "message 1 of channel a->b does not decode");
  }

  @Test
  void randomBytesNeverEscapeAsAnythingButIllegalArgument() {
    SplittableRandom random = new SplittableRandom(11);
    byte[] valid = codec.encode(new LinkFrame<>(3, 2, 1, 1, List.of(
        new SnapshotWire.Contribution<>(new SnapshotId(A, 1), B, 2, "x", Map.of(A, List.of(1L))),
        new SnapshotWire.App<>(7L))));
    for (int trial = 0; trial < 5_000; trial++) {
      byte[] bytes = valid.clone();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
      }
      try {
        codec.decode(bytes);
      } catch (IllegalArgumentException expected) {
        // refused, saying why
      }
    }
  }

  private static byte[] frame(SnapshotLinkFrame.Builder frame, SnapshotMessage.Builder payload) {
    return frame.clone().addPayloads(payload).build().toByteArray();
  }

  private void assertRefused(byte[] bytes, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> codec.decode(bytes));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
