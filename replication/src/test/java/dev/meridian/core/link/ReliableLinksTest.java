package dev.meridian.core.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ReliableLinks driven by hand: frames passed, dropped, duplicated and reordered explicitly. */
class ReliableLinksTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final LinkSettings SMALL = new LinkSettings(4, 2, 1_000_000L);

  private static ReliableLinks<String> links(NodeId self, int incarnation) {
    return new ReliableLinks<>(self, incarnation, List.of(A, B), SMALL);
  }

  private static List<LinkFrame<String>> frames(ReliableLinks<String> from) {
    return from.flush(f -> f).stream().map(e -> ((Effect.Send<LinkFrame<String>>) e).payload())
        .toList();
  }

  @Test
  void deliversInOrderOnceDespiteReorderingAndDuplicates() {
    ReliableLinks<String> a = links(A, 1);
    ReliableLinks<String> b = links(B, 1);
    a.send(B, "m1");
    a.send(B, "m2");
    a.send(B, "m3");
    List<LinkFrame<String>> f = frames(a); // [m1 m2] [m3]: at most 2 per frame
    assertEquals(2, f.size());
    assertEquals(List.of(), b.receive(A, f.get(1)), "m3 must wait for m1 and m2");
    assertEquals(List.of("m1", "m2", "m3"), b.receive(A, f.get(0)));
    assertEquals(List.of(), b.receive(A, f.get(0)), "a duplicate is dropped");
    assertEquals(List.of(), b.receive(A, f.get(1)), "a duplicate is dropped");
  }

  @Test
  void fullSendBufferRefusesUntilAcknowledged() {
    ReliableLinks<String> a = links(A, 1);
    ReliableLinks<String> b = links(B, 1);
    for (int i = 0; i < 4; i++) {
      assertTrue(a.send(B, "m" + i));
    }
    assertFalse(a.send(B, "m4"), "buffer of 4 is full");
    assertEquals(0, a.sendCapacity(B));
    for (LinkFrame<String> f : frames(a)) {
      b.receive(A, f);
    }
    for (LinkFrame<String> ack : frames(b)) {
      a.receive(B, ack);
    }
    assertEquals(4, a.sendCapacity(B));
    assertTrue(a.send(B, "m4"));
  }

  @Test
  void lostFramesAreSentAgainOnRetransmit() {
    ReliableLinks<String> a = links(A, 1);
    ReliableLinks<String> b = links(B, 1);
    a.send(B, "m1");
    frames(a); // lost
    assertEquals(List.of(), frames(a), "nothing new to send until a retransmission round");
    a.retransmitAll();
    List<String> got = frames(a).stream().flatMap(f -> b.receive(A, f).stream()).toList();
    assertEquals(List.of("m1"), got);
  }

  @Test
  void roomLimitLeavesTheRestUnacknowledgedForLater() {
    ReliableLinks<String> a = links(A, 1);
    ReliableLinks<String> b = links(B, 1);
    a.send(B, "m1");
    a.send(B, "m2");
    LinkFrame<String> f = frames(a).get(0);
    assertEquals(List.of("m1"), b.receive(A, f, 1));
    LinkFrame<String> ack = frames(b).get(0);
    assertEquals(1, ack.ack(), "only m1 is acknowledged");
    a.receive(B, ack);
    a.retransmitAll();
    assertTrue(frames(a).stream().allMatch(frame -> frame.payloads().isEmpty()),
        "the ack just advanced: the link works, no resend yet");
    a.retransmitAll();
    assertEquals(List.of("m2"), b.receive(A, frames(a).get(0)), "stalled for a tick: resend");
  }

  @Test
  void restartedPeerGetsANewLinkWithWhatWasUnacknowledged() {
    ReliableLinks<String> a = links(A, 1);
    ReliableLinks<String> b1 = links(B, 1);
    a.send(B, "m1");
    b1.receive(A, frames(a).get(0));
    a.receive(B, frames(b1).get(0)); // m1 acknowledged by b#1
    a.send(B, "m2");
    frames(a); // lost; b#1 crashes
    ReliableLinks<String> b2 = links(B, 2);
    b2.send(A, "hello");
    assertEquals(List.of("hello"), a.receive(B, frames(b2).get(0)));
    // a learned of b#2: m2 goes out again as seq 1 of the new link; m1 is not resent.
    List<String> got = frames(a).stream().flatMap(f -> b2.receive(A, f).stream()).toList();
    assertEquals(List.of("m2"), got);
  }

  @Test
  void framesFromAnOldIncarnationOrForAnOldSelfAreIgnored() {
    ReliableLinks<String> a = links(A, 3);
    ReliableLinks<String> b = links(B, 2);
    b.send(A, "new");
    assertEquals(List.of("new"), a.receive(B, frames(b).get(0)));
    assertEquals(List.of(), a.receive(B, new LinkFrame<>(1, 0, 0, 1, List.of("stale"))));
    assertEquals(List.of(), a.receive(B, new LinkFrame<>(2, 2, 0, 2, List.of("for a#2"))));
  }

  @Test
  void badInputIsRejectedWithoutThrowingOrNamedWhenItIsTheCallersOwn() {
    ReliableLinks<String> a = links(A, 1);
    assertEquals(List.of(), a.receive(NodeId.of("zed"), new LinkFrame<>(1, 0, 0, 1, List.of("x"))));
    assertEquals(List.of(), a.receive(B, null));
    assertEquals(2, a.rejectedFrames());
    var e = assertThrows(IllegalArgumentException.class, () -> a.send(NodeId.of("zed"), "x"));
    assertTrue(e.getMessage().contains("unknown peer zed"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LinkFrame<>(0, 0, 0, 1, List.of()));
    var s = assertThrows(IllegalArgumentException.class, () -> new LinkSettings(0, 1, 1_000_000));
    assertTrue(s.getMessage().contains("sendBufferPerPeer must be in [1, 1048576], got 0"));
  }
}
