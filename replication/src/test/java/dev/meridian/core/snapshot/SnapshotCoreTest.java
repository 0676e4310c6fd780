package dev.meridian.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The snapshot core driven by hand over a tiny network whose frames the test delivers, drops and
 * reorders one by one. Application messages are strings; a member's recorded state is the list of
 * messages it has received so far, so a recording's position among deliveries is visible.
 */
class SnapshotCoreTest {
  static final NodeId A = NodeId.of("a");
  static final NodeId B = NodeId.of("b");
  static final NodeId C = NodeId.of("c");
  static final List<NodeId> ALL = List.of(A, B, C);

  /** One member: its core, what its inbox got, and what it delivered. */
  static final class Member {
    final NodeId id;
    final List<String> received = new ArrayList<>();
    final List<Object> delivered = new ArrayList<>();
    SnapshotCore<String, String> core;

    Member(NodeId id, int incarnation, SnapshotSettings settings) {
      this.id = id;
      this.core = new SnapshotCore<>(id, incarnation, ALL, settings,
          snapshot -> id.value() + received, (from, m) -> received.add(from + ">" + m),
          SnapshotCore.Variant.CORRECT);
    }
  }

  /** Frames in flight per directed link, in send order. */
  static final class Net {
    final Map<NodeId, Member> members = new LinkedHashMap<>();
    final Map<String, ArrayDeque<LinkFrame<SnapshotWire<String, String>>>> inFlight =
        new LinkedHashMap<>();

    Net(SnapshotSettings settings) {
      for (NodeId id : ALL) {
        members.put(id, new Member(id, 1, settings));
        handle(id, new Event.Start<>(NOW));
      }
      Map<NodeId, Integer> view = Map.of(A, 1, B, 1, C, 1);
      for (NodeId id : ALL) {
        request(id, new SnapshotCore.ViewInstalled(1, view));
      }
    }

    Net() {
      this(SnapshotSettings.defaults());
    }

    Member m(NodeId id) {
      return members.get(id);
    }

    void request(NodeId node, Object request) {
      handle(node, new Event.Request<>(request, NOW));
    }

    void send(NodeId from, NodeId to, String message) {
      request(from, new SnapshotCore.SendMessage<>(to, message));
    }

    void handle(NodeId node, Event<LinkFrame<SnapshotWire<String, String>>> event) {
      Member m = members.get(node);
      List<Effect<LinkFrame<SnapshotWire<String, String>>>> effects =
          new ArrayList<>(m.core.handle(event));
      effects.addAll(m.core.flush());
      for (Effect<LinkFrame<SnapshotWire<String, String>>> e : effects) {
        if (e instanceof Effect.Send<LinkFrame<SnapshotWire<String, String>>> s) {
          inFlight.computeIfAbsent(node + "->" + s.to(), k -> new ArrayDeque<>())
              .addLast(s.payload());
        } else if (e instanceof Effect.Deliver<?> d) {
          m.delivered.add(d.value());
        }
      }
    }

    /** Delivers the oldest frame on {@code from -> to}; false if there is none. */
    boolean deliver(NodeId from, NodeId to) {
      ArrayDeque<LinkFrame<SnapshotWire<String, String>>> q = inFlight.get(from + "->" + to);
      if (q == null || q.isEmpty()) {
        return false;
      }
      handle(to, new Event.Message<>(from, q.removeFirst(), NOW));
      return true;
    }

    /** Loses the oldest frame on {@code from -> to}. */
    void lose(NodeId from, NodeId to) {
      inFlight.get(from + "->" + to).removeFirst();
    }

    /** Delivers the newest frame on {@code from -> to} ahead of the older ones. */
    void deliverNewest(NodeId from, NodeId to) {
      handle(to, new Event.Message<>(from, inFlight.get(from + "->" + to).removeLast(), NOW));
    }

    /** Delivers everything in flight, link by link in a fixed order, until nothing is left. */
    void settle() {
      boolean moved = true;
      while (moved) {
        moved = false;
        for (NodeId from : ALL) {
          for (NodeId to : ALL) {
            moved |= deliver(from, to);
          }
        }
      }
    }

    void retransmit(NodeId node) {
      handle(node, new Event.Timer<>(SnapshotCore.RETRANSMIT_TIMER, NOW));
    }

