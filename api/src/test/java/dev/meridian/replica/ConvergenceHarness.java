package dev.meridian.replica;

import dev.meridian.NodeId;
import dev.meridian.time.HybridLogicalClock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A seeded random-execution checker for {@link ReplicatedState}s: 3 to 5 replicas issue random
 * operations, each prepared against its origin's local state at that moment and applied there at
 * once, while the harness delivers the others' operations to each replica in a random order
 * consistent with causality (an operation is deliverable once the replica has applied everything
 * its origin had applied when issuing it; operations of one origin arrive in issue order). Remote
 * replicas receive each operation through its codec, as over the wire. When every replica has
 * applied every operation, all must be in the same state, and that state must agree with the
 * subject's specification, which is written in terms of the causal history.
 *
 * <p>One {@code long} seed fixes the whole run: the number of replicas and operations, the
 * interleaving, the operations, and the physical clock readings behind each replica's hybrid clock
 * (coarse, so timestamps of different nodes are sometimes equal and node-id tie-breaks matter).
 */
public final class ConvergenceHarness {
  private ConvergenceHarness() {}

  /** Seeds each convergence property runs by default; {@code -Dmeridian.crdt.seeds=N} for more. */
  public static int seedCount() {
    return Integer.getInteger("meridian.crdt.seeds", 400);
  }

  /** First seed of a property run; {@code -Dmeridian.crdt.firstSeed=S} to move the window. */
  public static long firstSeed() {
    return Long.getLong("meridian.crdt.firstSeed", 1L);
  }

  /**
   * What the harness needs to drive one kind of replicated state.
   *
   * @param <S> the state
   * @param <O> its operation type
   */
  public interface Subject<S extends ReplicatedState<O>, O> {
    /** A name for failure messages. */
    String name();

    /** A fresh, empty replica. */
    S newReplica();

    /** A random operation, prepared against {@code local} the way an application would. */
    O prepare(S local, SplittableRandom random);

    /** Everything about the state that must agree between converged replicas, as a value. */
    Object observe(S state);

    /**
     * Checks a converged state against the specification; returns a description of the mismatch,
     * or null when it agrees.
     */
    default String checkSpec(S state, History<O> history) {
      return null;
    }
  }

  /** One issued operation, with what its origin had applied when issuing it. */
  public static final class Issued<O> {
    private final O op;
    private final Origin origin;
    private final int originIndex;
    private final int[] deps;
    private final byte[] encoded;

    Issued(O op, Origin origin, int originIndex, int[] deps, byte[] encoded) {
      this.op = op;
      this.origin = origin;
      this.originIndex = originIndex;
      this.deps = deps;
      this.encoded = encoded;
    }

    public O op() {
      return op;
    }

    public Origin origin() {
      return origin;
    }

    /** Short label {@code node/sequence}. */
    public String label() {
      return origin.node() + "/" + origin.sequence();
    }

    @Override
    public String toString() {
      return label() + " " + op;
    }
  }

  /** Every operation of a run, in issue order, with the happens-before relation between them. */
  public static final class History<O> {
    private final List<Issued<O>> ops = new ArrayList<>();

    public List<Issued<O>> ops() {
      return Collections.unmodifiableList(ops);
    }

    /** True when {@code a} happened before {@code b}: b's origin had applied a when issuing b. */
    public boolean happenedBefore(Issued<O> a, Issued<O> b) {
      return a != b && a.origin.sequence() <= b.deps[a.originIndex];
    }

    /** True when neither happened before the other. */
    public boolean concurrent(Issued<O> a, Issued<O> b) {
      return a != b && !happenedBefore(a, b) && !happenedBefore(b, a);
    }
  }

