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
  void viewIncarnationsAreReportedOnlyWhenAskedAndOnceEveryFounderWasHeardFrom() {
    // The simulator's founders are all incarnation 1: known at once.
    MembershipCore sim = new MembershipCore(A, 1, List.of(A, B), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(1));
    sim.reportViewIncarnations();
    List<Object> started = delivered(sim.handle(new Event.Start<>(new Now(0, 0))));
    assertEquals(new MembershipCore.ViewIncarnations(View.initial(List.of(A, B)),
        java.util.Map.of(A, 1, B, 1)), started.get(1), started.toString());
    // Real founders learn each other's incarnations from their first frames.
    MembershipCore a = new MembershipCore(A, 7, true, List.of(A, B), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(2), GroupState.NONE);
    MembershipCore b = new MembershipCore(B, 9, true, List.of(A, B), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(3), GroupState.NONE);
    a.reportViewIncarnations();
    List<Object> atStart = delivered(a.handle(new Event.Start<>(new Now(0, 0))));
    assertEquals(1, atStart.size(), "only Installed while b's incarnation is unknown: " + atStart);
    b.handle(new Event.Start<>(new Now(0, 0)));
    List<Object> heard = new ArrayList<>();
    for (long t = 10 * MS; t <= 30 * MS && heard.isEmpty(); t += 10 * MS) {
      List<Effect<LinkFrame<MemberWire>>> fromB = new ArrayList<>(b.handle(
          new Event.Timer<>(MembershipCore.TICK_TIMER, new Now(t, t))));
      fromB.addAll(b.flush());
      for (Effect<LinkFrame<MemberWire>> e : fromB) {
        if (e instanceof Effect.Send<LinkFrame<MemberWire>> send && send.to().equals(A)) {
          heard.addAll(delivered(a.handle(new Event.Message<>(B, send.payload(),
              new Now(t, t)))));
        }
      }
    }
    assertEquals(List.of(new MembershipCore.ViewIncarnations(View.initial(List.of(A, B)),
        java.util.Map.of(A, 7, B, 9))), heard);
    // Without asking, nothing new is delivered.
    MembershipCore quiet = new MembershipCore(A, 1, List.of(A, B), SETTINGS,
        MembershipCore.Variant.CORRECT, new SplittableRandom(1));
    assertEquals(1, delivered(quiet.handle(new Event.Start<>(new Now(0, 0)))).size());
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
