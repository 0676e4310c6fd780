package dev.meridian.core.link;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A test core around {@link ReliableLinks}: it sends numbered payloads to random peers until a
 * stop time, delivers what the links hand up, and retransmits on a timer. Two broken variants let
 * the checkers be shown to fail.
 */
final class LinkTestCore implements ProtocolCore<LinkFrame<LinkTestCore.Numbered>> {
  /** Payload {@code n} (1, 2, ...) from incarnation {@code sender} to one peer. */
  record Numbered(NodeId sender, long n) {}

  /** Handed to the application for every payload delivered. */
  record Received(NodeId receiver, NodeId sender, long n) {}

  enum Variant { CORRECT, DELIVER_ON_ARRIVAL, NO_RETRANSMIT }

  private final NodeId process;
  private final List<NodeId> peers;
  private final RandomGenerator random;
  private final ReliableLinks<Numbered> links;
  private final LinkSettings settings;
  private final long stopSendingAtNanos;
  private final Variant variant;
  private final Map<NodeId, Long> sent = new HashMap<>();

  LinkTestCore(NodeId self, NodeId process, int incarnation, List<NodeId> members,
      RandomGenerator random, LinkSettings settings, long stopSendingAtNanos, Variant variant) {
    this.process = process;
    this.peers = members.stream().filter(m -> !m.equals(self)).toList();
    this.random = random;
    this.settings = settings;
    this.links = new ReliableLinks<>(self, incarnation, members, settings);
    this.stopSendingAtNanos = stopSendingAtNanos;
    this.variant = variant;
  }

  /** Payloads this incarnation queued for {@code peer}. */
  long sentTo(NodeId peer) {
    return sent.getOrDefault(peer, 0L);
  }

  NodeId process() {
    return process;
  }

  @Override
  public List<Effect<LinkFrame<Numbered>>> handle(Event<LinkFrame<Numbered>> event) {
    List<Effect<LinkFrame<Numbered>>> out = new ArrayList<>();
    if (event instanceof Event.Start<LinkFrame<Numbered>>) {
      out.add(new Effect.SetTimer<>("send", 1));
      out.add(new Effect.SetTimer<>("rtx", settings.retransmitIntervalNanos()));
    } else if (event instanceof Event.Timer<LinkFrame<Numbered>> t && t.name().equals("send")) {
      if (event.now().monotonicNanos() < stopSendingAtNanos) {
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
          NodeId to = peers.get(random.nextInt(peers.size()));
          long n = sentTo(to) + 1;
          if (links.send(to, new Numbered(process, n))) {
            sent.put(to, n);
          }
        }
        out.add(new Effect.SetTimer<>("send", 1 + random.nextLong(4_000_000)));
      }
    } else if (event instanceof Event.Timer<LinkFrame<Numbered>>) {
      if (variant != Variant.NO_RETRANSMIT) {
        links.retransmitAll();
      }
      out.add(new Effect.SetTimer<>("rtx", settings.retransmitIntervalNanos()));
    } else if (event instanceof Event.Message<LinkFrame<Numbered>> m) {
      List<Numbered> delivered = links.receive(m.from(), m.payload());
      if (variant == Variant.DELIVER_ON_ARRIVAL) {
        delivered = m.payload().payloads();
      }
      for (Numbered p : delivered) {
        out.add(new Effect.Deliver<>(new Received(process, p.sender(), p.n())));
      }
    }
    out.addAll(links.flush(frame -> frame));
    return out;
  }
}
