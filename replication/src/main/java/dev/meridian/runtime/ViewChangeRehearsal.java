package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.PeerUnreachable;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.GroupState;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.core.membership.MembershipCore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A view change rehearsed at start-up: three throwaway {@link MembershipCore}s, in memory and in
 * virtual time, found a group; one of them dies (the transport's hint, as for a killed process)
 * and the other two install a view without it; then again with a member that falls silent (no
 * hint: the failure detector's timer, as for a frozen process). Every message goes through the
 * real {@link MemberFrameCodec}.
 *
 * <p>Why: a member's first view change otherwise runs the view-change code for the first time
 * right after a peer died — class loading, lambda and string-concatenation linkage, interpreted
 * bytecode — which measured several milliseconds per step on the failover path (2026-11-24,
 * {@code bench failover} traces: handling the Promise that completes phase 1 took 8.6 ms cold).
 * The rehearsal pays that once, before the member is in any group. It touches nothing of the real
 * member: its own cores, ids, state ({@link GroupState#NONE}) and randomness, no transport, no
 * listeners; its outcome is ignored, and it is bounded in events, so it cannot hang start-up.
 */
final class ViewChangeRehearsal {
  /** Far more than a view change of three needs (a few hundred); a bound, not a target. */
  private static final int MAX_EVENTS = 20_000;
  /** Virtual one-way delay of a message. */
  private static final long HOP_NANOS = 200_000L;

  private final List<NodeId> ids = List.of(
      NodeId.of("rehearsal-0"), NodeId.of("rehearsal-1"), NodeId.of("rehearsal-2"));
  private final MemberFrameCodec codec = new MemberFrameCodec(ids);
  private final Map<NodeId, MembershipCore> cores = new HashMap<>();
  private final Map<NodeId, Map<String, Long>> timers = new HashMap<>();
  private final ArrayDeque<InFlight> network = new ArrayDeque<>();
  private final Set<NodeId> silent = new HashSet<>();
  private final Map<NodeId, Integer> lastViewSize = new HashMap<>();
  private long now = 1_000_000_000L;
  private int events;

  private record InFlight(NodeId from, NodeId to, byte[] frame, long at) {}

  private ViewChangeRehearsal(MembershipCore.Settings settings, long seed) {
    for (int i = 0; i < ids.size(); i++) {
      NodeId id = ids.get(i);
      cores.put(id, new MembershipCore(id, 1, true, ids, settings, // founders: incarnation 1, as in the simulator
          MembershipCore.Variant.CORRECT, new SplittableRandom(seed + i), GroupState.NONE));
      timers.put(id, new HashMap<>());
    }
  }

  /**
   * Rehearses a killed member and a frozen one, each {@code times} times, with {@code settings}
   * (the member's own, so that the same timers and detector run).
   *
   * @return how many of the {@code 2 * times} rehearsals ended with both survivors in a view of
   *     two (all of them, unless the protocol changed in a way the rehearsal does not follow)
   */
  static int run(MembershipCore.Settings settings, int times) {
    int completed = 0;
    for (int i = 0; i < times; i++) {
      completed += new ViewChangeRehearsal(settings, 2 * i).rehearse(true) ? 1 : 0;
      completed += new ViewChangeRehearsal(settings, 2 * i + 1).rehearse(false) ? 1 : 0;
    }
    return completed;
  }

  /** Founds the group, then loses its youngest member, with or without the transport's hint. */
  private boolean rehearse(boolean hinted) {
    for (NodeId id : ids) {
      handle(id, new Event.Start<>(now()));
    }
    runUntil(() -> false, 300_000_000L); // heartbeats: everyone hears everyone
    NodeId victim = ids.get(2);
    silent.add(victim);
    if (hinted) {
      for (NodeId id : ids.subList(0, 2)) {
        handle(id, new Event.Request<>(new PeerUnreachable(victim), now()));
      }
    }
    runUntil(this::survivorsMovedOn, 5_000_000_000L);
    boolean movedOn = survivorsMovedOn();
    runUntil(() -> false, 300_000_000L); // the Install and the new view's first heartbeats
    return movedOn;
  }

  private boolean survivorsMovedOn() {
    return lastViewSize.getOrDefault(ids.get(0), 0) == 2
        && lastViewSize.getOrDefault(ids.get(1), 0) == 2;
  }

  private void runUntil(java.util.function.BooleanSupplier done, long forNanos) {
    long end = now + forNanos;
    while (!done.getAsBoolean() && events < MAX_EVENTS) {
      InFlight next = network.peekFirst();
      NodeId timerOwner = null;
      String timerName = null;
      long timerAt = Long.MAX_VALUE;
      for (Map.Entry<NodeId, Map<String, Long>> e : timers.entrySet()) {
        for (Map.Entry<String, Long> t : e.getValue().entrySet()) {
          if (t.getValue() < timerAt) {
            timerAt = t.getValue();
            timerOwner = e.getKey();
            timerName = t.getKey();
          }
        }
      }
      if (next != null && next.at() <= timerAt) {
        if (next.at() > end) {
          return;
        }
        network.pollFirst();
        now = Math.max(now, next.at());
        handle(next.to(), new Event.Message<>(next.from(), codec.decode(next.frame()), now()));
      } else if (timerOwner != null) {
        if (timerAt > end) {
          return;
        }
        timers.get(timerOwner).remove(timerName);
        now = Math.max(now, timerAt);
        handle(timerOwner, new Event.Timer<>(timerName, now()));
      } else {
        return;
      }
    }
  }

  private void handle(NodeId at, Event<LinkFrame<MemberWire>> event) {
    if (silent.contains(at)) {
      return;
    }
    events++;
    MembershipCore core = cores.get(at);
    List<Effect<LinkFrame<MemberWire>>> effects = new ArrayList<>(core.handle(event));
    effects.addAll(core.flush());
    for (Effect<LinkFrame<MemberWire>> effect : effects) {
      if (effect instanceof Effect.Send<LinkFrame<MemberWire>> send) {
        if (!silent.contains(send.to()) && cores.containsKey(send.to())) {
          network.addLast(new InFlight(at, send.to(), codec.encode(send.payload()),
              now + HOP_NANOS));
        }
      } else if (effect instanceof Effect.SetTimer<LinkFrame<MemberWire>> set) {
        timers.get(at).put(set.name(), now + set.delayNanos());
      } else if (effect instanceof Effect.CancelTimer<LinkFrame<MemberWire>> cancel) {
        timers.get(at).remove(cancel.name());
      } else if (effect instanceof Effect.Deliver<LinkFrame<MemberWire>> deliver
          && deliver.value() instanceof MembershipCore.Installed installed) {
        installed.change(); // as GroupReplica does for its listeners
        lastViewSize.put(at, installed.view().size());
      }
    }
  }

  private Now now() {
    return new Now(now, now);
  }
}
