package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.proto.v1.AppMessage;
import dev.meridian.proto.v1.HeartbeatMessage;
import dev.meridian.proto.v1.MemberLinkFrame;
import dev.meridian.proto.v1.MemberMessage;
import dev.meridian.proto.v1.OrderBatchMessage;
import dev.meridian.proto.v1.OrderMessage;
import dev.meridian.proto.v1.OrderRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written paths of {@link MemberFrameCodec} (application messages and the frames that
 * carry them, and the sequencer's order batches) against the generated protobuf code: the same
 * bytes written, the same messages read, the same frames refused.
 */
class MemberFrameFastPathTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("node-b.2#x_Y");

  @Test
  void writesExactlyWhatTheGeneratedCodeWrites() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      List<MemberWire> payloads = new ArrayList<>();
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        payloads.add(randomPayload(random));
      }
      LinkFrame<MemberWire> frame = new LinkFrame<>(1 + random.nextInt(Integer.MAX_VALUE),
          random.nextInt(3) == 0 ? 0 : random.nextInt(Integer.MAX_VALUE),
          random.nextBoolean() ? 0 : random.nextLong(Long.MAX_VALUE),
          1 + random.nextLong(Long.MAX_VALUE - 1), payloads);
      byte[] fast = new MemberFrameCodec().encode(frame);
      assertArrayEquals(generated(frame), fast, "frame " + frame);
      assertSameFrame(frame, new MemberFrameCodec().decode(fast));
      assertSameFrame(frame, new MemberFrameCodec().decodeWithProtobuf(fast));
    }
  }

  @Test
  void framesWithTheSamePayloadsDifferInTheirHeadersOnly() {
    SplittableRandom random = new SplittableRandom(11);
    MemberFrameCodec codec = new MemberFrameCodec(); // one codec: it reuses encoded payloads
    List<List<MemberWire>> runs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      List<MemberWire> payloads = new ArrayList<>();
      for (int j = 0; j < 1 + random.nextInt(4); j++) {
        payloads.add(randomPayload(random));
      }
      runs.add(payloads);
    }
    for (int round = 0; round < 300; round++) {
      List<MemberWire> payloads = new ArrayList<>(runs.get(random.nextInt(runs.size())));
      if (random.nextInt(5) == 0) {
        payloads.set(0, randomPayload(random)); // another instance at the same place
      }
      LinkFrame<MemberWire> frame = new LinkFrame<>(1 + random.nextInt(9), random.nextInt(9),
          random.nextInt(1000), 1 + random.nextInt(1000), payloads);
      assertArrayEquals(generated(frame), codec.encode(frame), "frame " + frame);
    }
  }

  @Test
  void applicationMessagesRoundTripWithTheirPayloads() {
    MemberFrameCodec codec = new MemberFrameCodec();
    byte[] payload = new byte[64];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 7);
    }
    LinkFrame<MemberWire> frame = new LinkFrame<>(3, 4, 5, 6, List.of(
        new MemberWire.App(9, A, 1, true, payload), new MemberWire.App(0, B, 0, false),
        new MemberWire.App(Long.MAX_VALUE, A, Long.MAX_VALUE, false, new byte[] {0})));
    assertSameFrame(frame, codec.decode(codec.encode(frame)));
  }

  @Test
  void nodeIdsReadAreInterned() {
    MemberFrameCodec codec = new MemberFrameCodec();
    LinkFrame<MemberWire> frame = new LinkFrame<>(1, 1, 0, 1,
        List.of(new MemberWire.App(1, B, 1, true), new MemberWire.App(1, B, 2, true)));
    LinkFrame<MemberWire> one = codec.decode(codec.encode(frame));
    LinkFrame<MemberWire> two = codec.decode(codec.encode(frame));
    assertSame(((MemberWire.App) one.payloads().get(0)).sender(),
        ((MemberWire.App) two.payloads().get(1)).sender());
  }

  @Test
  void knownIdsAreReadAsTheInstancesGiven() {
    NodeId a = NodeId.of("a"); // equal to A, another instance
    MemberFrameCodec codec = new MemberFrameCodec(List.of(a, B));
    LinkFrame<MemberWire> frame = new LinkFrame<>(1, 1, 0, 1, List.of(
        new MemberWire.App(1, A, 1, true),
        new MemberWire.OrderBatch(1, 1, List.of(new MemberWire.OrderRun(A, 1, 1)))));
    LinkFrame<MemberWire> back = codec.decode(new MemberFrameCodec().encode(frame));
    assertSameFrame(frame, back);
    assertSame(a, ((MemberWire.App) back.payloads().get(0)).sender());
    assertSame(a, ((MemberWire.OrderBatch) back.payloads().get(1)).runs().get(0).sender());
  }

  @Test
  void unusualLayoutsDecodeAsTheGeneratedParserReadsThem() {
    AppMessage app = AppMessage.newBuilder().setViewId(2).setSender("a").setSeq(3).setTotal(true)
        .setPayload(ByteString.copyFromUtf8("x")).build();
    List<byte[]> frames = new ArrayList<>();
    // an unknown field in the frame, in the payload, in the app
    frames.add(MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(app))
        .setUnknownFields(unknown(99)).build().toByteArray());
    frames.add(MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(app).setUnknownFields(unknown(98)))
        .build().toByteArray());
    frames.add(MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(app.toBuilder()
            .setUnknownFields(unknown(97))))
        .build().toByteArray());
    // fields out of order, and a field given twice (the last one counts)
    byte[] appBytes = concat(AppMessage.newBuilder().setSeq(3).build().toByteArray(),
        AppMessage.newBuilder().setSender("b").build().toByteArray(),
        AppMessage.newBuilder().setViewId(2).setSender("a").build().toByteArray());
    frames.add(concat(MemberLinkFrame.newBuilder().setFirstSeq(1).build().toByteArray(),
        new byte[] {42, (byte) (appBytes.length + 2), 10, (byte) appBytes.length}, appBytes,
        MemberLinkFrame.newBuilder().setSenderIncarnation(2).build().toByteArray()));
    // a payload with two kinds (the last one counts), and one app given twice (merged)
    byte[] appThenOrder = concat(MemberMessage.newBuilder().setApp(app).build().toByteArray(),
        MemberMessage.newBuilder().setOrder(OrderMessage.newBuilder().setViewId(1).setNumber(1)
            .setSender("a").setSeq(1)).build().toByteArray());
    byte[] appTwice = concat(MemberMessage.newBuilder().setApp(app).build().toByteArray(),
        MemberMessage.newBuilder().setApp(AppMessage.newBuilder().setSeq(8)).build()
            .toByteArray());
    // an order batch with an unknown field in a run, and one with its fields out of order
    OrderRun run = OrderRun.newBuilder().setSender("a").setFirstSeq(4).setCount(2).build();
    byte[] batchUnknown = MemberMessage.newBuilder().setOrderBatch(OrderBatchMessage.newBuilder()
        .setViewId(1).setFirst(1).addRuns(run.toBuilder().setUnknownFields(unknown(9))))
        .build().toByteArray();
    byte[] batchBody = concat(OrderBatchMessage.newBuilder().addRuns(run).build().toByteArray(),
        OrderBatchMessage.newBuilder().setFirst(3).setViewId(2).build().toByteArray());
    byte[] batchReordered = concat(new byte[] {114, (byte) batchBody.length}, batchBody);
    for (byte[] payload : List.of(appThenOrder, appTwice, batchUnknown, batchReordered)) {
      frames.add(concat(MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
          .build().toByteArray(), new byte[] {42, (byte) payload.length}, payload));
    }
    for (byte[] f : frames) {
      assertSameFrame(new MemberFrameCodec().decodeWithProtobuf(f),
          new MemberFrameCodec().decode(f));
    }
  }

  @Test
  void malformedFramesAreRefusedAsBefore() {
    byte[] good = new MemberFrameCodec().encode(new LinkFrame<>(1, 0, 0, 1,
        List.of(new MemberWire.App(1, A, 1, true, new byte[20]))));
    for (int cut = 5; cut < good.length; cut++) { // 4 header bytes, then the payload's tag
      byte[] shorter = java.util.Arrays.copyOf(good, cut);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new MemberFrameCodec().decode(shorter));
      assertTrue(e.getMessage().startsWith("not a MemberLinkFrame"), e.getMessage());
    }
    byte[] badSender = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(AppMessage.newBuilder()
            .setSender("sp ace").setSeq(1))).build().toByteArray();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new MemberFrameCodec().decode(badSender)).getMessage()
        .startsWith("payload 0: app sender"));
    byte[] noSender = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(AppMessage.newBuilder().setSeq(1)))
        .build().toByteArray();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new MemberFrameCodec().decode(noSender)).getMessage()
        .startsWith("payload 0: app sender"));
    byte[] notUtf8 = concat(MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .build().toByteArray(), new byte[] {42, 5, 10, 3, 18, 1, (byte) 0xff});
    assertThrows(IllegalArgumentException.class, () -> new MemberFrameCodec().decode(notUtf8));
    byte[] noIncarnation = new MemberFrameCodec().encode(new LinkFrame<>(1, 0, 0, 1, List.of()));
    noIncarnation[1] = 0; // sender incarnation 0: not a frame
    assertThrows(IllegalArgumentException.class,
        () -> new MemberFrameCodec().decode(noIncarnation));
  }

  @Test
  void orderBatchesRoundTripAndAreReadStrictly() {
    MemberWire.OrderBatch batch = new MemberWire.OrderBatch(4, 10, List.of(
        new MemberWire.OrderRun(A, 1, 3), new MemberWire.OrderRun(B, 7, 1),
        new MemberWire.OrderRun(A, 4, Integer.MAX_VALUE)));
    assertEquals(3L + 1 + Integer.MAX_VALUE, batch.places());
    LinkFrame<MemberWire> frame = new LinkFrame<>(1, 1, 0, 1, List.of(batch));
    MemberFrameCodec codec = new MemberFrameCodec();
    assertEquals(frame, codec.decode(codec.encode(frame)));

    OrderRun run = OrderRun.newBuilder().setSender("a").setFirstSeq(1).setCount(1).build();
    List<OrderBatchMessage> bad = List.of(
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1).build(), // no runs
        OrderBatchMessage.newBuilder().setViewId(1).addRuns(run).build(), // first 0
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1)
            .addRuns(run.toBuilder().setCount(0)).build(),
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1)
            .addRuns(run.toBuilder().setCount(-1)).build(), // 2^32 - 1: too many
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1)
            .addRuns(run.toBuilder().setFirstSeq(0)).build(),
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1)
            .addRuns(run.toBuilder().setFirstSeq(-1)).build(), // 2^64 - 1
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(Long.MAX_VALUE)
            .addRuns(run.toBuilder().setCount(2)).build(), // places past 2^63 - 1
        OrderBatchMessage.newBuilder().setViewId(1).setFirst(1)
            .addRuns(run.toBuilder().setSender("no way")).build());
    for (OrderBatchMessage b : bad) {
      byte[] f = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
          .addPayloads(MemberMessage.newBuilder().setOrderBatch(b)).build().toByteArray();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new MemberFrameCodec().decode(f), b.toString());
      assertTrue(e.getMessage().startsWith("payload 0: "), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new MemberWire.OrderBatch(1, 1, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new MemberWire.OrderRun(A, 1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new MemberWire.OrderRun(A, Long.MAX_VALUE, 2));
  }

  // ---------------------------------------------------------------- helpers

  private static MemberWire randomPayload(SplittableRandom r) {
    NodeId sender = r.nextBoolean() ? A : B;
    return switch (r.nextInt(5)) {
      case 0, 1 -> {
        byte[] p = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(300)];
        r.nextBytes(p);
        yield new MemberWire.App(r.nextInt(4) == 0 ? 0 : r.nextLong(Long.MAX_VALUE), sender,
            r.nextInt(4) == 0 ? 0 : r.nextLong(Long.MAX_VALUE), r.nextBoolean(), p);
      }
      case 2 -> new MemberWire.Order(r.nextLong(100), 1 + r.nextLong(100), sender,
          1 + r.nextLong(100));
      case 3 -> new MemberWire.OrderBatch(r.nextLong(100), 1 + r.nextLong(1000), List.of(
          new MemberWire.OrderRun(sender, 1 + r.nextLong(1000), 1 + r.nextInt(500)),
          new MemberWire.OrderRun(A, 1 + r.nextLong(1000), 1 + r.nextInt(5))));
      default -> new MemberWire.Heartbeat(r.nextLong(100), Map.of(A, r.nextLong(100)),
          r.nextLong(100));
    };
  }

  /** The frame as the generated code writes it. */
  private static byte[] generated(LinkFrame<MemberWire> frame) {
    MemberLinkFrame.Builder b = MemberLinkFrame.newBuilder()
        .setSenderIncarnation(frame.senderIncarnation())
        .setReceiverIncarnation(frame.receiverIncarnation())
        .setAck(frame.ack()).setFirstSeq(frame.firstSeq());
    for (MemberWire w : frame.payloads()) {
      MemberMessage.Builder m = MemberMessage.newBuilder();
      if (w instanceof MemberWire.App a) {
        m.setApp(AppMessage.newBuilder().setViewId(a.viewId()).setSender(a.sender().value())
            .setSeq(a.seq()).setTotal(a.total()).setPayload(ByteString.copyFrom(a.payload())));
      } else if (w instanceof MemberWire.Order o) {
        m.setOrder(OrderMessage.newBuilder().setViewId(o.viewId()).setNumber(o.number())
            .setSender(o.sender().value()).setSeq(o.seq()));
      } else if (w instanceof MemberWire.OrderBatch ob) {
        OrderBatchMessage.Builder mb = OrderBatchMessage.newBuilder().setViewId(ob.viewId())
            .setFirst(ob.first());
        for (MemberWire.OrderRun run : ob.runs()) {
          mb.addRuns(OrderRun.newBuilder().setSender(run.sender().value())
              .setFirstSeq(run.firstSeq()).setCount(run.count()));
        }
        m.setOrderBatch(mb);
      } else if (w instanceof MemberWire.Heartbeat h) {
        HeartbeatMessage.Builder hb = HeartbeatMessage.newBuilder().setViewId(h.viewId())
            .setTotalDelivered(h.totalDelivered());
        h.received().forEach((n, seq) -> hb.putReceived(n.value(), seq));
        m.setHeartbeat(hb);
      }
      b.addPayloads(m);
    }
    return b.build().toByteArray();
  }

  /** Equal frames, payloads compared field by field (an App's equality is its identity only). */
  private static void assertSameFrame(LinkFrame<MemberWire> expected, LinkFrame<MemberWire> got) {
    assertEquals(expected, got);
    for (int i = 0; i < expected.payloads().size(); i++) {
      if (expected.payloads().get(i) instanceof MemberWire.App a) {
        MemberWire.App b = (MemberWire.App) got.payloads().get(i);
        assertEquals(a.viewId(), b.viewId());
        assertEquals(a.total(), b.total());
        assertArrayEquals(a.payload(), b.payload());
      }
    }
  }

  private static UnknownFieldSet unknown(int field) {
    return UnknownFieldSet.newBuilder().addField(field,
        UnknownFieldSet.Field.newBuilder().addVarint(5).build()).build();
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
