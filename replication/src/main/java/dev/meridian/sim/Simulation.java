package dev.meridian.sim;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.PeerUnreachable;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A deterministic simulation of a group of nodes running one protocol core each, over a seeded
 * faulty network and drifting clocks.
 *
 * <p><b>Determinism.</b> Everything random (delays, loss, faults, clock offsets and drift, every
 * core's own randomness) derives from the one seed. Events are processed in order of (true time,
 * sequence number), so ties break the same way every run. The same seed therefore gives the
 * identical trace, and any violation is replayed by rerunning its seed. Trace lines (and the
 * fingerprint) are built from the {@code toString} of messages, requests and delivered values,
 * so those must be deterministic too: no identity hash codes, such as a raw {@code byte[]} prints.
 *
 * <p><b>A run</b> has two phases. During the <i>safety phase</i> ({@code safetyNanos} of true
 * time) the {@link NetworkModel} loses, duplicates, delays and reorders messages and the {@link
 * FaultModel} cuts links, partitions the group, crashes and restarts nodes and steps clocks. Then
 * the <i>liveness phase</i> ({@code livenessNanos}) heals everything: partitions end, crashed nodes
 * restart, and the network follows {@code livenessNetwork} (by default the same delays with no
 * loss). Every {@link Checker} runs after every step; a run stops at its first violation. At the
 * end, each checker's {@link Checker#atEnd} judges convergence.
 *
 * <p>A simulation object runs once; build a new one (same builder settings, new seed) per run.
 *
 * <pre>{@code
 * SimulationResult r = Simulation.<Msg>builder()
 *     .seed(42)
 *     .members(List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c")))
 *     .cores(ctx -> new MyCore(ctx.self(), ctx.random()))
 *     .network(NetworkModel.reliable().withLoss(0.05))
 *     .checker(MyChecker::new)
 *     .build()
 *     .run();
 * }</pre>
 *
 * @param <M> the protocol's message type
 */
public final class Simulation<M> implements Execution<M> {

  private final long seed;
  private final List<NodeId> members;
  private final Map<NodeId, Node<M>> nodes = new LinkedHashMap<>();
  private final CoreFactory<M> cores;
  private final NetworkModel safetyNetwork;
  private final NetworkModel livenessNetwork;
  private final ClockModel clockModel;
  private final Set<NodeId> durable;
  private final FaultModel faultModel;
  private final long safetyNanos;
  private final long livenessNanos;
  private final long maxEvents;
  private final List<Checker<M>> checkers;
  private final List<Consumer<Step<M>>> observers;
  private final boolean keepTrace;
  private final List<Scheduled> initialRequests;

  private final SplittableRandom networkRandom;
  private final SplittableRandom faultRandom;
  private final long hintDelayNanos; // 0: no transport hints
  private final SplittableRandom hintRandom;
  private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
  private final List<Step<M>> steps = new ArrayList<>();
  private final List<Step<M>> stepsView = Collections.unmodifiableList(steps);
  private final Map<Link, Integer> blockedLinks = new HashMap<>();
  private final List<String> trace = new ArrayList<>();

  private NetworkModel network;
  private Phase phase = Phase.SAFETY;
  private long now;
  private long nextSequence;
  private long eventIndex = -1;
  private long fingerprint = 0xCBF29CE484222325L; // FNV-1a offset basis
  private long messagesSent;
  private long messagesDropped;
  private long crashes;
  private boolean ran;

  private Simulation(Builder<M> b) {
    this.seed = b.seed;
    this.members = List.copyOf(b.members);
    this.cores = b.cores;
    this.safetyNetwork = b.network;
    this.livenessNetwork = b.livenessNetwork != null ? b.livenessNetwork : b.network.healed();
    this.clockModel = b.clocks;
    this.durable = Set.copyOf(b.durable);
    this.faultModel = b.faults;
    this.safetyNanos = b.safetyNanos;
    this.livenessNanos = b.livenessNanos;
    this.maxEvents = b.maxEvents;
    this.keepTrace = b.keepTrace;
    this.observers = List.copyOf(b.observers);
    this.checkers = new ArrayList<>();
    for (Supplier<? extends Checker<M>> s : b.checkers) {
      checkers.add(s.get());
    }
    this.networkRandom = Seeds.stream(seed, "network");
    this.faultRandom = Seeds.stream(seed, "faults");
    this.hintDelayNanos = b.hintDelayNanos;
    this.hintRandom = Seeds.stream(seed, "hints"); // its own stream: other draws stay as they were
    this.network = safetyNetwork;
    SplittableRandom clockRandom = Seeds.stream(seed, "clocks");
    for (NodeId id : members) {
      ClockModel model = b.nodeClocks.getOrDefault(id, clockModel);
      long offset = model.maxOffsetNanos() == 0
          ? 0 : clockRandom.nextLong(-model.maxOffsetNanos(), model.maxOffsetNanos() + 1);
      double drift = model.maxDrift() == 0
          ? 0 : clockRandom.nextDouble(-model.maxDrift(), model.maxDrift());
      nodes.put(id, new Node<>(id, nodes.size(), new VirtualClock(offset, drift)));
    }
    this.initialRequests = new ArrayList<>();
    for (Builder.TimedRequest r : b.requests) {
      initialRequests.add(new Scheduled(r.atNanos, 0, new RequestArrival(r.node, r.request)));
    }
  }

  /** A new builder. */
  public static <M> Builder<M> builder() {
    return new Builder<>();
  }

  /** Runs the simulation to its end or its first violation. */
  public SimulationResult run() {
    if (ran) {
      throw new IllegalStateException("a Simulation runs once; build a new one for another run");
    }
    ran = true;
    for (Node<M> node : nodes.values()) {
      schedule(0, new NodeStart(node.id));
    }
    for (Scheduled r : initialRequests) {
      schedule(r.time, r.action);
    }
    if (faultModel.totalWeight() > 0 && safetyNanos > 0) {
      schedule(exponential(faultRandom, faultModel.meanGapNanos()), new InjectFault());
    }
    schedule(safetyNanos, new BeginLiveness());
    long end = safetyNanos + livenessNanos;

    Optional<Violation> violation = Optional.empty();
    while (!queue.isEmpty() && violation.isEmpty()) {
      Scheduled next = queue.poll();
      if (next.time > end) {
        break;
      }
      if (eventIndex + 1 >= maxEvents) {
        violation = Optional.of(new Violation(seed, eventIndex, "simulation",
            "run exceeded " + maxEvents + " events at t=" + now + "ns; a protocol that never"
                + " quiesces, or maxEvents set too low"));
        break;
      }
      now = next.time;
      eventIndex++;
      violation = process(next.action);
    }
    if (violation.isEmpty()) {
      now = Math.max(now, end);
      for (Checker<M> checker : checkers) {
        Optional<String> problem = checker.atEnd(this);
        if (problem.isPresent()) {
          violation = Optional.of(new Violation(seed, -1, checker.name(), problem.get()));
          break;
        }
      }
    }
    return new SimulationResult(seed, violation, eventIndex + 1, steps.size(), messagesSent,
        messagesDropped, crashes, fingerprint, keepTrace ? List.copyOf(trace) : List.of());
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduled actions

  private sealed interface Action {}

  private record NodeStart(NodeId node) implements Action {}

  private record Arrival<M>(NodeId from, NodeId to, M payload, long messageId, int sendStep)
      implements Action {}

  private record TimerFire(NodeId node, int incarnation, String name, long generation)
      implements Action {}

  private record RequestArrival(NodeId node, Object request) implements Action {}

  private record InjectFault() implements Action {}

  private record Unblock(List<Link> links) implements Action {}

  private record Restart(NodeId node, int crashedIncarnation) implements Action {}

  private record BeginLiveness() implements Action {}

  private record Link(NodeId from, NodeId to) {}

  private final class Scheduled implements Comparable<Scheduled> {
    final long time;
    final long sequence;
    final Action action;

    Scheduled(long time, long sequence, Action action) {
      this.time = time;
      this.sequence = sequence;
      this.action = action;
    }

    @Override
    public int compareTo(Scheduled o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : Long.compare(sequence, o.sequence);
    }
  }

  private void schedule(long atNanos, Action action) {
    queue.add(new Scheduled(atNanos, nextSequence++, action));
  }

  /** {@code now + delay}, saturating: a delay past the end of time simply never comes due. */
  private long after(long delayNanos) {
    long at = now + delayNanos;
    return at < now ? Long.MAX_VALUE : at;
  }

  @SuppressWarnings("unchecked")
  private Optional<Violation> process(Action action) {
    if (action instanceof NodeStart s) {
      Node<M> node = nodes.get(s.node);
      node.up = true;
      node.incarnation++;
      node.timers.clear();
      node.core = cores.create(new NodeContext(node.id, node.incarnation, members,
          Seeds.stream(seed, "core", node.index, node.incarnation)));
      return step(node, new Event.Start<>(nowOf(node)), -1);
    } else if (action instanceof Arrival<?> a) {
      Arrival<M> arrival = (Arrival<M>) a;
      Node<M> to = nodes.get(arrival.to);
      if (!to.up) {
        messagesDropped++;
        record("drop m" + arrival.messageId + " " + arrival.from + "->" + arrival.to
            + ": destination down");
        return Optional.empty();
      }
      return step(to, new Event.Message<>(arrival.from, arrival.payload, nowOf(to)),
          arrival.sendStep);
    } else if (action instanceof TimerFire f) {
      Node<M> node = nodes.get(f.node);
      Long current = node.timers.get(f.name);
      if (!node.up || node.incarnation != f.incarnation || current == null
          || current != f.generation) {
        return Optional.empty(); // cancelled, replaced, or from before a crash: not an event
      }
      node.timers.remove(f.name);
      return step(node, new Event.Timer<>(f.name, nowOf(node)), -1);
    } else if (action instanceof RequestArrival r) {
      Node<M> node = nodes.get(r.node);
      if (!node.up) {
        record("request to " + r.node + " refused: node down: " + r.request);
        return Optional.empty();
      }
      return step(node, new Event.Request<>(r.request, nowOf(node)), -1);
    } else if (action instanceof InjectFault) {
      if (phase == Phase.SAFETY) {
        injectFault();
        schedule(after(exponential(faultRandom, faultModel.meanGapNanos())), new InjectFault());
      }
      return Optional.empty();
    } else if (action instanceof Unblock u) {
      if (phase == Phase.SAFETY) {
        for (Link link : u.links) {
          blockedLinks.merge(link, -1, (x, y) -> x + y == 0 ? null : x + y);
        }
        record("heal " + u.links.size() + " link(s)");
      }
      return Optional.empty();
    } else if (action instanceof Restart r) {
      Node<M> node = nodes.get(r.node);
      if (!node.up && node.incarnation == r.crashedIncarnation) {
        record("restart " + node.id);
        return process(new NodeStart(node.id));
      }
      return Optional.empty();
    } else if (action instanceof BeginLiveness) {
      phase = Phase.LIVENESS;
      network = livenessNetwork;
      blockedLinks.clear();
      record("liveness phase: all links healed, crashed nodes restart");
      for (Node<M> node : nodes.values()) {
        if (!node.up) {
          schedule(now, new Restart(node.id, node.incarnation));
        }
      }
      return Optional.empty();
    }
    throw new AssertionError("unknown action " + action);
  }

  private Now nowOf(Node<M> node) {
    return new Now(node.clock.wallAt(now), node.clock.monotonicAt(now));
  }

  private Optional<Violation> step(Node<M> node, Event<M> event, int sendStep) {
    // Every event is a turn of its own: its effects, then what the core held back until the end
    // of the turn (see ProtocolCore#flush).
    List<Effect<M>> handled = node.core.handle(event);
    List<Effect<M>> flushed = handled == null ? null : node.core.flush();
    if (handled == null || flushed == null) {
      throw new IllegalStateException("core of " + node.id + " returned null for " + event);
    }
    List<Effect<M>> effects = new ArrayList<>(handled.size() + flushed.size());
    effects.addAll(handled);
    effects.addAll(flushed);
    effects = List.copyOf(effects);
    Step<M> step = new Step<>(eventIndex, steps.size(), now, node.id, node.incarnation, event,
        effects, node.lastStep, sendStep);
    steps.add(step);
    node.lastStep = step.stepIndex();
    record(describe(step));
    for (Effect<M> effect : effects) {
      apply(node, step, effect);
    }
    for (Consumer<Step<M>> observer : observers) {
      observer.accept(step);
    }
    for (Checker<M> checker : checkers) {
      Optional<String> problem = checker.afterStep(step, this);
      if (problem.isPresent()) {
        return Optional.of(new Violation(seed, eventIndex, checker.name(), problem.get()));
      }
    }
    return Optional.empty();
  }

  private void apply(Node<M> node, Step<M> step, Effect<M> effect) {
    if (effect instanceof Effect.Send<M> send) {
      if (!nodes.containsKey(send.to())) {
        throw new IllegalStateException(
            "core of " + node.id + " sent to unknown node " + send.to() + "; members are "
                + members);
      }
      long messageId = messagesSent++;
      if (blockedLinks.containsKey(new Link(node.id, send.to()))) {
        messagesDropped++;
        record("drop m" + messageId + " " + node.id + "->" + send.to() + ": link cut");
        return;
      }
      if (networkRandom.nextDouble() < network.lossProbability()) {
        messagesDropped++;
        record("drop m" + messageId + " " + node.id + "->" + send.to() + ": lost");
        return;
      }
      int copies = networkRandom.nextDouble() < network.duplicateProbability() ? 2 : 1;
      for (int c = 0; c < copies; c++) {
        long delay = network.delay().sampleNanos(networkRandom);
        if (networkRandom.nextDouble() < network.reorderProbability()) {
          delay += network.reorderDelayNanos();
        }
        schedule(after(delay),
            new Arrival<>(node.id, send.to(), send.payload(), messageId, step.stepIndex()));
      }
    } else if (effect instanceof Effect.SetTimer<M> timer) {
      long generation = ++node.timerGeneration;
      node.timers.put(timer.name(), generation);
      schedule(after(node.clock.trueDurationOf(timer.delayNanos())),
          new TimerFire(node.id, node.incarnation, timer.name(), generation));
    } else if (effect instanceof Effect.CancelTimer<M> cancel) {
      node.timers.remove(cancel.name());
    }
    // Deliver: recorded in the step, which is how checkers and applications see it.
  }

  private void injectFault() {
    int pick = faultRandom.nextInt(faultModel.totalWeight());
    long duration = faultModel.minDurationNanos()
        + faultRandom.nextLong(faultModel.maxDurationNanos() - faultModel.minDurationNanos() + 1);
    if ((pick -= faultModel.linkCutWeight()) < 0) {
      NodeId from = members.get(faultRandom.nextInt(members.size()));
      NodeId to = members.get(faultRandom.nextInt(members.size()));
      if (!from.equals(to)) {
        block(List.of(new Link(from, to)), duration, "cut " + from + "->" + to);
      }
    } else if ((pick -= faultModel.partitionWeight()) < 0) {
      List<NodeId> sideA = new ArrayList<>();
      List<NodeId> sideB = new ArrayList<>();
      for (NodeId id : members) {
        (faultRandom.nextBoolean() ? sideA : sideB).add(id);
      }
      if (!sideA.isEmpty() && !sideB.isEmpty()) {
        List<Link> links = new ArrayList<>();
        for (NodeId a : sideA) {
          for (NodeId b : sideB) {
            links.add(new Link(a, b));
            links.add(new Link(b, a));
          }
        }
        block(links, duration, "partition " + sideA + " | " + sideB);
      }
    } else if ((pick -= faultModel.crashWeight()) < 0) {
      long down = nodes.values().stream().filter(n -> !n.up).count();
      Node<M> victim = nodes.get(members.get(faultRandom.nextInt(members.size())));
      if (victim.up && down < faultModel.maxDown() && !durable.contains(victim.id)) {
        victim.up = false;
        victim.core = null;
        victim.timers.clear();
        victim.lastStep = -1;
        crashes++;
        record("crash " + victim.id + "#" + victim.incarnation + " for " + duration + "ns");
        schedule(after(duration), new Restart(victim.id, victim.incarnation));
        hintCrash(victim.id);
      }
    } else if (clockModel.maxStepNanos() > 0) {
      Node<M> node = nodes.get(members.get(faultRandom.nextInt(members.size())));
      long magnitude = 1 + faultRandom.nextLong(clockModel.maxStepNanos());
      long delta = clockModel.forwardStepsOnly() || faultRandom.nextBoolean()
          ? magnitude : -magnitude;
      node.clock.step(now, delta);
      record("clock step " + node.id + " by " + delta + "ns");
    }
  }

  /**
   * What a real transport does when a peer's process dies (its port refuses connections): most
   * other nodes get a {@link PeerUnreachable} hint soon after; now and then a live node is hinted
   * too, as a hint is only a hint.
   */
  private void hintCrash(NodeId victim) {
    if (hintDelayNanos == 0) {
      return;
    }
    for (NodeId other : members) {
      if (!other.equals(victim) && hintRandom.nextInt(4) != 0) {
        schedule(after(hintRandom.nextLong(hintDelayNanos + 1)),
            new RequestArrival(other, new PeerUnreachable(victim)));
      }
    }
    if (hintRandom.nextInt(8) == 0) {
      NodeId to = members.get(hintRandom.nextInt(members.size()));
      NodeId wrong = members.get(hintRandom.nextInt(members.size()));
      if (!to.equals(wrong) && !wrong.equals(victim)) {
        schedule(after(hintRandom.nextLong(hintDelayNanos + 1)),
            new RequestArrival(to, new PeerUnreachable(wrong)));
      }
    }
  }

  private void block(List<Link> links, long duration, String what) {
    for (Link link : links) {
      blockedLinks.merge(link, 1, Integer::sum);
    }
    record(what + " for " + duration + "ns");
    schedule(after(duration), new Unblock(links));
  }

  private static long exponential(SplittableRandom random, long mean) {
    double draw = -Math.log(1.0 - random.nextDouble()) * mean;
    return draw >= Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 4 : Math.max(1, (long) draw);
  }

  // ---------------------------------------------------------------------------------------------
  // Trace

  private String describe(Step<M> step) {
    StringBuilder sb = new StringBuilder();
    sb.append(step.node()).append('#').append(step.incarnation()).append(' ');
    Event<M> e = step.event();
    if (e instanceof Event.Start<M>) {
      sb.append("start");
    } else if (e instanceof Event.Message<M> m) {
      sb.append("recv from ").append(m.from()).append(" (step ").append(step.sendStep())
          .append("): ").append(m.payload());
    } else if (e instanceof Event.Timer<M> t) {
      sb.append("timer ").append(t.name());
    } else if (e instanceof Event.Request<M> r) {
      sb.append("request ").append(r.request());
    }
    sb.append(" wall=").append(e.now().wallNanos());
    for (Effect<M> effect : step.effects()) {
      sb.append(" | ").append(effect);
    }
    return sb.toString();
  }

  private void record(String what) {
    String line = "#" + eventIndex + " t=" + now + " " + what;
    for (int i = 0; i < line.length(); i++) {
      fingerprint = (fingerprint ^ line.charAt(i)) * 0x100000001B3L;
    }
    fingerprint = (fingerprint ^ '\n') * 0x100000001B3L;
    if (keepTrace) {
      trace.add(line);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Execution

  @Override
  public long seed() {
    return seed;
  }

  @Override
  public long trueTimeNanos() {
    return now;
  }

  @Override
  public Phase phase() {
    return phase;
  }

  @Override
  public long livenessStartNanos() {
    return safetyNanos;
  }

  @Override
  public List<NodeId> members() {
    return members;
  }

  @Override
  public List<Step<M>> steps() {
    return stepsView;
  }

  @Override
  public boolean isUp(NodeId node) {
    return requireNode(node).up;
  }

  @Override
  public int incarnation(NodeId node) {
    return requireNode(node).incarnation;
  }

  @Override
  public ProtocolCore<M> core(NodeId node) {
    return requireNode(node).core;
  }

  @Override
  public VirtualClock clock(NodeId node) {
    return requireNode(node).clock;
  }

  private Node<M> requireNode(NodeId node) {
    Node<M> n = nodes.get(node);
    if (n == null) {
      throw new IllegalArgumentException("unknown node " + node + "; members are " + members);
    }
    return n;
  }

  private static final class Node<M> {
    final NodeId id;
    final int index;
    final VirtualClock clock;
    final Map<String, Long> timers = new HashMap<>();
    long timerGeneration;
    ProtocolCore<M> core;
    boolean up;
    int incarnation;
    int lastStep = -1;

    Node(NodeId id, int index, VirtualClock clock) {
      this.id = id;
      this.index = index;
      this.clock = clock;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Settings of a simulation. Defaults: reliable LAN network, perfect clocks, no faults, 1 s of
   * safety phase, 1 s of liveness phase, at most 10 million events, no trace kept.
   */
  public static final class Builder<M> {
    /** Longest run accepted: far beyond any test, far below overflow. */
    public static final long MAX_RUN_NANOS = Long.MAX_VALUE / 1000;

    private long seed = 1;
    private List<NodeId> members;
    private CoreFactory<M> cores;
    private NetworkModel network = NetworkModel.reliable();
    private NetworkModel livenessNetwork;
    private ClockModel clocks = ClockModel.perfect();
    private final Map<NodeId, ClockModel> nodeClocks = new HashMap<>();
    private final Set<NodeId> durable = new HashSet<>();
    private long hintDelayNanos;
    private FaultModel faults = FaultModel.none();
    private long safetyNanos = 1_000_000_000L;
    private long livenessNanos = 1_000_000_000L;
    private long maxEvents = 10_000_000L;
    private boolean keepTrace;
    private final List<Supplier<? extends Checker<M>>> checkers = new ArrayList<>();
    private final List<Consumer<Step<M>>> observers = new ArrayList<>();
    private final List<TimedRequest> requests = new ArrayList<>();

    private record TimedRequest(long atNanos, NodeId node, Object request) {}

    private Builder() {}

    /** The seed from which everything random in the run derives. */
    public Builder<M> seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The nodes, in a fixed order.
     *
     * @throws IllegalArgumentException if empty, or holding null or duplicate ids
     */
    public Builder<M> members(List<NodeId> members) {
      if (members == null || members.isEmpty()) {
        throw new IllegalArgumentException("a simulation needs at least one member");
      }
      Set<NodeId> seen = new HashSet<>();
      for (NodeId id : members) {
        if (id == null) {
          throw new IllegalArgumentException("members must not contain null");
        }
        if (!seen.add(id)) {
          throw new IllegalArgumentException("member " + id + " appears twice in " + members);
        }
      }
      this.members = List.copyOf(members);
      return this;
    }

    /** How each node's core is built, once per incarnation. */
    public Builder<M> cores(CoreFactory<M> cores) {
      this.cores = require(cores, "cores");
      return this;
    }

    /** The network during the safety phase. */
    public Builder<M> network(NetworkModel network) {
      this.network = require(network, "network");
      return this;
    }

    /** The network during the liveness phase; by default the safety network without loss. */
    public Builder<M> livenessNetwork(NetworkModel network) {
      this.livenessNetwork = require(network, "livenessNetwork");
      return this;
    }

    /** How the nodes' clocks deviate from true time. */
    public Builder<M> clocks(ClockModel clocks) {
      this.clocks = require(clocks, "clocks");
      return this;
    }

    /**
     * How one node's clock deviates from true time, instead of {@link #clocks}' offset and drift
     * (a precise reference clock, or a rogue one); clock steps still follow {@link #clocks}.
     *
     * @throws IllegalArgumentException if either argument is null
     */
    public Builder<M> clock(NodeId node, ClockModel clock) {
      nodeClocks.put(require(node, "node"), require(clock, "clock"));
      return this;
    }

    /**
     * Exempts {@code node} from crashes (a node the scenario treats as stable storage, such as a
     * replicated service modelled by one node); its links may still fail.
     */
    public Builder<M> durable(NodeId node) {
      durable.add(require(node, "node"));
      return this;
    }

    /**
     * Has crashes hinted as a real transport would ({@link PeerUnreachable} to most other nodes
     * within {@code maxDelayNanos} of a crash, and occasionally a wrong hint about a live node).
     * Off by default.
     */
    public Builder<M> transportHints(long maxDelayNanos) {
      if (maxDelayNanos <= 0) {
        throw new IllegalArgumentException("hint delay must be > 0 ns, got " + maxDelayNanos);
      }
      this.hintDelayNanos = maxDelayNanos;
      return this;
    }

    /** The faults of the safety phase. */
    public Builder<M> faults(FaultModel faults) {
      this.faults = require(faults, "faults");
      return this;
    }

    /**
     * Phase lengths in true-time nanoseconds.
     *
     * @throws IllegalArgumentException if either is negative
     */
    public Builder<M> phases(long safetyNanos, long livenessNanos) {
      if (safetyNanos < 0 || livenessNanos < 0 || safetyNanos > MAX_RUN_NANOS - livenessNanos) {
        throw new IllegalArgumentException(
            "phase lengths must be >= 0 ns and add up to at most " + MAX_RUN_NANOS
                + " ns (about 106 days), got safety=" + safetyNanos + " liveness="
                + livenessNanos);
      }
      this.safetyNanos = safetyNanos;
      this.livenessNanos = livenessNanos;
      return this;
    }

    /**
     * A bound on events per run, so a protocol that never quiesces fails instead of hanging.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<M> maxEvents(long maxEvents) {
      if (maxEvents <= 0) {
        throw new IllegalArgumentException("maxEvents must be > 0, got " + maxEvents);
      }
      this.maxEvents = maxEvents;
      return this;
    }

    /** Keep the full trace in the result (one line per event), e.g. to print a failing seed. */
    public Builder<M> keepTrace(boolean keepTrace) {
      this.keepTrace = keepTrace;
      return this;
    }

    /** A checker; the supplier is called once per simulation, so checkers may keep state. */
    public Builder<M> checker(Supplier<? extends Checker<M>> checker) {
      checkers.add(require(checker, "checker"));
      return this;
    }

    /** Called with every step as it happens, before the checkers: to print or collect a run. */
    public Builder<M> observer(Consumer<Step<M>> observer) {
      observers.add(require(observer, "observer"));
      return this;
    }

    /**
     * Hands {@code request} to {@code node}'s core at true time {@code atNanos} (refused, and
     * traced, if the node is down then).
     */
    public Builder<M> request(long atNanos, NodeId node, Object request) {
      if (atNanos < 0) {
        throw new IllegalArgumentException("request time must be >= 0 ns, got " + atNanos);
      }
      requests.add(new TimedRequest(atNanos, require(node, "request node"),
          require(request, "request")));
      return this;
    }

    /**
     * Builds the simulation.
     *
     * @throws IllegalStateException if members or cores were not set, or a request names a node
     *     that is not a member
     */
    public Simulation<M> build() {
      if (members == null) {
        throw new IllegalStateException("members not set");
      }
      if (cores == null) {
        throw new IllegalStateException("cores not set");
      }
      for (TimedRequest r : requests) {
        if (!members.contains(r.node)) {
          throw new IllegalStateException(
              "request for unknown node " + r.node + "; members are " + members);
        }
      }
      for (NodeId node : nodeClocks.keySet()) {
        if (!members.contains(node)) {
          throw new IllegalStateException(
              "clock given for unknown node " + node + "; members are " + members);
        }
      }
      return new Simulation<>(this);
    }

    private static <T> T require(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " must not be null");
      }
      return value;
    }
  }
}
