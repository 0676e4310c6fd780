package dev.meridian.core.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sequencer's places travel in {@link MemberWire.OrderBatch}es, one per turn, and only while
 * every member's link has room: a place is never dropped, even when a slow member's link is full
 * (before batching, a full link dropped the order, and that member delivered nothing after it
 * for the rest of the view).
 */
class TotalOrderBatchingTest {
  private static final NodeId A = NodeId.of("a"); // the oldest: the sequencer
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");
  private static final long MS = 1_000_000L;
  // small link buffers, so that a member that does not acknowledge fills them quickly
  private static final MembershipCore.Settings SETTINGS = new MembershipCore.Settings(
      new DetectorSettings(DetectorSettings.Kind.TIMEOUT, 10 * MS, 50 * MS, 8, 100), 100 * MS, 0,
      new LinkSettings(64, 16, 20 * MS));

  private final Map<NodeId, MembershipCore> cores = new LinkedHashMap<>();
  private final Map<NodeId, List<String>> totalOrder = new HashMap<>();
  private final Map<NodeId, java.util.Set<MemberWire>> orderBatchesSent = new HashMap<>();
  private final ArrayDeque<Object[]> network = new ArrayDeque<>(); // {from, to, frame}
  private final List<Object[]> held = new ArrayList<>();
  private final Now now = new Now(0, 0);

  @Test
  void aMemberWhoseLinksFillUpStillGetsEveryPlace() {
    for (NodeId n : List.of(A, B, C)) {
      MembershipCore core = new MembershipCore(n, 1, List.of(A, B, C), SETTINGS,
          MembershipCore.Variant.CORRECT, new SplittableRandom(1));
      cores.put(n, core);
      totalOrder.put(n, new ArrayList<>());
      route(n, core.handle(new Event.Start<>(now)));
      route(n, core.flush());
    }
    run(null);
    // b hears nothing for a while: a's and c's links to it fill up, but they keep sending
    // to each other (a places c's messages and its own) as far as back-pressure lets them.
    // One submit per turn: a turn of the sequencer's that places something sends a batch.
    int submitted = 0;
    for (int round = 0; round < 100; round++) {
      for (NodeId n : List.of(A, C, B)) {
        MembershipCore core = cores.get(n);
        route(n, core.handle(new Event.Request<>(new MembershipCore.Submit(
            new byte[] {(byte) round}, true, n + "-" + round), now)));
        route(n, core.flush());
        submitted++;
        run(B);
      }
    }
    assertTrue(totalOrder.get(A).size() < submitted, "back-pressure held some submits back");
    run(null); // b hears everything now
    for (int i = 0; i < 5; i++) { // what waited for room goes out as acknowledgements come
      for (NodeId n : List.of(A, B, C)) {
        route(n, cores.get(n).flush());
      }
      run(null);
    }
    assertEquals(submitted, totalOrder.get(A).size(), "a applied every submit");
    assertEquals(totalOrder.get(A), totalOrder.get(B), "b applied them in a's order");
    assertEquals(totalOrder.get(A), totalOrder.get(C), "c applied them in a's order");
    int batches = orderBatchesSent.get(A).size();
    assertTrue(batches < submitted, "places go out in batches: " + batches + " for "
        + submitted);
    assertEquals(List.of(A), List.copyOf(orderBatchesSent.keySet()), "only the sequencer orders");
  }

  /** Carries frames until none is left, holding back those to {@code deaf} (null: none). */
  private void run(NodeId deaf) {
    if (deaf == null) {
      network.addAll(held);
      held.clear();
    }
    for (Object[] f; (f = network.poll()) != null; ) {
      NodeId from = (NodeId) f[0];
      NodeId to = (NodeId) f[1];
      if (to.equals(deaf)) {
        held.add(f);
        continue;
      }
      @SuppressWarnings("unchecked")
      LinkFrame<MemberWire> frame = (LinkFrame<MemberWire>) f[2];
      MembershipCore core = cores.get(to);
      route(to, core.handle(new Event.Message<>(from, frame, now)));
      route(to, core.flush());
    }
  }

  private void route(NodeId self, List<Effect<LinkFrame<MemberWire>>> effects) {
    for (Effect<LinkFrame<MemberWire>> e : effects) {
      if (e instanceof Effect.Send<LinkFrame<MemberWire>> s) {
        for (MemberWire w : s.payload().payloads()) {
          if (w instanceof MemberWire.OrderBatch) {
            orderBatchesSent.computeIfAbsent(self,
                k -> java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>())).add(w);
          }
          assertTrue(!(w instanceof MemberWire.Order), "single orders are not sent any more");
        }
        network.add(new Object[] {self, s.to(), s.payload()});
      } else if (e instanceof Effect.Deliver<LinkFrame<MemberWire>> d
          && d.value() instanceof MembershipCore.Delivered del && del.app().total()) {
        totalOrder.get(self).add(del.app().sender() + "#" + del.app().seq());
      }
    }
  }
}
