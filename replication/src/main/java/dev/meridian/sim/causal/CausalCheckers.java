package dev.meridian.sim.causal;

import dev.meridian.NodeId;
import dev.meridian.replica.Delivered;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Step;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Properties of causal multicast, judged from what each member delivered — never from the
 * vector timestamps the protocol itself uses.
 */
public final class CausalCheckers {
  private CausalCheckers() {}

  private record UpdateId(NodeId origin, long seq) {}

  /** An applied operation: its origin and its sequence number there. */
  private record Applied(NodeId origin, long seq) {}

  static List<Applied> deliveries(Step<LinkFrame<CausalWire>> step) {
    List<Applied> out = new ArrayList<>();
    for (Object o : step.delivered()) {
      if (o instanceof Delivered<?> d) {
        out.add(new Applied(d.origin().node(), d.origin().sequence()));
      }
    }
    return out;
  }

  /**
   * Causal delivery: when a member delivers update m, it has already delivered every update that
   * m's origin had delivered (or issued) before issuing m.
   */
  public static Checker<LinkFrame<CausalWire>> causalDelivery() {
    return new Checker<>() {
      private final Map<UpdateId, Integer> ids = new HashMap<>();
      private final Map<Integer, BitSet> causalPast = new HashMap<>();
      private final Map<NodeId, BitSet> deliveredAt = new HashMap<>();

      @Override
      public String name() {
        return "causal-delivery";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<CausalWire>> step,
          Execution<LinkFrame<CausalWire>> exec) {
        BitSet mine = deliveredAt.computeIfAbsent(step.node(), n -> new BitSet());
        for (Applied d : deliveries(step)) {
          int id = ids.computeIfAbsent(new UpdateId(d.origin(), d.seq()), k -> ids.size());
          if (d.origin().equals(step.node())) {
            causalPast.put(id, (BitSet) mine.clone()); // issued now: its past is what I delivered
          } else {
            BitSet past = causalPast.get(id);
            if (past == null) {
              return Optional.of(step.node() + " delivered " + d.origin() + "#" + d.seq()
                  + " before its origin issued it");
            }
            BitSet missing = (BitSet) past.clone();
            missing.andNot(mine);
            if (!missing.isEmpty()) {
              return Optional.of(step.node() + " delivered " + d.origin() + "#" + d.seq()
                  + " before " + describe(missing.nextSetBit(0))
                  + ", which its origin had delivered before issuing it");
            }
          }
          mine.set(id);
        }
        return Optional.empty();
      }

      private String describe(int id) {
        return ids.entrySet().stream().filter(e -> e.getValue() == id)
            .map(e -> e.getKey().origin() + "#" + e.getKey().seq()).findFirst().orElse("?");
      }
    };
  }

  /** FIFO per origin, no duplicates: each member delivers origin o's updates as 1, 2, 3... */
  public static Checker<LinkFrame<CausalWire>> fifoNoDuplicates() {
    return new Checker<>() {
      private final Map<List<NodeId>, Long> last = new HashMap<>();

      @Override
      public String name() {
        return "fifo-no-duplicates";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<CausalWire>> step,
          Execution<LinkFrame<CausalWire>> exec) {
        for (Applied d : deliveries(step)) {
          List<NodeId> key = List.of(step.node(), d.origin());
          long previous = last.getOrDefault(key, 0L);
          if (d.seq() != previous + 1) {
            return Optional.of(step.node() + " delivered " + d.origin() + "#" + d.seq()
                + " right after " + d.origin() + "#" + previous
                + (d.seq() <= previous ? ": a duplicate" : ": a gap or reordering"));
          }
          last.put(key, d.seq());
        }
        return Optional.empty();
      }
    };
  }

  /**
   * No loss among live members, and every CRDT converges: after the liveness phase every member
   * has delivered every update and all replicas of the counter, register, set and map are equal.
   */
  public static Checker<LinkFrame<CausalWire>> noLossAndConvergence() {
    return new Checker<>() {
      @Override
      public String name() {
        return "no-loss-convergence";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<CausalWire>> step,
          Execution<LinkFrame<CausalWire>> exec) {
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<LinkFrame<CausalWire>> exec) {
        List<NodeId> members = exec.members();
        for (int o = 0; o < members.size(); o++) {
          CausalWorkloadCore origin = (CausalWorkloadCore) exec.core(members.get(o));
          long issued = origin.multicast().deliveredCounts()[o];
          for (NodeId r : members) {
            CausalWorkloadCore receiver = (CausalWorkloadCore) exec.core(r);
            long got = receiver.multicast().deliveredCounts()[o];
            if (got != issued) {
              return Optional.of(r + " delivered " + got + " of the " + issued + " updates "
                  + members.get(o) + " issued");
            }
          }
        }
        String expected = ((CausalWorkloadCore) exec.core(members.get(0))).replicatedState();
        for (NodeId r : members) {
          String state = ((CausalWorkloadCore) exec.core(r)).replicatedState();
          if (!state.equals(expected)) {
            return Optional.of("replicas diverge: " + members.get(0) + " has " + expected
                + ", " + r + " has " + state);
          }
        }
        return Optional.empty();
      }
    };
  }
}
