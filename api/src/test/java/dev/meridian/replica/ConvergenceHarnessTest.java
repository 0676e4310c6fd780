package dev.meridian.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.replica.ConvergenceHarness.Issued;
import dev.meridian.replica.ConvergenceHarness.Outcome;
import dev.meridian.replica.ConvergenceHarness.Subject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Tests of the harness itself: that its executions are causal and exercise concurrency, and that
 * it catches states that break the rule (concurrent operations must commute).
 */
class ConvergenceHarnessTest {

  /** Records what it applies; converges whenever every op is applied once, in any order. */
  static final class RecordingState implements ReplicatedState<String> {
    final TreeSet<String> applied = new TreeSet<>();

    @Override
    public void apply(String op, Origin origin) {
      if (!applied.add(origin.node() + "/" + origin.sequence() + "=" + op)) {
        throw new IllegalStateException("applied twice: " + origin);
      }
    }

    @Override
    public Codec<String> opCodec() {
      return Codec.utf8();
    }
  }

  static final Subject<RecordingState, String> RECORDING =
      new Subject<>() {
        @Override
        public String name() {
          return "recording";
        }

        @Override
        public RecordingState newReplica() {
          return new RecordingState();
        }

        @Override
        public String prepare(RecordingState local, SplittableRandom random) {
          return "op" + random.nextInt(100);
        }

        @Override
        public Object observe(RecordingState state) {
          return List.copyOf(state.applied);
        }
      };

  /**
   * Deliberately broken: keeps whatever was applied last. Two concurrent writes applied in
   * opposite orders leave two replicas with different values.
   */
  static final class LastAppliedRegister implements ReplicatedState<String> {
    String value = "";

    @Override
    public void apply(String op, Origin origin) {
      value = op;
    }

    @Override
    public Codec<String> opCodec() {
      return Codec.utf8();
    }
  }

  static final Subject<LastAppliedRegister, String> LAST_APPLIED =
      new Subject<>() {
        @Override
        public String name() {
          return "last-applied-register (broken on purpose)";
        }

        @Override
        public LastAppliedRegister newReplica() {
          return new LastAppliedRegister();
        }

        @Override
        public String prepare(LastAppliedRegister local, SplittableRandom random) {
          return "v" + random.nextInt(5);
        }

        @Override
        public Object observe(LastAppliedRegister state) {
          return state.value;
        }
      };

  /**
   * Deliberately broken: a remove deletes the element whatever adds it has seen, so an add and a
   * concurrent remove of the same element do not commute.
   */
  static final class RemoveAnythingSet implements ReplicatedState<String> {
    final TreeSet<String> elements = new TreeSet<>();

    @Override
    public void apply(String op, Origin origin) {
      if (op.startsWith("+")) {
        elements.add(op.substring(1));
      } else {
        elements.remove(op.substring(1));
      }
    }

    @Override
    public Codec<String> opCodec() {
      return Codec.utf8();
    }
  }

  static final Subject<RemoveAnythingSet, String> REMOVE_ANYTHING =
      new Subject<>() {
        @Override
        public String name() {
          return "remove-anything-set (broken on purpose)";
        }

        @Override
        public RemoveAnythingSet newReplica() {
          return new RemoveAnythingSet();
        }

        @Override
        public String prepare(RemoveAnythingSet local, SplittableRandom random) {
          return (random.nextBoolean() ? "+" : "-") + "abc".charAt(random.nextInt(3));
        }

        @Override
        public Object observe(RemoveAnythingSet state) {
          return List.copyOf(state.elements);
        }
      };

  @Test
  void everyReplicaAppliesEveryOpOnceInAnOrderConsistentWithCausality() {
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    for (long seed = first; seed < first + count; seed++) {
      Outcome<String> outcome = ConvergenceHarness.run(RECORDING, seed);
      assertEquals(Optional.empty(), outcome.failure(), "seed=" + seed);
      List<Issued<String>> all = outcome.history().ops();
      assertTrue(all.size() >= 8, "seed=" + seed + " issued only " + all.size() + " ops");
      assertTrue(outcome.replicas() >= 3 && outcome.replicas() <= 5, "seed=" + seed);
      for (List<Issued<String>> order : outcome.orders()) {
        assertEquals(all.size(), order.size(), "seed=" + seed + " every op applied");
        assertEquals(all.size(), new HashSet<>(order).size(), "seed=" + seed + " exactly once");
        for (int i = 0; i < order.size(); i++) {
          for (int j = i + 1; j < order.size(); j++) {
            if (outcome.history().happenedBefore(order.get(j), order.get(i))) {
              fail("seed=" + seed + ": " + order.get(j).label() + " happened before "
                  + order.get(i).label() + " but was applied after it");
            }
          }
        }
      }
    }
  }

  @Test
  void executionsHaveConcurrencyAndDifferentApplyOrders() {
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    int reordered = 0;
    long concurrentPairs = 0;
    for (long seed = first; seed < first + count; seed++) {
      Outcome<String> outcome = ConvergenceHarness.run(RECORDING, seed);
      reordered += outcome.reordered() ? 1 : 0;
      concurrentPairs += outcome.concurrentPairs();
    }
    assertTrue(reordered > count / 2,
        "seeds " + first + ".." + (first + count - 1) + ": only " + reordered
            + " runs applied ops in different orders at different replicas");
    assertTrue(concurrentPairs > count * 10L,
        "seeds " + first + ".." + (first + count - 1) + ": only " + concurrentPairs
            + " concurrent pairs");
  }

  @Test
  void aSeedReplaysExactly() {
    for (long seed : new long[] {1, 42, 7_777}) {
      Outcome<String> a = ConvergenceHarness.run(LAST_APPLIED, seed);
      Outcome<String> b = ConvergenceHarness.run(LAST_APPLIED, seed);
      assertEquals(labels(a), labels(b), "seed=" + seed);
      assertEquals(a.failure(), b.failure(), "seed=" + seed);
    }
  }

  private static List<List<String>> labels(Outcome<String> outcome) {
    List<List<String>> out = new ArrayList<>();
    for (List<Issued<String>> order : outcome.orders()) {
      List<String> labels = new ArrayList<>();
      order.forEach(i -> labels.add(i.toString()));
      out.add(labels);
    }
    return out;
  }

  @Test
  void catchesALastAppliedRegister() {
    assertCaught(LAST_APPLIED);
  }

  @Test
  void catchesASetWhoseRemoveIgnoresWhatItObserved() {
    assertCaught(REMOVE_ANYTHING);
  }

  /** The harness must report a divergence for some seed, naming that seed. */
  static <S extends ReplicatedState<O>, O> void assertCaught(Subject<S, O> broken) {
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    Set<Long> divergent = new TreeSet<>();
    String example = null;
    for (long seed = first; seed < first + count; seed++) {
      Optional<String> failure = ConvergenceHarness.run(broken, seed).failure();
      if (failure.isPresent()) {
        divergent.add(seed);
        assertTrue(failure.get().startsWith("seed=" + seed + " "), failure.get());
        assertTrue(failure.get().contains("replicas diverged"), failure.get());
        example = example == null ? failure.get() : example;
      }
    }
    assertFalse(divergent.isEmpty(),
        broken.name() + ": no divergence found in seeds " + first + ".." + (first + count - 1));
    // Broken states diverge often; a harness that caught them only rarely would be suspect.
    assertTrue(divergent.size() > count / 10,
        broken.name() + ": only " + divergent.size() + " of " + count + " seeds diverged, e.g. "
            + example);
  }
}
