package dev.meridian.replica.crdt;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.replica.ConvergenceHarness;
import dev.meridian.replica.ConvergenceHarness.Delivery;
import dev.meridian.replica.ConvergenceHarness.Outcome;
import dev.meridian.replica.ConvergenceHarness.Subject;
import dev.meridian.replica.ReplicatedState;
import org.junit.jupiter.api.Test;

/**
 * The convergence property, per CRDT: on every seed, random executions of 3 to 5 replicas with
 * causal delivery in random orders end with every replica in the same state, and that state is
 * the one the causal-history specification predicts. Seeds {@code meridian.crdt.firstSeed} and on
 * ({@code meridian.crdt.seeds} of them, 400 by default); a failure names its seed.
 */
class CrdtConvergenceTest {

  static <S extends ReplicatedState<O>, O> void assertConverges(Subject<S, O> subject) {
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    int reordered = 0;
    for (long seed = first; seed < first + count; seed++) {
      Outcome<O> outcome = ConvergenceHarness.run(subject, seed);
      if (outcome.failure().isPresent()) {
        fail(outcome.failure().get());
      }
      reordered += outcome.reordered() ? 1 : 0;
    }
    assertTrue(reordered > count / 2,
        subject.name() + " seeds " + first + ".." + (first + count - 1) + ": only " + reordered
            + " runs applied operations in different orders, so the property proved little");
  }

  @Test
  void counterConverges() {
    assertConverges(CrdtSubjects.COUNTER);
  }

  @Test
  void lwwRegisterConverges() {
    assertConverges(CrdtSubjects.REGISTER);
  }

  @Test
  void orSetConverges() {
    assertConverges(CrdtSubjects.OR_SET);
  }

  @Test
  void orSetOfByteArraysConverges() {
    assertConverges(CrdtSubjects.OR_SET_OF_BYTES);
  }

  @Test
  void mapConverges() {
    assertConverges(CrdtSubjects.MAP);
  }

  // ---------------------------------------------------------------- what causal order buys

  /**
   * Counts the seeds whose run fails when deliveries are only FIFO per origin, stopping after
   * {@code enough} failures.
   */
  static <S extends ReplicatedState<O>, O> int failuresWithFifoOnly(
      Subject<S, O> subject, int enough) {
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    int failures = 0;
    for (long seed = first; seed < first + count && failures < enough; seed++) {
      failures += ConvergenceHarness.run(subject, seed, Delivery.FIFO_ONLY).failure().isPresent()
          ? 1 : 0;
    }
    return failures;
  }

  /**
   * A remove delivered before an add it observed misses that add's tag, and the element comes
   * back at that replica only: the observed-remove CRDTs rely on causal delivery.
   */
  @Test
  void observedRemoveCrdtsNeedCausalDelivery() {
    assertTrue(failuresWithFifoOnly(CrdtSubjects.OR_SET, 1) > 0,
        "OrSet never failed with FIFO-only delivery; the harness may not be producing the"
            + " reorderings causal delivery prevents");
    assertTrue(failuresWithFifoOnly(CrdtSubjects.MAP, 1) > 0,
        "ReplicatedMap never failed with FIFO-only delivery");
  }

  /** Addition and taking a maximum commute outright: these two need no causal order at all. */
  @Test
  void counterAndRegisterConvergeEvenWithFifoOnlyDelivery() {
    assertTrue(failuresWithFifoOnly(CrdtSubjects.COUNTER, 1) == 0, "counter");
    assertTrue(failuresWithFifoOnly(CrdtSubjects.REGISTER, 1) == 0, "register");
  }
}
