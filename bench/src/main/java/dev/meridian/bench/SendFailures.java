package dev.meridian.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Sends that failed in a benchmarked group, counted by exception type; thread-safe. */
final class SendFailures {
  private final LongAdder total = new LongAdder();
  private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();

  void record(Throwable failure) {
    total.increment();
    byKind.computeIfAbsent(failure.getClass().getSimpleName(), k -> new LongAdder()).increment();
  }

  long total() {
    return total.sum();
  }

  /** E.g. {@code "0"} or {@code "2 {ReplicaOverloadedException=2}"}. */
  String summary() {
    StringBuilder sb = new StringBuilder().append(total.sum());
    if (!byKind.isEmpty()) {
      sb.append(' ').append(byKind);
    }
    return sb.toString();
  }
}
