package dev.meridian.sim;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.ProtocolCore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small purpose-built protocol cores and helpers shared by the simulator tests. */
final class SimTestSupport {
  private SimTestSupport() {}

  static final long MS = 1_000_000L;

  static final NodeId A = NodeId.of("a");
  static final NodeId B = NodeId.of("b");
  static final NodeId C = NodeId.of("c");

  /** A numbered message; {@code from} and {@code incarnation} name the incarnation that sent it. */
  record Ping(NodeId from, int incarnation, int seq) {}

  static List<NodeId> nodes(int n) {
    List<NodeId> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add(NodeId.of("n" + i));
    }
    return ids;
  }

  /**
   * On its start, {@code from} sends {@code count} pings numbered 0, 1, 2... to {@code to}, all in
   * one step; every node delivers each ping it receives.
   */
  static CoreFactory<Ping> burst(NodeId from, NodeId to, int count) {
    return ctx -> event -> {
      List<Effect<Ping>> out = new ArrayList<>();
      if (event instanceof Event.Start<Ping> && ctx.self().equals(from)) {
        for (int i = 0; i < count; i++) {
          out.add(new Effect.Send<>(to, new Ping(from, ctx.incarnation(), i)));
        }
      } else if (event instanceof Event.Message<Ping> m) {
        out.add(new Effect.Deliver<>(m.payload()));
      }
      return out;
    };
  }

  /** A core made of one function from event to effects. */
  static <M> CoreFactory<M> scripted(Function<Event<M>, List<Effect<M>>> script) {
    return ctx -> script::apply;
  }

  /**
   * Every node sends a numbered ping to every other member on a timer whose period is jittered
   * with the core's own random generator, and delivers every ping it receives. Its sequence
   * number is volatile state: a new incarnation starts again at 0.
   */
  static final class Chatter implements ProtocolCore<Ping> {
    final NodeContext context;
    final long periodNanos;
    final RandomGenerator random;
    int seq;
    int handled;

    Chatter(NodeContext context, long periodNanos) {
      this.context = context;
      this.periodNanos = periodNanos;
      this.random = context.random();
    }

    @Override
    public List<Effect<Ping>> handle(Event<Ping> event) {
      handled++;
      List<Effect<Ping>> out = new ArrayList<>();
      if (event instanceof Event.Start<Ping>) {
        out.add(new Effect.SetTimer<>("tick", nextPeriod()));
      } else if (event instanceof Event.Timer<Ping>) {
        for (NodeId other : context.members()) {
          if (!other.equals(context.self())) {
            out.add(new Effect.Send<>(other, new Ping(context.self(), context.incarnation(), seq++)));
          }
        }
        out.add(new Effect.SetTimer<>("tick", nextPeriod()));
      } else if (event instanceof Event.Message<Ping> m) {
        out.add(new Effect.Deliver<>(m.payload()));
      } else if (event instanceof Event.Request<Ping> r) {
        out.add(new Effect.Deliver<>(r.request()));
      }
      return out;
    }

    private long nextPeriod() {
      return periodNanos / 2 + random.nextLong(periodNanos);
    }
  }

  /** A checker made of one function; the name is {@code name}. */
  static <M> Checker<M> checker(String name,
      java.util.function.BiFunction<Step<M>, Execution<M>, Optional<String>> afterStep) {
    return new Checker<>() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Optional<String> afterStep(Step<M> step, Execution<M> execution) {
        return afterStep.apply(step, execution);
      }
    };
  }

  /** The steps whose event is a received message. */
  static <M> List<Step<M>> receives(List<Step<M>> steps) {
    return steps.stream().filter(s -> s.event() instanceof Event.Message<M>).toList();
  }

  /** The payload of a receive step. */
  static <M> M payload(Step<M> step) {
    return ((Event.Message<M>) step.event()).payload();
  }

  /** Every payload a step sent, in order. */
  static <M> List<M> sent(Step<M> step) {
    List<M> out = new ArrayList<>();
    for (Effect<M> e : step.effects()) {
      if (e instanceof Effect.Send<M> s) {
        out.add(s.payload());
      }
    }
    return out;
  }

  private static final Pattern TIME = Pattern.compile("^#-?\\d+ t=(-?\\d+) ");

  /** The true time of a trace line. */
  static long timeOf(String traceLine) {
    Matcher m = TIME.matcher(traceLine);
    if (!m.find()) {
      throw new AssertionError("trace line without time: " + traceLine);
    }
    return Long.parseLong(m.group(1));
  }
}
