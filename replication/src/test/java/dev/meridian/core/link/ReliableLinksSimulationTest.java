package dev.meridian.core.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.NodeId;
import dev.meridian.sim.Checker;
import dev.meridian.sim.DelayDistribution;
import dev.meridian.sim.Execution;
import dev.meridian.sim.FaultModel;
import dev.meridian.sim.NetworkModel;
import dev.meridian.sim.Simulation;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reliable FIFO links under loss, duplication, reordering, link cuts, partitions and crashes:
 * per link, delivery is in send order with no gap and no duplicate; after the heal, everything
 * a live sender sent to a live receiver has been delivered to it (or to an earlier incarnation
 * of it, before it restarted).
 */
class ReliableLinksSimulationTest {
  private static final List<NodeId> NODES =
      List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"), NodeId.of("d"));
  private static final long SAFETY_NANOS = 1_000_000_000L;

  private static SimulationResult run(long seed, LinkTestCore.Variant variant) {
    LinkSettings settings = new LinkSettings(64, 16, 20_000_000L);
    return Simulation.<LinkFrame<LinkTestCore.Numbered>>builder()
        .seed(seed)
        .members(NODES)
        .cores(ctx -> new LinkTestCore(ctx.self(), ctx.incarnationId(), ctx.incarnation(),
            ctx.members(), ctx.random(), settings, SAFETY_NANOS, variant))
        .network(new NetworkModel(DelayDistribution.exponential(100_000, 2_000_000),
            0.2, 0.1, 0.2, 10_000_000))
        .faults(FaultModel.every(100_000_000L).withLinkCuts(5).withPartitions(3)
            .withCrashes(3, 1).lasting(10_000_000L, 150_000_000L))
        .phases(SAFETY_NANOS, 1_000_000_000L)
        .checker(FifoChecker::new)
        .build()
        .run();
  }

  @Test
  void linksAreFifoWithoutGapsDuplicatesOrLossOverTwoHundredSeeds() {
    long crashes = 0;
    long dropped = 0;
    for (long seed = 1; seed <= 200; seed++) {
      SimulationResult r = run(seed, LinkTestCore.Variant.CORRECT);
      assertTrue(r.ok(), () -> r.violation().orElseThrow().toString());
      crashes += r.crashes();
      dropped += r.messagesDropped();
    }
    assertTrue(crashes > 50, "crashes " + crashes);
    assertTrue(dropped > 10_000, "dropped " + dropped);
  }

  @ParameterizedTest
  @EnumSource(value = LinkTestCore.Variant.class, names = {"DELIVER_ON_ARRIVAL", "NO_RETRANSMIT"})
  void brokenLinksAreCaught(LinkTestCore.Variant variant) {
    for (long seed = 1; seed <= 50; seed++) {
      SimulationResult r = run(seed, variant);
      if (!r.ok()) {
        assertEquals("link-fifo", r.violation().get().checker());
        return;
      }
    }
    fail(variant + " went unnoticed over 50 seeds");
  }

  /** FIFO, no gap, no duplicate per link; no loss among live nodes at the end. */
  static final class FifoChecker implements Checker<LinkFrame<LinkTestCore.Numbered>> {
    /** (sender incarnation, receiver incarnation) → last n delivered on that link. */
    private final Map<List<NodeId>, Long> lastOnLink = new HashMap<>();
    /** (sender incarnation, receiver node) → highest n delivered to any incarnation. */
    private final Map<List<NodeId>, Long> highestToNode = new HashMap<>();

    @Override
    public String name() {
      return "link-fifo";
    }

    @Override
    public Optional<String> afterStep(Step<LinkFrame<LinkTestCore.Numbered>> step,
        Execution<LinkFrame<LinkTestCore.Numbered>> exec) {
      for (Object o : step.delivered()) {
        LinkTestCore.Received d = (LinkTestCore.Received) o;
        List<NodeId> link = List.of(d.sender(), d.receiver());
        List<NodeId> toNode = List.of(d.sender(), step.node());
        Long last = lastOnLink.get(link);
        long highest = highestToNode.getOrDefault(toNode, 0L);
        if (last == null ? d.n() > highest + 1 : d.n() != last + 1) {
          return Optional.of(d.receiver() + " got payload " + d.n() + " from " + d.sender()
              + " after " + (last == null ? "nothing on this link (highest delivered to "
                  + step.node() + " so far: " + highest + ")" : last)
              + ": out of order, duplicated or a gap");
        }
        lastOnLink.put(link, d.n());
        highestToNode.put(toNode, Math.max(highest, d.n()));
      }
      return Optional.empty();
    }

    @Override
    public Optional<String> atEnd(Execution<LinkFrame<LinkTestCore.Numbered>> exec) {
      List<String> missing = new ArrayList<>();
      for (NodeId s : exec.members()) {
        LinkTestCore sender = (LinkTestCore) exec.core(s);
        for (NodeId r : exec.members()) {
          if (r.equals(s) || sender == null || exec.core(r) == null) {
            continue;
          }
          long delivered = highestToNode.getOrDefault(List.of(sender.process(), r), 0L);
          if (delivered < sender.sentTo(r)) {
            missing.add(sender.process() + "->" + r + " delivered " + delivered + " of "
                + sender.sentTo(r));
          }
        }
      }
      return missing.isEmpty() ? Optional.empty()
          : Optional.of("lost among live nodes after the heal: " + missing);
    }
  }
}
