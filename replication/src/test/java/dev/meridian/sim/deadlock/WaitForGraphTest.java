package dev.meridian.sim.deadlock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.meridian.NodeId;
import dev.meridian.sim.deadlock.LockMessage.LockId;
import dev.meridian.sim.deadlock.LockMessage.TxnEdge;
import dev.meridian.sim.deadlock.LockMessage.TxnId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The wait-for graph the snapshot detector reads off a cut: tables plus messages in flight. */
class WaitForGraphTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final LockId LA = new LockId(A, 0);
  private static final LockId LB = new LockId(B, 0);
  private static final TxnId T1 = new TxnId(NodeId.of("p"), 1);
  private static final TxnId T2 = new TxnId(NodeId.of("q"), 1);

  /** a's lock held by T1, T2 queued; b's lock held by T2, T1 queued (or as given). */
  private static Map<NodeId, LockTables> tables(List<TxnId> queueA, List<TxnId> queueB) {
    Map<NodeId, LockTables> states = new TreeMap<>();
    states.put(A, LockTables.of(Map.of(LA, new LockTables.Entry(T1, queueA)), List.of()));
    states.put(B, LockTables.of(Map.of(LB, new LockTables.Entry(T2, queueB)), List.of()));
    return states;
  }

  @Test
  void aCycleOfQueuedWaitersIsADeadlock() {
    List<List<TxnEdge>> cycles =
        WaitForGraph.fromSnapshot(tables(List.of(T2), List.of(T1)), List.of()).cycles();
    assertEquals(List.of(List.of(new TxnEdge(T1, LB, T2), new TxnEdge(T2, LA, T1))), cycles);
  }

  @Test
  void aReleaseInFlightMeansTheHolderHoldsNoMore() {
    // T1 released a's lock before the cut; a received the release after it.
    assertEquals(List.of(), WaitForGraph.fromSnapshot(tables(List.of(T2), List.of(T1)),
        List.of(new LockMessage.Release(LA, T1))).cycles());
  }

  @Test
  void aRequestInFlightMeansTheRequesterWaits() {
    assertEquals(1, WaitForGraph.fromSnapshot(tables(List.of(T2), List.of()),
        List.of(new LockMessage.Request(LB, T1))).cycles().size());
  }

  @Test
  void aCancelInFlightMeansTheWaiterWaitsNoMore() {
    assertEquals(List.of(), WaitForGraph.fromSnapshot(tables(List.of(T2), List.of(T1)),
        List.of(new LockMessage.Cancel(LB, T1))).cycles());
  }

  @Test
  void anOutboxCountsAsInFlight() {
    Map<NodeId, LockTables> states = tables(List.of(T2), List.of(T1));
    states.put(NodeId.of("p"), LockTables.of(Map.of(),
        List.of(new LockTables.Outgoing(A, new LockMessage.Release(LA, T1)))));
    List<LockMessage> inFlight = WaitForGraph.inFlight(Map.of(), states);
    assertEquals(List.of(new LockMessage.Release(LA, T1)), inFlight);
    assertEquals(List.of(), WaitForGraph.fromSnapshot(states, inFlight).cycles());
  }

  @Test
  void cyclesAreReportedOnceFromTheirSmallestWaiter() {
    WaitForGraph g = new WaitForGraph();
    TxnId t3 = new TxnId(NodeId.of("r"), 1);
    g.add(new TxnEdge(t3, LA, T1));
    g.add(new TxnEdge(T2, LB, t3));
    g.add(new TxnEdge(T1, LB, T2));
    assertEquals(List.of(List.of(new TxnEdge(T1, LB, T2), new TxnEdge(T2, LB, t3),
        new TxnEdge(t3, LA, T1))), g.cycles());
  }
}
