package dev.meridian.core.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.membership.View;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MembershipCoreTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");
  private static final long MS = 1_000_000L;
  private static final MembershipCore.Settings SETTINGS = new MembershipCore.Settings(
      new DetectorSettings(DetectorSettings.Kind.TIMEOUT, 10 * MS, 50 * MS, 8, 100), 100 * MS, 0,
      new LinkSettings(64, 16, 20 * MS));

  private static List<Object> delivered(List<Effect<LinkFrame<MemberWire>>> effects) {
    List<Object> out = new ArrayList<>();
    for (Effect<LinkFrame<MemberWire>> e : effects) {
      if (e instanceof Effect.Deliver<LinkFrame<MemberWire>> d) {
        out.add(d.value());
      }
    }
    return out;
  }

  @Test
  void aFounderStartsInViewOneAndACutOffMemberBlocksNamingTheMissingQuorum() {
    MembershipCore a = new MembershipCore(A, 1, List.of(A, B, C), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(1));
    List<Object> out = delivered(a.handle(new Event.Start<>(new Now(0, 0))));
    assertEquals(List.of(new MembershipCore.Installed(View.initial(List.of(A, B, C)),
        List.of(A, B, C), Set.of(), Set.of())), out, "the founding view: everyone joined");
    // b and c never answer: after the suspicion timeout a is alone, a minority of three.
    List<Object> later = new ArrayList<>();
    for (long t = 10 * MS; t <= 200 * MS; t += 10 * MS) {
      later.addAll(delivered(a.handle(new Event.Timer<>(MembershipCore.TICK_TIMER,
          new Now(t, t)))));
      a.flush();
    }
    assertEquals(1, later.size(), "blocked once, no view installed: " + later);
    MembershipCore.Blocked blocked = (MembershipCore.Blocked) later.get(0);
    assertTrue(blocked.reason().contains("a reaches only 1 of the 3 members of view 1 [a, b, c];"
        + " a majority (2) is needed"), blocked.reason());
    assertEquals(View.initial(List.of(A, B, C)), a.view(), "a minority never changes the view");
  }

  @Test
  void aLaterIncarnationStartsInNoViewAndAsksToJoin() {
    MembershipCore a2 = new MembershipCore(A, 2, List.of(A, B, C), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(1));
    assertEquals(List.of(), delivered(a2.handle(new Event.Start<>(new Now(0, 0)))));
    assertEquals(null, a2.view());
    a2.handle(new Event.Timer<>(MembershipCore.TICK_TIMER, new Now(10 * MS, 10 * MS)));
    long joins = a2.flush().stream()
        .filter(e -> e instanceof Effect.Send<LinkFrame<MemberWire>> s
            && s.payload().payloads().stream().anyMatch(MemberWire.Join.class::isInstance))
        .count();
    assertEquals(2, joins, "a Join to each other node");
  }
}
