package dev.meridian.sim.clocks;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.time.HybridClockOffsetException;
import dev.meridian.time.HybridLogicalClock;
import dev.meridian.time.LamportClock;
import dev.meridian.time.VectorClock;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A process that keeps a Lamport clock, a vector clock and a hybrid logical clock side by side,
 * and at random moments performs a local event or sends to one or two random peers. Every event is
 * delivered as a {@link ClockEvent}, so checkers can judge each clock against the true
 * happens-before relation.
 *
 * <p>Each step performs exactly one clock event, so a step and its event coincide. The vector
 * clock is keyed by incarnation ({@code n2#1}): a restarted process has lost its counters and must
 * not reuse its old entry.
 */
public final class ClockCore implements ProtocolCore<ClockMessage> {
  static final String ACT_TIMER = "act";

  private final NodeId process;
  private final NodeId self;
  private final List<NodeId> peers;
  private final RandomGenerator random;
  private final ClockVariant variant;
  private final long meanActionGapNanos;

  private LamportClock lamport = LamportClock.ZERO;
  private VectorClock vector = VectorClock.EMPTY;
  private HybridLogicalClock hybrid;

  /**
   * @param process the id of this incarnation, used as the vector-clock key
   * @param self the node id, excluded from the peers a message may go to
   * @param members all nodes
   * @param random this incarnation's seeded generator
   * @param variant which clock rules to follow
   * @param maxOffsetNanos the hybrid clock's maximum offset
   * @param meanActionGapNanos mean time between this process's own actions
   */
  public ClockCore(NodeId process, NodeId self, List<NodeId> members, RandomGenerator random,
      ClockVariant variant, long maxOffsetNanos, long meanActionGapNanos) {
    this.process = process;
    this.self = self;
    this.peers = members.stream().filter(m -> !m.equals(self)).toList();
    this.random = random;
    this.variant = variant;
    this.hybrid = HybridLogicalClock.create(maxOffsetNanos);
    this.meanActionGapNanos = meanActionGapNanos;
  }

  /** This process's current vector clock. */
  public VectorClock vectorClock() {
    return vector;
  }

  /** This process's vector-clock key. */
  public NodeId process() {
    return process;
  }

  @Override
  public List<Effect<ClockMessage>> handle(Event<ClockMessage> event) {
    List<Effect<ClockMessage>> out = new ArrayList<>(4);
    long wall = event.now().wallNanos();
    if (event instanceof Event.Start<ClockMessage>) {
      out.add(new Effect.SetTimer<>(ACT_TIMER, nextGap()));
    } else if (event instanceof Event.Timer<ClockMessage>) {
      if (!peers.isEmpty() && random.nextBoolean()) {
        send(wall, out);
      } else {
        lamport = lamport.tick();
        vector = vector.increment(process);
        hybrid = hybrid.tick(wall);
        out.add(new Effect.Deliver<>(event(ClockEvent.Kind.LOCAL, wall, null)));
      }
      out.add(new Effect.SetTimer<>(ACT_TIMER, nextGap()));
    } else if (event instanceof Event.Message<ClockMessage> m) {
      receive(m.payload(), wall, out);
    }
    return out;
  }

  private void send(long wall, List<Effect<ClockMessage>> out) {
    lamport = lamport.send();
    if (variant != ClockVariant.NO_INCREMENT_ON_SEND) {
      vector = vector.increment(process);
    }
    hybrid = hybrid.tick(wall);
    ClockMessage message = new ClockMessage(lamport.time(), vector, hybrid.timestamp());
    int fanout = 1 + random.nextInt(Math.min(2, peers.size()));
    List<NodeId> targets = new ArrayList<>(peers);
    for (int i = 0; i < fanout; i++) {
      out.add(new Effect.Send<>(targets.remove(random.nextInt(targets.size())), message));
    }
    out.add(new Effect.Deliver<>(event(ClockEvent.Kind.SEND, wall, null)));
  }

  private void receive(ClockMessage m, long wall, List<Effect<ClockMessage>> out) {
    HybridLogicalClock nextHybrid;
    try {
      nextHybrid = switch (variant) {
        case HLC_IGNORES_REMOTE -> hybrid.tick(wall);
        case HLC_NO_OFFSET_CHECK ->
            hybrid.receive(m.hybrid(), Math.max(wall, m.hybrid().physicalNanos()));
        default -> hybrid.receive(m.hybrid(), wall);
      };
    } catch (HybridClockOffsetException e) {
      // Refuse the whole message: taking its vector or Lamport time but not its hybrid time
      // would let information flow while the hybrid clock pretends it did not.
      out.add(new Effect.Deliver<>(event(ClockEvent.Kind.REFUSED, wall, e.getMessage())));
      return;
    }
    hybrid = nextHybrid;
    lamport = variant == ClockVariant.LAMPORT_NO_MAX
        ? lamport.tick() : lamport.receive(m.lamport());
    if (variant != ClockVariant.NO_MERGE_ON_RECEIVE) {
      vector = vector.merge(m.vector());
    }
    vector = vector.increment(process);
    out.add(new Effect.Deliver<>(event(ClockEvent.Kind.RECEIVE, wall, null)));
  }

  private ClockEvent event(ClockEvent.Kind kind, long wall, String refusal) {
    return new ClockEvent(process, kind, lamport.time(), vector, hybrid.timestamp(), wall,
        refusal);
  }

  private long nextGap() {
    return 1 + (long) (-Math.log(1.0 - random.nextDouble()) * meanActionGapNanos);
  }
}