    <T> List<T> delivered(NodeId node, Class<T> type) {
      return m(node).delivered.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  static final Now NOW = new Now(0, 0);

  @SuppressWarnings("unchecked")
  static SnapshotCore.SnapshotCompleted<String, String> completed(Net net, NodeId initiator) {
    List<SnapshotCore.SnapshotCompleted> done =
        net.delivered(initiator, SnapshotCore.SnapshotCompleted.class);
    assertEquals(1, done.size(), "completed snapshots at " + initiator + ": "
        + net.m(initiator).delivered);
    return done.get(0);
  }

  @Test
  void aMessageSentBeforeTheSendersCutAndReceivedAfterTheReceiversIsInTheChannel() {
    Net net = new Net();
    net.send(B, A, "x1"); // before b records: in flight across the cut once a has recorded
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.deliver(B, A); // x1 reaches a after a recorded, before b's marker
    net.settle();
    net.send(B, A, "late"); // after everything: outside the snapshot entirely
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, A);
    assertEquals(new SnapshotId(A, 1), s.snapshot().id());
    assertEquals("a[]", s.states().get(A), "a recorded before x1 arrived");
    assertEquals("b[]", s.states().get(B));
    assertEquals(List.of("x1"), s.inFlight(B, A));
    assertEquals(List.of(), s.inFlight(A, B));
    assertEquals(List.of("x1"), s.snapshot().inFlight(B, A), "the rendered form agrees");
    assertEquals(List.of("b>x1", "b>late"), net.m(A).received);
    assertEquals(6, s.snapshot().channels().size(), "every directed channel among 3 members");
  }

  @Test
  void aMessageSentAfterTheSendersCutIsNeitherInTheStateNorInTheChannel() {
    Net net = new Net();
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.deliver(A, B); // b records and sends its markers
    net.send(B, C, "after-cut");
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, A);
    assertEquals("c[]", s.states().get(C), "c's marker from b came before after-cut");
    assertEquals(List.of(), s.inFlight(B, C));
    assertEquals(List.of("b>after-cut"), net.m(C).received);
  }

