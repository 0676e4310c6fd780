package dev.meridian.core.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.PeerUnreachable;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.membership.View;
import dev.meridian.sim.DelayDistribution;
import dev.meridian.sim.NetworkModel;
import dev.meridian.sim.Simulation;
import dev.meridian.sim.Step;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short view change: a member told that a peer is gone promises the coordinator unasked
 * (so the coordinator sends it no Prepare), and it installs on learning that the whole quorum
 * accepted (so it needs no Install).
 */
class FastViewChangeTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId C = NodeId.of("c");
  private static final long MS = 1_000_000L;

  private record Sent(long at, NodeId from, NodeId to, MemberWire message) {}

  private record Install(long at, NodeId node, View view) {}

  @Test
  void aHintAtANonCoordinatorSkipsPrepareAndInstall() {
    MembershipCore.Settings settings = new MembershipCore.Settings(
        new DetectorSettings(DetectorSettings.Kind.TIMEOUT, 10 * MS, 1000 * MS, 8, 100),
        100 * MS, 0, new LinkSettings(64, 16, 20 * MS));
    List<Sent> sent = new ArrayList<>();
    List<Install> installs = new ArrayList<>();
    // c is alive: the hint about it is wrong, as hints may be. b relays it, and the group acts
    // on it the way it would on a real death (c then rejoins; not needed here).
    Simulation<LinkFrame<MemberWire>> sim = Simulation.<LinkFrame<MemberWire>>builder()
        .seed(7)
        .members(List.of(A, B, C))
        .cores(ctx -> new MembershipCore(ctx.self(), ctx.incarnation(), ctx.members(), settings,
            MembershipCore.Variant.CORRECT, ctx.random()))
        .network(new NetworkModel(DelayDistribution.uniform(MS, MS), 0, 0, 0, 0))
        .phases(400 * MS, 100 * MS)
        .request(200 * MS, B, new PeerUnreachable(C))
        .observer(step -> record(step, sent, installs))
        .build();
    sim.run();

    View two = new View(2, List.of(A, B));
    List<Install> ofTwo = installs.stream().filter(i -> i.view().equals(two)).toList();
    assertEquals(2, ofTwo.size(), "a and b install view 2 without c: " + installs);
    long hint = 200 * MS;
    List<Sent> change = sent.stream().filter(s -> s.at() >= hint && s.at() <= hint + 20 * MS
        && !(s.message() instanceof MemberWire.Heartbeat)).toList();
    assertTrue(change.stream().noneMatch(s -> s.message() instanceof MemberWire.Prepare
        && s.to().equals(B)), "b promised unasked, so a sends it no Prepare: " + change);
    assertTrue(change.stream().anyMatch(s -> s.from().equals(B) && s.to().equals(A)
        && s.message() instanceof MemberWire.Gone g && g.peer().equals(C)),
        "b tells a why it promised: " + change);
    // One hop for b's promise, one for a's Accept (b installs: a and b both accepted), one for
    // b's Accepted (a installs): three 1 ms hops, where Prepare..Install took five.
    for (Install i : ofTwo) {
      assertTrue(i.at() - hint <= 3 * MS + MS / 2, i + " later than three hops after the hint");
    }
    Install atB = ofTwo.stream().filter(i -> i.node().equals(B)).findFirst().orElseThrow();
    assertTrue(sent.stream().noneMatch(s -> s.message() instanceof MemberWire.Install
        && s.to().equals(B) && s.at() < atB.at()), "b learnt the decision, not from an Install");
  }

  private static void record(Step<LinkFrame<MemberWire>> step, List<Sent> sent,
      List<Install> installs) {
    for (Effect<LinkFrame<MemberWire>> e : step.effects()) {
      if (e instanceof Effect.Send<LinkFrame<MemberWire>> s) {
        for (MemberWire w : s.payload().payloads()) {
          sent.add(new Sent(step.trueTimeNanos(), step.node(), s.to(), w));
        }
      } else if (e instanceof Effect.Deliver<LinkFrame<MemberWire>> d
          && d.value() instanceof MembershipCore.Installed i) {
        installs.add(new Install(step.trueTimeNanos(), step.node(), i.view()));
      }
    }
  }
}
