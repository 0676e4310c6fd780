package dev.meridian.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class InMemoryTransportTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");

  private InMemoryNetwork network;

  @AfterEach
  void closeNetwork() {
    if (network != null) {
      network.close();
    }
  }

  @Test
  void deliversEveryFrameInOrderOnTheReceiversOwnThread() throws Exception {
    network = new InMemoryNetwork(List.of(A, B, C));
    InMemoryTransport a = network.transport(A);
    InMemoryTransport b = network.transport(B);
    InMemoryTransport c = network.transport(C);
    SequenceRecorder atC = new SequenceRecorder();
    a.start(new SequenceRecorder());
    b.start(new SequenceRecorder());
    c.start(atC);
    int n = 20_000;
    Thread fromA = sender(a, C, n);
    Thread fromB = sender(b, C, n);
    fromA.start();
    fromB.start();
    assertTrue(atC.await(r -> r.last(A) == n && r.last(B) == n, 5_000),
        "c got " + atC.count(A) + " from a and " + atC.count(B) + " from b");
    assertEquals(List.of(), atC.violations());
    assertEquals(n, atC.count(A));
    assertEquals(n, atC.count(B));
    assertFalse(atC.threads().contains(fromA), "a frame was delivered on its sender's thread");
    assertFalse(atC.threads().contains(fromB), "a frame was delivered on its sender's thread");
    assertEquals(1, atC.threads().size(), "one delivery thread per receiver");
  }

  private static Thread sender(Transport t, NodeId to, int n) {
    return new Thread(() -> {
      for (int seq = 1; seq <= n; seq++) {
        if (!t.send(to, SequenceRecorder.frame(seq, 16))) {
          throw new AssertionError("queue full at frame " + seq);
        }
      }
    }, "test-sender-" + t.self());
  }

  @Test
  void cutDropsFramesOneWayAndHealRestoresDelivery() throws Exception {
    network = new InMemoryNetwork(List.of(A, B));
    InMemoryTransport a = network.transport(A);
    InMemoryTransport b = network.transport(B);
    SequenceRecorder atA = new SequenceRecorder();
    SequenceRecorder atB = new SequenceRecorder();
    a.start(atA);
    b.start(atB);

    network.cut(A, B);
    assertTrue(network.isCut(A, B));
    assertTrue(a.send(B, SequenceRecorder.frame(1, 8)), "a cut link accepts and loses");
    assertTrue(b.send(A, SequenceRecorder.frame(1, 8)));
    assertTrue(atA.await(r -> r.count(B) == 1, 2_000), "the other direction still works");

    network.heal(A, B);
    assertTrue(a.send(B, SequenceRecorder.frame(2, 8)));
    assertTrue(atB.await(r -> r.count(A) == 1, 2_000));
    // FIFO per link: had frame 1 survived the cut, it would have arrived before frame 2.
    assertEquals(2, atB.last(A));
    assertEquals(1, network.framesDroppedByCuts());

    network.isolate(B);
    a.send(B, SequenceRecorder.frame(3, 8));
    b.send(A, SequenceRecorder.frame(2, 8));
    network.healAll();
    a.send(B, SequenceRecorder.frame(4, 8));
    b.send(A, SequenceRecorder.frame(3, 8));
    assertTrue(atB.await(r -> r.last(A) == 4, 2_000));
    assertTrue(atA.await(r -> r.last(B) == 3, 2_000));
    assertEquals(2, atB.count(A));
    assertEquals(2, atA.count(B));
    assertEquals(List.of(), atA.violations());
    assertEquals(List.of(), atB.violations());
  }

  @Test
  void sendReturnsFalseWhenThePeersQueueIsFullAndItDrainsOnceThePeerStarts() throws Exception {
    network = new InMemoryNetwork(List.of(A, B), 100);
    InMemoryTransport a = network.transport(A);
    a.start(new SequenceRecorder());
    InMemoryTransport b = network.transport(B); // not started: "down"
    for (int seq = 1; seq <= 100; seq++) {
      assertTrue(a.send(B, SequenceRecorder.frame(seq, 8)), "frame " + seq);
    }
    assertFalse(a.send(B, SequenceRecorder.frame(101, 8)), "the 101st frame exceeds the bound");

    SequenceRecorder atB = new SequenceRecorder();
    b.start(atB);
    assertTrue(atB.await(r -> r.count(A) == 100, 2_000));
    assertEquals(100, atB.last(A));
    assertTrue(a.send(B, SequenceRecorder.frame(102, 8)), "room again once drained");
    assertTrue(atB.await(r -> r.last(A) == 102, 2_000));
    assertEquals(List.of(), atB.violations());
  }

  @Test
  void aRestartedMemberGetsANewTransportThatReceivesWhatWaits() throws Exception {
    network = new InMemoryNetwork(List.of(A, B));
    InMemoryTransport a = network.transport(A);
    a.start(new SequenceRecorder());
    InMemoryTransport b1 = network.transport(B);
    b1.start(new SequenceRecorder());
    assertThrows(IllegalStateException.class, () -> network.transport(B));
    b1.close();
    b1.close(); // idempotent
    assertFalse(b1.send(A, SequenceRecorder.frame(1, 8)), "a closed transport sends nothing");
    assertTrue(a.send(B, SequenceRecorder.frame(1, 8)));
    InMemoryTransport b2 = network.transport(B);
    SequenceRecorder atB2 = new SequenceRecorder();
    b2.start(atB2);
    assertTrue(atB2.await(r -> r.count(A) == 1, 2_000));
  }

  @Test
  void rejectsBadArguments() {
    network = new InMemoryNetwork(List.of(A, B));
    InMemoryTransport a = network.transport(A);
    assertThrows(IllegalStateException.class, () -> a.send(B, new byte[1]), "not started");
    a.start((from, frame) -> { });
    assertThrows(IllegalStateException.class, () -> a.start((from, frame) -> { }));
    assertThrows(IllegalArgumentException.class, () -> a.send(A, new byte[1]), "self");
    assertThrows(IllegalArgumentException.class, () -> a.send(C, new byte[1]), "not a member");
    assertThrows(IllegalArgumentException.class, () -> a.send(B, null));
    assertThrows(IllegalArgumentException.class, () -> network.transport(C));
    assertThrows(IllegalArgumentException.class, () -> network.cut(A, A));
    assertThrows(IllegalArgumentException.class, () -> new InMemoryNetwork(List.of(A), 0));
    assertEquals(java.util.Set.of(B), a.peers());
  }
}