  /**
   * The result of one run.
   *
   * @param failure why the run failed (divergence, spec mismatch, codec error, exception), with
   *     the seed; empty when it passed
   * @param orders each replica's apply order
   */
  public record Outcome<O>(
      long seed,
      int replicas,
      History<O> history,
      List<List<Issued<O>>> orders,
      Optional<String> failure) {

    /** Pairs of concurrent operations in the run: what the run exercised. */
    public int concurrentPairs() {
      List<Issued<O>> ops = history.ops();
      int count = 0;
      for (int i = 0; i < ops.size(); i++) {
        for (int j = i + 1; j < ops.size(); j++) {
          if (history.concurrent(ops.get(i), ops.get(j))) {
            count++;
          }
        }
      }
      return count;
    }

    /** True when two replicas applied some two operations in opposite orders. */
    public boolean reordered() {
      List<Issued<O>> first = orders.get(0);
      for (List<Issued<O>> other : orders.subList(1, orders.size())) {
        if (!first.equals(other)) {
          return true; // same elements (every replica applies every op), different sequence
        }
      }
      return false;
    }
  }

  /** How the harness may order deliveries. */
  public enum Delivery {
    /** What Meridian guarantees: causal order (which includes FIFO per origin). */
    CAUSAL,
    /**
     * FIFO per origin only, ignoring what the origin had applied from others: weaker than Meridian
     * guarantees, to show which states need causal order.
     */
    FIFO_ONLY
  }

  /** Runs one seeded execution of {@code subject}. Never throws for a failing state. */
  public static <S extends ReplicatedState<O>, O> Outcome<O> run(Subject<S, O> subject, long seed) {
    return run(subject, seed, Delivery.CAUSAL);
  }

  /** Runs one seeded execution with the given delivery discipline. */
  public static <S extends ReplicatedState<O>, O> Outcome<O> run(
      Subject<S, O> subject, long seed, Delivery delivery) {
    return new Run<>(subject, seed, delivery).execute();
  }

  /**
   * Runs {@code count} seeds from {@code first}; returns the first failure's message, or empty
   * when every run passed.
   */
  public static <S extends ReplicatedState<O>, O> Optional<String> firstFailure(
      Subject<S, O> subject, long first, int count) {
    for (long seed = first; seed < first + count; seed++) {
      Outcome<O> outcome = run(subject, seed);
      if (outcome.failure().isPresent()) {
        return outcome.failure();
      }
    }
    return Optional.empty();
  }

  private static final class Run<S extends ReplicatedState<O>, O> {
    private final Subject<S, O> subject;
    private final long seed;
    private final Delivery delivery;
    private final SplittableRandom random;
    private final int n;
    private final NodeId[] nodes;
    private final List<S> states = new ArrayList<>();
    private final HybridLogicalClock[] clocks;
    private final long[] clockOffsets;
    private final int[][] applied; // applied[r][j]: ops of origin j applied at replica r
    private final List<List<Issued<O>>> byOrigin = new ArrayList<>();
    private final List<List<Issued<O>>> orders = new ArrayList<>();
    private final History<O> history = new History<>();
    private long now;

    Run(Subject<S, O> subject, long seed, Delivery delivery) {
      this.subject = subject;
      this.seed = seed;
      this.delivery = delivery;
      this.random = new SplittableRandom(seed);
      this.n = 3 + random.nextInt(3);
      this.nodes = new NodeId[n];
      this.clocks = new HybridLogicalClock[n];
      this.clockOffsets = new long[n];
      this.applied = new int[n][n];
      // Node ids in a random order relative to replica indexes, so tie-breaks by node id are not
      // tied to the order in which replicas happen to be scheduled.
      List<Integer> names = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        names.add(i);
      }
      for (int i = n - 1; i > 0; i--) {
        Collections.swap(names, i, random.nextInt(i + 1));
      }
      for (int i = 0; i < n; i++) {
        nodes[i] = NodeId.of("r" + names.get(i));
        states.add(subject.newReplica());
        clocks[i] = HybridLogicalClock.create(Long.MAX_VALUE / 4);
        clockOffsets[i] = random.nextInt(3);
        byOrigin.add(new ArrayList<>());
        orders.add(new ArrayList<>());
      }
    }

    private String header() {
      return "seed=" + seed + " subject=" + subject.name() + " replicas=" + n + " ops="
          + history.ops.size() + (delivery == Delivery.CAUSAL ? "" : " delivery=" + delivery);
    }

    private long physicalNanos(int r) {
      return (now + clockOffsets[r]) * 1_000;
    }

    Outcome<O> execute() {
      try {
        String failure = simulate();
        if (failure == null) {
          failure = judge();
        }
        return outcome(failure);
      } catch (RuntimeException e) {
        return outcome("threw " + e + describeOrders());
      }
    }