  @Test
  void oneFrameWithMessagesOnBothSidesOfAMarkerIsSplitAtTheMarker() {
    Net net = new Net();
    Member a = net.m(A);
    // Three events in one turn, so their payloads share one frame: m1, marker, m2.
    a.core.handle(new Event.Request<>(new SnapshotCore.SendMessage<>(B, "m1"), NOW));
    a.core.handle(new Event.Request<>(new SnapshotCore.TakeSnapshot(), NOW));
    a.core.handle(new Event.Request<>(new SnapshotCore.SendMessage<>(B, "m2"), NOW));
    List<Effect<LinkFrame<SnapshotWire<String, String>>>> flushed = a.core.flush();
    LinkFrame<SnapshotWire<String, String>> toB = flushed.stream()
        .map(e -> (Effect.Send<LinkFrame<SnapshotWire<String, String>>>) e)
        .filter(s -> s.to().equals(B)).findFirst().orElseThrow().payload();
    assertEquals(3, toB.payloads().size(), toB.toString());
    for (Effect<LinkFrame<SnapshotWire<String, String>>> e : flushed) {
      Effect.Send<LinkFrame<SnapshotWire<String, String>>> s =
          (Effect.Send<LinkFrame<SnapshotWire<String, String>>>) e;
      net.inFlight.computeIfAbsent(A + "->" + s.to(), k -> new ArrayDeque<>())
          .addLast(s.payload());
    }
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, A);
    assertEquals("b[a>m1]", s.states().get(B), "b recorded after m1 and before m2");
    assertEquals(List.of(), s.inFlight(A, B));
    assertEquals(List.of("a>m1", "a>m2"), net.m(B).received);
  }

  @Test
  void concurrentSnapshotsKeepTheirOwnCutsAndRecordings() {
    Net net = new Net();
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.send(C, B, "c1"); // before c's cut for both snapshots
    net.request(C, new SnapshotCore.TakeSnapshot());
    net.send(A, B, "a1"); // after a's cut for a/1 and, once c's marker arrives, for c/1 too
    net.deliver(C, B); // b: c's marker for c/1 is behind c1, so c1 arrives first
    net.deliver(A, B); // a/1's marker
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> fromA = completed(net, A);
    SnapshotCore.SnapshotCompleted<String, String> fromC = completed(net, C);
    assertEquals(new SnapshotId(C, 1), fromC.snapshot().id());
    // a/1: b recorded at a's marker, after c1; c1 was sent before c's cut (c recorded on a's
    // marker later), so c1 is in b's state, not in flight.
    assertEquals("b[c>c1]", fromA.states().get(B));
    assertEquals(List.of(), fromA.inFlight(C, B));
    // c/1: b got c1 before c's marker for c/1 (FIFO), and c1 was sent before c recorded.
    assertTrue(fromC.states().get(B).contains("c>c1"), fromC.states().toString());
    assertEquals(List.of(), fromC.inFlight(A, B), "a1 follows a's marker for c/1? "
        + fromC.inFlight(A, B));
    assertEquals(0, net.m(A).core.collecting());
    assertEquals(0, net.m(B).core.participations());
  }

  @Test
  void lostAndReorderedFramesAreRepairedByTheLinks() {
    Net net = new Net();
    net.send(B, A, "x1");
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.lose(A, B); // the marker to b is lost
    net.send(B, A, "x2");
    net.deliverNewest(B, A); // x2 overtakes x1: the link holds it back until x1 arrives
    assertEquals(List.of(), net.m(A).received);
    net.settle();
    assertEquals(List.of("b>x1", "b>x2"), net.m(A).received);
    assertTrue(net.delivered(A, SnapshotCore.SnapshotCompleted.class).isEmpty(),
        "b never got its marker");
    net.retransmit(A);
    net.retransmit(A); // the first tick notes the ack, the second finds it stuck and resends
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, A);
    assertEquals(List.of("x1", "x2"), s.inFlight(B, A), "both sent before b recorded");
    assertEquals("b[]", s.states().get(B));
  }

  @Test
  void aViewWithoutAMemberFailsTheSnapshotNamingIt() {
    Net net = new Net();
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.deliver(A, B);
    net.deliver(B, A);
    // c never answers; the membership layer removes it.
    net.request(A, new SnapshotCore.ViewInstalled(2, Map.of(A, 1, B, 1)));
    List<SnapshotCore.SnapshotFailed> failed =
        net.delivered(A, SnapshotCore.SnapshotFailed.class);
    assertEquals(1, failed.size());
    assertEquals(C, failed.get(0).member());
    assertEquals("snapshot a/1 failed: member c left it (not in view 2)",
        failed.get(0).exception().getMessage());
    assertEquals(0, net.m(A).core.collecting());
    // b drops its part when it installs the view too; late markers do not revive it.
    net.request(B, new SnapshotCore.ViewInstalled(2, Map.of(A, 1, B, 1)));
    assertEquals(0, net.m(B).core.participations());
    net.settle();
    assertTrue(net.delivered(A, SnapshotCore.SnapshotCompleted.class).isEmpty());
    assertEquals(1, net.delivered(A, SnapshotCore.SnapshotFailed.class).size());
  }

  @Test
  void aLateViewOlderThanTheSnapshotsOwnDoesNotDropTheMembersPart() {
    Net net = new Net();
    // c is removed in view 2 and back, same incarnation, in view 3. c and a install both; b has
    // seen neither when c's marker (view 3) reaches it.
    Map<NodeId, Integer> withoutC = Map.of(A, 1, B, 1);
    Map<NodeId, Integer> all = Map.of(A, 1, B, 1, C, 1);
    net.request(A, new SnapshotCore.ViewInstalled(2, withoutC));
    net.request(A, new SnapshotCore.ViewInstalled(3, all));
    net.request(C, new SnapshotCore.ViewInstalled(3, all));
    net.request(C, new SnapshotCore.TakeSnapshot());
    net.deliver(C, B);
    assertEquals(1, net.m(B).core.participations(), "b takes part on c's marker");
    // View 2 reaches b only now. c's departure in it came before the snapshot's view 3, which has
    // c again: it says nothing about this snapshot.
    net.request(B, new SnapshotCore.ViewInstalled(2, withoutC));
    assertEquals(1, net.m(B).core.participations(), "b kept its part");
    net.request(B, new SnapshotCore.ViewInstalled(3, all));
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, C);
    assertEquals(3, s.snapshot().viewId());
    assertTrue(net.delivered(C, SnapshotCore.SnapshotFailed.class).isEmpty());
  }

  @Test
  void anInitiatorThatMissedItsOwnRemovalIsToldByTheMembersThatDroppedTheirPart() {
    Net net = new Net();
    net.request(C, new SnapshotCore.TakeSnapshot());
    net.deliver(C, A);
    net.deliver(C, B);
    assertEquals(1, net.m(A).core.participations());
    assertEquals(1, net.m(B).core.participations());
    // The membership layer removes c in view 2 and takes it back, same incarnation, in view 3. c
    // never hears of view 2 (its announcement is lost); a and b do, and drop their part.
    Map<NodeId, Integer> withoutC = Map.of(A, 1, B, 1);
    Map<NodeId, Integer> all = Map.of(A, 1, B, 1, C, 1);
    for (NodeId m : List.of(A, B)) {
      net.request(m, new SnapshotCore.ViewInstalled(2, withoutC));
      assertEquals(0, net.m(m).core.participations());
    }
    for (NodeId m : ALL) {
      net.request(m, new SnapshotCore.ViewInstalled(3, all));
    }
    net.settle();
    // c's view 3 has everyone at the same incarnation, so only the others can tell it that its
    // snapshot lost its members' parts; without that it would wait forever.
    List<SnapshotCore.SnapshotFailed> failed =
        net.delivered(C, SnapshotCore.SnapshotFailed.class);
    assertEquals(1, failed.size(), net.m(C).delivered.toString());
    assertEquals(C, failed.get(0).member());
    assertTrue(failed.get(0).reason().contains("not in view 2"), failed.get(0).reason());
    assertEquals(0, net.m(C).core.collecting());
  }

  @Test
  void aRestartedMemberRefusesItsPredecessorsSnapshot() {
    Net net = new Net();
    net.request(A, new SnapshotCore.TakeSnapshot());
    // c crashes before the marker arrives and restarts as incarnation 2, knowing no view.
    net.members.put(C, new Member(C, 2, SnapshotSettings.defaults()));
    net.handle(C, new Event.Start<>(NOW));
    net.settle();
    List<SnapshotCore.SnapshotFailed> failed =
        net.delivered(A, SnapshotCore.SnapshotFailed.class);
    assertEquals(1, failed.size(), net.m(A).delivered.toString());
    assertEquals(C, failed.get(0).member());
    assertTrue(failed.get(0).reason().contains("incarnation 1 replaced by 2"),
        failed.get(0).reason());
    assertTrue(net.delivered(A, SnapshotCore.SnapshotCompleted.class).isEmpty());
  }

  @Test
  void withoutAViewASnapshotFailsAtOnce() {
    Member lone = new Member(A, 1, SnapshotSettings.defaults());
    List<Effect<LinkFrame<SnapshotWire<String, String>>>> out =
        lone.core.handle(new Event.Request<>(new SnapshotCore.TakeSnapshot(), NOW));
    SnapshotCore.SnapshotFailed f = assertInstanceOf(SnapshotCore.SnapshotFailed.class,
        ((Effect.Deliver<?>) out.get(1)).value());
    assertEquals(A, f.member());
    assertEquals("no view installed yet", f.reason());
  }

  @Test
  void applicationSendsLeaveRoomForMarkers() {
    SnapshotSettings small = new SnapshotSettings(new LinkSettings(8, 4, 50_000_000L), 3, 16);
    Net net = new Net(small);
    for (int i = 0; i < 7; i++) {
      net.send(A, B, "m" + i); // never delivered: the buffer to b fills
    }
    List<SnapshotCore.SendRefused> refused = net.delivered(A, SnapshotCore.SendRefused.class);
    assertEquals(2, refused.size(), "5 of 8 places are for the application");
    assertEquals(0, net.m(A).core.sendCapacity(B));
    net.request(A, new SnapshotCore.TakeSnapshot());
    net.settle();
    SnapshotCore.SnapshotCompleted<String, String> s = completed(net, A);
    // All five were sent before a's cut. b may record (on c's marker) before some arrive: each
    // is then in flight. Either way each is in b's state or in the channel, in order, once.
    List<String> accounted = new ArrayList<>();
    String state = s.states().get(B);
    for (String part : state.substring(2, state.length() - 1).split(", ")) {
      if (!part.isEmpty()) {
        accounted.add(part.substring(2));
      }
    }
    accounted.addAll(s.inFlight(A, B));
    assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), accounted, s.states() + " " + s.inFlight());
  }
}
