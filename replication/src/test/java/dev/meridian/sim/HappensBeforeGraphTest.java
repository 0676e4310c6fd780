package dev.meridian.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ground-truth happens-before relation that clock checkers are judged against. */
class HappensBeforeGraphTest {

  @Test
  void programOrderRelatesEventsOfOneProcess() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    int a1 = g.add("p", 0, -1);
    int a2 = g.add("p", 1, -1);
    int a3 = g.add("p", 2, -1);
    assertEquals(0, a1);
    assertEquals(1, a2);
    assertEquals(2, a3);
    assertTrue(g.happensBefore(a1, a2));
    assertTrue(g.happensBefore(a2, a3));
    assertTrue(g.happensBefore(a1, a3));
    assertFalse(g.happensBefore(a2, a1));
    assertFalse(g.happensBefore(a3, a1));
    // Irreflexive.
    assertFalse(g.happensBefore(a2, a2));
    assertEquals(3, g.size());
  }

  @Test
  void aMessageRelatesItsSendToItsReceive() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    int q0 = g.add("q", 10, -1);
    int send = g.add("p", 11, -1);
    int receive = g.add("q", 12, 11);
    assertTrue(g.happensBefore(send, receive));
    assertTrue(g.happensBefore(q0, receive));
    assertFalse(g.happensBefore(receive, send));
    // Before the receive, q's first event and the send were concurrent.
    assertFalse(g.happensBefore(q0, send));
    assertFalse(g.happensBefore(send, q0));
  }

  @Test
  void happensBeforeIsTransitiveAcrossThreeProcesses() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    int p1 = g.add("p", 0, -1);          // p: local
    int p2 = g.add("p", 1, -1);          // p: send to q
    int r1 = g.add("r", 2, -1);          // r: local, concurrent with all of p's so far
    int q1 = g.add("q", 3, 1);           // q: receive from p
    int q2 = g.add("q", 4, -1);          // q: send to r
    int r2 = g.add("r", 5, 4);           // r: receive from q
    int p3 = g.add("p", 6, -1);          // p: local after its send

    assertTrue(g.happensBefore(p1, r2), "p1 → p2 → q1 → q2 → r2");
    assertTrue(g.happensBefore(p2, r2));
    assertTrue(g.happensBefore(q1, r2));
    assertTrue(g.happensBefore(r1, r2));
    assertFalse(g.happensBefore(r2, p3));
    assertFalse(g.happensBefore(p3, r2));
    // Concurrent pairs: neither happened before the other.
    for (int[] pair : new int[][] {{r1, p1}, {r1, p2}, {r1, q1}, {r1, q2}, {p3, q1}, {p3, q2},
        {p3, r1}}) {
      assertFalse(g.happensBefore(pair[0], pair[1]), pair[0] + " → " + pair[1]);
      assertFalse(g.happensBefore(pair[1], pair[0]), pair[1] + " → " + pair[0]);
    }
    assertEquals(7, g.size());
  }

  @Test
  void directPredecessorsAreProgramOrderThenTheSend() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    int p1 = g.add("p", 0, -1);
    int q1 = g.add("q", 1, -1);
    int q2 = g.add("q", 2, 0);
    int r1 = g.add("r", 3, 2);
    assertArrayEquals(new int[] {}, g.directPredecessors(p1));
    assertArrayEquals(new int[] {}, g.directPredecessors(q1));
    assertArrayEquals(new int[] {q1, p1}, g.directPredecessors(q2));
    assertArrayEquals(new int[] {q2}, g.directPredecessors(r1));
    // A copy: changing it leaves the graph alone.
    g.directPredecessors(q2)[0] = 99;
    assertArrayEquals(new int[] {q1, p1}, g.directPredecessors(q2));
    // Not direct, but still before.
    assertTrue(g.happensBefore(p1, r1));
  }

  @Test
  void eventOfStepMapsStepsToEvents() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    g.add("p", 7, -1);
    g.add("q", 3, 7);
    assertEquals(0, g.eventOfStep(7));
    assertEquals(1, g.eventOfStep(3));
    assertEquals(-1, g.eventOfStep(4));
  }

  @Test
  void aStepCanHaveOnlyOneEvent() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    g.add("p", 5, -1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.add("q", 5, -1));
    assertTrue(e.getMessage().contains("step 5 already has an event"), e.getMessage());
    assertEquals(1, g.size());
  }

  @Test
  void anUnknownCauseIsRefusedAndLeavesTheGraphUnchanged() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    g.add("p", 0, -1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.add("p", 2, 1));
    assertTrue(e.getMessage().contains("cause step 1 of step 2"), e.getMessage());
    assertEquals(1, g.size());
    assertEquals(-1, g.eventOfStep(2));
    // The step can still be added properly, and program order picks up where it was.
    int second = g.add("p", 2, -1);
    assertEquals(1, second);
    assertArrayEquals(new int[] {0}, g.directPredecessors(second));
  }

  @Test
  void agreesWithTheSimulatorsCausalLinks() {
    HappensBeforeGraph g = new HappensBeforeGraph();
    java.util.List<Step<SimTestSupport.Ping>> steps = new java.util.ArrayList<>();
    Simulation.<SimTestSupport.Ping>builder()
        .seed(4)
        .members(SimTestSupport.nodes(3))
        .cores(ctx -> new SimTestSupport.Chatter(ctx, 5 * SimTestSupport.MS))
        .phases(100 * SimTestSupport.MS, 0)
        .observer(s -> {
          g.add(s.node() + "#" + s.incarnation(), s.stepIndex(), s.sendStep());
          steps.add(s);
        })
        .build()
        .run();
    assertEquals(steps.size(), g.size());
    for (Step<SimTestSupport.Ping> s : steps) {
      int e = g.eventOfStep(s.stepIndex());
      if (s.previousStep() >= 0) {
        assertTrue(g.happensBefore(g.eventOfStep(s.previousStep()), e));
      }
      if (s.sendStep() >= 0) {
        assertTrue(g.happensBefore(g.eventOfStep(s.sendStep()), e));
        assertFalse(g.happensBefore(e, g.eventOfStep(s.sendStep())));
      }
    }
  }
}
