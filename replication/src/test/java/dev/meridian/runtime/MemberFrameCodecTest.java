package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.membership.View;
import dev.meridian.proto.v1.AppMessage;
import dev.meridian.proto.v1.MemberLinkFrame;
import dev.meridian.proto.v1.MemberMessage;
import dev.meridian.proto.v1.PrepareMessage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberFrameCodecTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b#2");
  private final MemberFrameCodec codec = new MemberFrameCodec();

  @Test
  void theStartUpWarmUpFrameIsValid() {
    // GroupReplica runs it before its member starts: a frame it cannot encode would stop every
    // member at start-up.
    MemberFrameCodec.loadEveryMessageKind();
  }

  @Test
  void everyKindOfMessageRoundTrips() {
    MemberWire.App app = new MemberWire.App(3, A, 7, true);
    MemberWire.Order order = new MemberWire.Order(3, 1, A, 7);
    MemberWire.Ballot ballot = new MemberWire.Ballot(4, B);
    MemberWire.Proposal proposal = new MemberWire.Proposal(new View(4, List.of(A, B)),
        List.of(app), List.of(order), Map.of(A, 1, B, 2), Set.of(B));
    List<MemberWire> all = List.of(app, order, new MemberWire.Heartbeat(3), new MemberWire.Join(),
        new MemberWire.NotMember(9), new MemberWire.Prepare(ballot, 3),
        new MemberWire.Promise(ballot, 3, ballot, proposal, List.of(app), List.of(order)),
        new MemberWire.Promise(ballot, 3, null, null, List.of(), List.of()),
        new MemberWire.Nack(ballot, new MemberWire.Ballot(5, A)),
        new MemberWire.Accept(ballot, proposal, List.of(B, A)), new MemberWire.Accepted(ballot, 3),
        new MemberWire.Install(proposal), new MemberWire.Gone(3, B));
    LinkFrame<MemberWire> frame = new LinkFrame<>(2, 1, 10, 11, all);
    assertEquals(frame, codec.decode(codec.encode(frame)));
  }

  @Test
  void malformedFramesAreRefusedSayingWhatIsWrong() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> codec.decode(new byte[] {0x2a, 0x05, 0x01})).getMessage()
        .startsWith("not a MemberLinkFrame"));
    byte[] badId = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setApp(AppMessage.newBuilder()
            .setSender("no spaces allowed").setSeq(1)))
        .build().toByteArray();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(badId))
        .getMessage().startsWith("payload 0: app sender"));
    byte[] noBallot = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.newBuilder().setPrepare(PrepareMessage.newBuilder()
            .setViewId(1)))
        .build().toByteArray();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(noBallot))
        .getMessage().contains("ballot missing"));
    // An Accept whose quorum lacks its coordinator would let a learner install an unchosen view.
    byte[] quorumWithoutCoordinator = codec.encode(new LinkFrame<>(2, 1, 10, 11, List.of(
        new MemberWire.Accept(new MemberWire.Ballot(1, A), new MemberWire.Proposal(
            new View(2, List.of(A, B)), List.of(), List.of(), Map.of(A, 1, B, 1), Set.of()),
            List.of(B)))));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> codec.decode(quorumWithoutCoordinator)).getMessage()
        .contains("lacks its coordinator a"));
    byte[] empty = MemberLinkFrame.newBuilder().setSenderIncarnation(1).setFirstSeq(1)
        .addPayloads(MemberMessage.getDefaultInstance()).build().toByteArray();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(empty))
        .getMessage().contains("no known kind"));
  }
}
