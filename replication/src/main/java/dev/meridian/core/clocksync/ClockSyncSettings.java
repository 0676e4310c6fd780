package dev.meridian.core.clocksync;

import dev.meridian.NodeId;
import java.util.List;

/**
 * How one member synchronizes its clock.
 *
 * @param sources the members asked for the time (a designated reference, several, or every
 *     member for internal synchronization); this member may be listed, and is then skipped
 * @param falsetickers f, how many sources may be wrong at once without a wrong interval
 * @param maxDrift ρ, the bound on every clock's rate error (1e-4 = 100 ppm): a monotonic clock
 *     measures an elapsed time d as somewhere in {@code [d(1-ρ), d(1+ρ)]}
 * @param minDelayNanos the least one-way delay a message can take (0 if unknown): it narrows each
 *     exchange's interval by twice this amount, so it must be a true lower bound
 * @param periodNanos how often every source is asked
 * @param answerTimeoutNanos how long an ask may wait for its answer before it is forgotten
 * @param referenceErrorNanos for a reference (a member whose own wall clock is disciplined by an
 *     outside source): the bound on its wall clock's error that it vouches for; -1 for a member
 *     that is not a reference
 * @param stepToleranceNanos how far the wall clock may move against the monotonic clock between
 *     two events, beyond {@code 2ρ·elapsed}, before it counts as stepped
 */
public record ClockSyncSettings(
    List<NodeId> sources,
    int falsetickers,
    double maxDrift,
    long minDelayNanos,
    long periodNanos,
    long answerTimeoutNanos,
    long referenceErrorNanos,
    long stepToleranceNanos) {

  /** @throws IllegalArgumentException naming the field, when a value is out of range */
  public ClockSyncSettings {
    if (sources == null || sources.stream().anyMatch(java.util.Objects::isNull)) {
      throw new IllegalArgumentException("sources must be a list of node ids, got " + sources);
    }
    sources = List.copyOf(sources);
    if (falsetickers < 0) {
      throw new IllegalArgumentException("falsetickers must be >= 0, got " + falsetickers);
    }
    if (!(maxDrift >= 0 && maxDrift < 0.1)) {
      throw new IllegalArgumentException("maxDrift must be in [0, 0.1), got " + maxDrift);
    }
    if (minDelayNanos < 0) {
      throw new IllegalArgumentException("minDelayNanos must be >= 0, got " + minDelayNanos);
    }
    if (periodNanos <= 0) {
      throw new IllegalArgumentException("periodNanos must be > 0, got " + periodNanos);
    }
    if (answerTimeoutNanos <= 0) {
      throw new IllegalArgumentException(
          "answerTimeoutNanos must be > 0, got " + answerTimeoutNanos);
    }
    if (referenceErrorNanos < -1) {
      throw new IllegalArgumentException(
          "referenceErrorNanos must be >= 0, or -1 for a non-reference, got "
              + referenceErrorNanos);
    }
    if (stepToleranceNanos < 0) {
      throw new IllegalArgumentException(
          "stepToleranceNanos must be >= 0, got " + stepToleranceNanos);
    }
  }

  /** True when this member vouches for its own wall clock. */
  public boolean isReference() {
    return referenceErrorNanos >= 0;
  }
}
