package dev.meridian.keystore.client;

import io.grpc.Status;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The answers to one round of calls, one per server index, as they arrive: gRPC callbacks add
 * them, the calling thread waits until it has what it needs or its deadline passes.
 */
final class Gather<R> {
  private final Map<Integer, R> answers = new HashMap<>();
  private final Map<Integer, Status> failures = new HashMap<>();
  private final BitSet asked = new BitSet();

  synchronized void asked(int server) {
    asked.set(server);
  }

  synchronized boolean wasAsked(int server) {
    return asked.get(server);
  }

  synchronized void answered(int server, R answer) {
    answers.put(server, answer);
    notifyAll();
  }

  synchronized void failed(int server, Status status) {
    failures.put(server, status);
    notifyAll();
  }

  /** Servers asked that neither answered nor failed yet. */
  synchronized BitSet pending() {
    BitSet p = (BitSet) asked.clone();
    answers.keySet().forEach(p::clear);
    failures.keySet().forEach(p::clear);
    return p;
  }

  synchronized BitSet answeredSet() {
    BitSet b = new BitSet();
    answers.keySet().forEach(b::set);
    return b;
  }

  synchronized Map<Integer, R> answers() {
    return new HashMap<>(answers);
  }

  synchronized Map<Integer, Status> failures() {
    return new HashMap<>(failures);
  }

  /**
   * Waits until {@code done} holds, nothing is pending, or {@code untilNanos} (System.nanoTime)
   * passes; returns whether {@code done} holds.
   */
  synchronized boolean await(Predicate<Gather<R>> done, long untilNanos)
      throws InterruptedException {
    while (!done.test(this)) {
      if (pending().isEmpty()) {
        return false;
      }
      long left = untilNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000), 0);
    }
    return true;
  }
}
