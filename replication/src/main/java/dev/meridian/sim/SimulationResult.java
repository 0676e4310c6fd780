package dev.meridian.sim;

import java.util.List;
import java.util.Optional;

/**
 * What one simulated run did.
 *
 * @param seed the run's seed
 * @param violation the first property that failed, if any (a run stops at its first violation)
 * @param events events processed (trace length)
 * @param steps events handled by cores
 * @param messagesSent messages cores asked to send
 * @param messagesDropped message copies lost, cut by a partition, or arriving at a crashed node
 *     (a duplicated message may count twice)
 * @param crashes crashes injected
 * @param fingerprint a 64-bit hash of the whole trace: equal seeds give equal fingerprints
 * @param trace the trace, one line per event, when the simulation was asked to keep it; else empty
 */
public record SimulationResult(
    long seed,
    Optional<Violation> violation,
    long events,
    long steps,
    long messagesSent,
    long messagesDropped,
    long crashes,
    long fingerprint,
    List<String> trace) {

  /** True when no property failed. */
  public boolean ok() {
    return violation.isEmpty();
  }
}