    private Outcome<O> outcome(String failure) {
      return new Outcome<>(
          seed,
          n,
          history,
          orders,
          failure == null ? Optional.empty() : Optional.of(header() + ": " + failure));
    }

    private String simulate() {
      int budget = 8 + random.nextInt(33);
      double issueProbability = 0.2 + 0.6 * random.nextDouble();
      while (true) {
        now += random.nextInt(3);
        int r = random.nextInt(n);
        List<Issued<O>> deliverable = deliverableAt(r);
        if (budget > 0 && (deliverable.isEmpty() || random.nextDouble() < issueProbability)) {
          budget--;
          String failure = issue(r);
          if (failure != null) {
            return failure;
          }
        } else if (!deliverable.isEmpty()) {
          deliver(r, deliverable.get(random.nextInt(deliverable.size())));
        } else if (budget == 0 && allDelivered()) {
          return null;
        }
      }
    }

    private List<Issued<O>> deliverableAt(int r) {
      List<Issued<O>> out = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        List<Issued<O>> from = byOrigin.get(j);
        if (j == r || applied[r][j] == from.size()) {
          continue;
        }
        Issued<O> next = from.get(applied[r][j]); // FIFO per origin
        boolean ready = true;
        if (delivery == Delivery.FIFO_ONLY) {
          out.add(next);
          continue;
        }
        for (int k = 0; k < n && ready; k++) {
          ready = k == j || next.deps[k] <= applied[r][k];
        }
        if (ready) {
          out.add(next);
        }
      }
      return out;
    }

    private boolean allDelivered() {
      for (int r = 0; r < n; r++) {
        for (int j = 0; j < n; j++) {
          if (applied[r][j] != byOrigin.get(j).size()) {
            return false;
          }
        }
      }
      return true;
    }

    private String issue(int r) {
      S state = states.get(r);
      O op = subject.prepare(state, random);
      clocks[r] = clocks[r].tick(physicalNanos(r));
      Origin origin = new Origin(nodes[r], byOrigin.get(r).size() + 1L, clocks[r].timestamp());
      Codec<O> codec = state.opCodec();
      byte[] encoded = codec.encode(op);
      // Compared by encoding, not equals: an op holding a byte[] has identity equality.
      O decoded = codec.decode(encoded);
      if (!Arrays.equals(codec.encode(decoded), encoded)) {
        return "codec round trip changed " + op + " into " + decoded;
      }
      Issued<O> issued = new Issued<>(op, origin, r, applied[r].clone(), encoded);
      byOrigin.get(r).add(issued);
      history.ops.add(issued);
      state.apply(op, origin); // the origin applies its own op at once, the object itself
      applied[r][r]++;
      orders.get(r).add(issued);
      return null;
    }

    private void deliver(int r, Issued<O> issued) {
      S state = states.get(r);
      O op = state.opCodec().decode(issued.encoded); // as received over the wire
      clocks[r] = clocks[r].receive(issued.origin.timestamp(), physicalNanos(r));
      state.apply(op, issued.origin);
      applied[r][issued.originIndex]++;
      orders.get(r).add(issued);
    }

    private String judge() {
      Object reference = subject.observe(states.get(0));
      for (int r = 1; r < n; r++) {
        Object other = subject.observe(states.get(r));
        if (!reference.equals(other)) {
          return "replicas diverged: " + nodes[r] + " ended in " + other + " but " + nodes[0]
              + " in " + reference + describeOrders();
        }
      }
      String specFailure = subject.checkSpec(states.get(0), history);
      return specFailure == null ? null : "state disagrees with the spec: " + specFailure
          + describeOrders();
    }

    private String describeOrders() {
      StringBuilder sb = new StringBuilder("; apply orders:");
      for (int r = 0; r < n; r++) {
        sb.append("\n  ").append(nodes[r]).append(": ");
        List<String> labels = new ArrayList<>();
        for (Issued<O> issued : orders.get(r)) {
          labels.add(issued.toString());
        }
        sb.append(String.join(" | ", labels));
      }
      return sb.toString();
    }
  }
}
