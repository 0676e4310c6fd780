package dev.meridian.sim.snapshot;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.snapshot.SnapshotCore;
import dev.meridian.core.snapshot.SnapshotSettings;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.sim.snapshot.SnapshotSimMessage.Account;
import dev.meridian.sim.snapshot.SnapshotSimMessage.Transfer;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One node of the {@code snapshot} scenario. A <em>member</em> keeps a bank balance, transfers
 * small sums to random other members every millisecond or so through a {@link SnapshotCore}, and
 * now and then starts a snapshot; money is only moved, never made, so the total of a consistent
 * snapshot (balances plus transfers in flight) is the total the bank started with — until a crash
 * destroys a balance. The <em>view service</em> stands in for the membership layer: members send
 * it heartbeats; it removes a member silent for 50 ms, takes in a restarted incarnation at once,
 * and announces its view every 10 ms. Its judgement can be wrong (a partition looks like a crash),
 * exactly like a real failure detector's.
 */
public final class BankSimCore implements ProtocolCore<SnapshotSimMessage> {
  static final long INITIAL_BALANCE = 1_000;
  static final String TRANSFER_TIMER = "bank-transfer";
  static final String SNAPSHOT_TIMER = "bank-snapshot";
  static final String HEARTBEAT_TIMER = "bank-heartbeat";
  static final String VIEW_TIMER = "view-service-tick";
  static final long HEARTBEAT_NANOS = 10_000_000L;
  static final long SILENCE_NANOS = 50_000_000L;

  /** A member sent a transfer (its balance already debited). */
  public record Sent(Transfer transfer) {}

  /** A member received a transfer (its balance credited). */
  public record Received(Transfer transfer) {}

  /** A member recorded its local state for a snapshot. */
  public record Recorded(SnapshotId id, long balance) {}

  /** The view service installed a view. */
  public record ViewChanged(SnapshotSimMessage.ViewAnnouncement view) {}

  private final NodeId self;
  private final int incarnation;
  private final NodeId viewService;
  private final List<NodeId> members;
  private final RandomGenerator random;
  private final long transferGapNanos;
  private final long snapshotGapNanos;
  // member
  private final SnapshotCore<Transfer, Account> snapshots;
  private final List<Effect<SnapshotSimMessage>> appEffects = new ArrayList<>();
  private final Map<NodeId, Long> sentTo = new HashMap<>();
  private long balance;
  // view service
  private final Map<NodeId, Integer> view = new TreeMap<>();
  private final Map<NodeId, Long> lastHeard = new HashMap<>();
  private final Map<NodeId, Integer> newestIncarnation = new HashMap<>();
  private long viewId = 1;

  /**
   * @param members the bank's members (the view service is not one)
   * @param snapshotGapNanos mean gap between snapshots this member starts
   */
  public BankSimCore(NodeId self, int incarnation, NodeId viewService, List<NodeId> members,
      RandomGenerator random, long transferGapNanos, long snapshotGapNanos,
      SnapshotCore.Variant variant) {
    this.self = self;
    this.incarnation = incarnation;
    this.viewService = viewService;
    this.members = List.copyOf(members);
    this.random = random;
    this.transferGapNanos = transferGapNanos;
    this.snapshotGapNanos = snapshotGapNanos;
    this.balance = incarnation == 1 ? INITIAL_BALANCE : 0;
    this.snapshots = self.equals(viewService) ? null : new SnapshotCore<>(self, incarnation,
        members, new SnapshotSettings(new LinkSettings(4096, 256, 20_000_000L), 64, 4096),
        this::record, this::receive, variant);
    if (self.equals(viewService)) {
      for (NodeId m : members) {
        view.put(m, 1); // the founders, as the first view
      }
    }
  }

  private Account record(SnapshotId id) {
    appEffects.add(new Effect.Deliver<>(new Recorded(id, balance)));
    return new Account(balance);
  }

  private void receive(NodeId from, Transfer transfer) {
    balance += transfer.amount();
    appEffects.add(new Effect.Deliver<>(new Received(transfer)));
  }

  @Override
  public List<Effect<SnapshotSimMessage>> handle(Event<SnapshotSimMessage> event) {
    return self.equals(viewService) ? viewService(event) : member(event);
  }

  @Override
  public List<Effect<SnapshotSimMessage>> flush() {
    if (snapshots == null) {
      return List.of();
    }
    return wrap(snapshots.flush());
  }

  // ---------------------------------------------------------------------------------------------
  // Member

  private List<Effect<SnapshotSimMessage>> member(Event<SnapshotSimMessage> event) {
    List<Effect<SnapshotSimMessage>> out = new ArrayList<>();
    var now = event.now();
    if (event instanceof Event.Start<SnapshotSimMessage>) {
      out.addAll(inner(new Event.Start<>(now)));
      out.add(new Effect.SetTimer<>(TRANSFER_TIMER, gap(transferGapNanos)));
      out.add(new Effect.SetTimer<>(SNAPSHOT_TIMER, gap(snapshotGapNanos)));
      out.add(new Effect.Send<>(viewService, new SnapshotSimMessage.Heartbeat(incarnation)));
      out.add(new Effect.SetTimer<>(HEARTBEAT_TIMER, HEARTBEAT_NANOS));
    } else if (event instanceof Event.Timer<SnapshotSimMessage> t) {
      switch (t.name()) {
        case TRANSFER_TIMER -> {
          transfer(now, out);
          out.add(new Effect.SetTimer<>(TRANSFER_TIMER, gap(transferGapNanos)));
        }
        case SNAPSHOT_TIMER -> {
          out.addAll(inner(new Event.Request<>(new SnapshotCore.TakeSnapshot(), now)));
          out.add(new Effect.SetTimer<>(SNAPSHOT_TIMER, gap(snapshotGapNanos)));
        }
        case HEARTBEAT_TIMER -> {
          out.add(new Effect.Send<>(viewService, new SnapshotSimMessage.Heartbeat(incarnation)));
          out.add(new Effect.SetTimer<>(HEARTBEAT_TIMER, HEARTBEAT_NANOS));
        }
        default -> out.addAll(inner(new Event.Timer<>(t.name(), now)));
      }
    } else if (event instanceof Event.Message<SnapshotSimMessage> m) {
      if (m.payload() instanceof SnapshotSimMessage.Link link) {
        out.addAll(inner(new Event.Message<>(m.from(), link.frame(), now)));
      } else if (m.payload() instanceof SnapshotSimMessage.ViewAnnouncement v) {
        out.addAll(inner(new Event.Request<>(
            new SnapshotCore.ViewInstalled(v.viewId(), v.members()), now)));
      }
    }
    return out;
  }

