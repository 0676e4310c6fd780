package dev.meridian.core.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CausalMulticastCoreTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final Now NOW = new Now(0, 0);

  /** Two members wired back to back; every turn's frames reach the other side at once. */
  private static final class Pair {
    final CausalMulticastCore a;
    final CausalMulticastCore b;
    final List<Object> deliveredAtA = new ArrayList<>();
    final List<Object> deliveredAtB = new ArrayList<>();

    Pair(CausalSettings settings) {
      a = new CausalMulticastCore(A, 1, List.of(A, B), settings,
          CausalMulticastCore.Variant.CORRECT);
      b = new CausalMulticastCore(B, 1, List.of(A, B), settings,
          CausalMulticastCore.Variant.CORRECT);
    }

    /** One turn at {@code node}: the event, then flush; frames it sends are handled in turn. */
    void turn(CausalMulticastCore node, Event<LinkFrame<CausalWire>> event) {
      List<Effect<LinkFrame<CausalWire>>> effects = new ArrayList<>(node.handle(event));
      effects.addAll(node.flush());
      NodeId self = node == a ? A : B;
      for (Effect<LinkFrame<CausalWire>> e : effects) {
        if (e instanceof Effect.Deliver<LinkFrame<CausalWire>> d) {
          (node == a ? deliveredAtA : deliveredAtB).add(d.value());
        } else if (e instanceof Effect.Send<LinkFrame<CausalWire>> s) {
          turn(node == a ? b : a, new Event.Message<>(self, s.payload(), NOW));
        }
      }
    }
  }

  @Test
  void aBusyGroupGossipsStabilityWithoutWaitingForTheTimer() {
    // Stability buffer of 16, gossip timer never fires: without early gossip, submits would be
    // refused once 16 updates await stability.
    CausalSettings settings =
        new CausalSettings(new LinkSettings(64, 16, 1_000_000L), 64, 16, 60_000_000_000L);
    Pair p = new Pair(settings);
    p.turn(p.a, new Event.Start<>(NOW));
    p.turn(p.b, new Event.Start<>(NOW));
    for (int i = 0; i < 1_000; i++) {
      p.turn(i % 2 == 0 ? p.a : p.b,
          new Event.Request<>(new CausalMulticastCore.Submit(new byte[] {(byte) i}, i), NOW));
    }
    long refused = p.deliveredAtA.stream().filter(CausalMulticastCore.Refused.class::isInstance)
        .count() + p.deliveredAtB.stream().filter(CausalMulticastCore.Refused.class::isInstance)
        .count();
    assertEquals(0, refused, "no submit refused");
    assertEquals(1_000, p.deliveredAtA.size());
    assertEquals(1_000, p.deliveredAtB.size());
    assertTrue(p.a.unstableCount() <= 16 && p.b.unstableCount() <= 16);
  }

  @Test
  void aFullStabilityBufferRefusesSubmitsAndSaysWhy() {
    CausalSettings settings =
        new CausalSettings(new LinkSettings(64, 16, 1_000_000L), 64, 4, 60_000_000_000L);
    CausalMulticastCore alone = new CausalMulticastCore(A, 1, List.of(A, B), settings,
        CausalMulticastCore.Variant.CORRECT);
    alone.handle(new Event.Start<>(NOW));
    List<Object> outcomes = new ArrayList<>();
    for (int i = 0; i < 5; i++) { // b never answers, so nothing becomes stable
      for (Effect<LinkFrame<CausalWire>> e : alone.handle(
          new Event.Request<>(new CausalMulticastCore.Submit(new byte[] {1}, i), NOW))) {
        if (e instanceof Effect.Deliver<LinkFrame<CausalWire>> d) {
          outcomes.add(d.value());
        }
      }
      alone.flush();
    }
    assertTrue(outcomes.get(4) instanceof CausalMulticastCore.Refused r
        && r.reason().contains("stability buffer full"), String.valueOf(outcomes.get(4)));
  }
}