  private void transfer(dev.meridian.core.Now now, List<Effect<SnapshotSimMessage>> out) {
    NodeId to = members.get(random.nextInt(members.size()));
    long amount = 1 + random.nextInt(20);
    if (to.equals(self) || amount > balance || snapshots.sendCapacity(to) == 0) {
      return;
    }
    long seq = sentTo.getOrDefault(to, 0L);
    sentTo.put(to, seq + 1);
    Transfer t = new Transfer(self, incarnation, to, seq, amount);
    balance -= amount;
    out.add(new Effect.Deliver<>(new Sent(t)));
    out.addAll(inner(new Event.Request<>(new SnapshotCore.SendMessage<>(to, t), now)));
  }

  /** Runs the snapshot core on one event; the application's own effects keep their place. */
  private List<Effect<SnapshotSimMessage>> inner(
      Event<LinkFrame<SnapshotWire<Transfer, Account>>> event) {
    appEffects.clear();
    List<Effect<SnapshotSimMessage>> coreEffects = wrap(snapshots.handle(event));
    List<Effect<SnapshotSimMessage>> out = new ArrayList<>(appEffects);
    appEffects.clear();
    out.addAll(coreEffects);
    return out;
  }

  private static List<Effect<SnapshotSimMessage>> wrap(
      List<Effect<LinkFrame<SnapshotWire<Transfer, Account>>>> effects) {
    List<Effect<SnapshotSimMessage>> out = new ArrayList<>(effects.size());
    for (Effect<LinkFrame<SnapshotWire<Transfer, Account>>> e : effects) {
      if (e instanceof Effect.Send<LinkFrame<SnapshotWire<Transfer, Account>>> s) {
        out.add(new Effect.Send<>(s.to(), new SnapshotSimMessage.Link(s.payload())));
      } else if (e instanceof Effect.SetTimer<LinkFrame<SnapshotWire<Transfer, Account>>> t) {
        out.add(new Effect.SetTimer<>(t.name(), t.delayNanos()));
      } else if (e instanceof Effect.CancelTimer<LinkFrame<SnapshotWire<Transfer, Account>>> c) {
        out.add(new Effect.CancelTimer<>(c.name()));
      } else if (e instanceof Effect.Deliver<LinkFrame<SnapshotWire<Transfer, Account>>> d) {
        out.add(new Effect.Deliver<>(d.value()));
      }
    }
    return out;
  }

  private long gap(long mean) {
    return mean / 2 + random.nextLong(mean);
  }

  // ---------------------------------------------------------------------------------------------
  // View service

  private List<Effect<SnapshotSimMessage>> viewService(Event<SnapshotSimMessage> event) {
    List<Effect<SnapshotSimMessage>> out = new ArrayList<>();
    long mono = event.now().monotonicNanos();
    if (event instanceof Event.Start<SnapshotSimMessage>) {
      for (NodeId m : members) {
        lastHeard.put(m, mono);
      }
      out.add(new Effect.Deliver<>(new ViewChanged(
          SnapshotSimMessage.ViewAnnouncement.of(viewId, view))));
      announce(out);
      out.add(new Effect.SetTimer<>(VIEW_TIMER, HEARTBEAT_NANOS));
    } else if (event instanceof Event.Message<SnapshotSimMessage> m
        && m.payload() instanceof SnapshotSimMessage.Heartbeat h && members.contains(m.from())
        && h.incarnation() >= newestIncarnation.getOrDefault(m.from(), 1)) {
      newestIncarnation.put(m.from(), h.incarnation()); // a late heartbeat of a dead one is ignored
      lastHeard.put(m.from(), mono);
      Integer known = view.get(m.from());
      if (known == null || known < h.incarnation()) {
        view.put(m.from(), h.incarnation()); // back, or restarted: the old incarnation is gone
        newView(out);
      }
    } else if (event instanceof Event.Timer<SnapshotSimMessage> t && t.name().equals(VIEW_TIMER)) {
      boolean changed = view.keySet().removeIf(n -> mono - lastHeard.get(n) > SILENCE_NANOS);
      if (changed) {
        newView(out);
      } else {
        announce(out);
      }
      out.add(new Effect.SetTimer<>(VIEW_TIMER, HEARTBEAT_NANOS));
    }
    return out;
  }

  private void newView(List<Effect<SnapshotSimMessage>> out) {
    viewId++;
    out.add(new Effect.Deliver<>(new ViewChanged(
        SnapshotSimMessage.ViewAnnouncement.of(viewId, view))));
    announce(out);
  }

  private void announce(List<Effect<SnapshotSimMessage>> out) {
    SnapshotSimMessage.ViewAnnouncement v = SnapshotSimMessage.ViewAnnouncement.of(viewId, view);
    for (NodeId m : members) {
      out.add(new Effect.Send<>(m, v));
    }
  }
}
