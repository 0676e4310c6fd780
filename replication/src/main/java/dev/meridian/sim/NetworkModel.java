package dev.meridian.sim;

/**
 * How the simulated network treats each message: every copy gets a delay from {@code delay}; a
 * message is lost with {@code lossProbability}, sent twice with {@code duplicateProbability}, and
 * held back by an extra {@code reorderDelayNanos} with {@code reorderProbability}, which makes it
 * overtake-able by later messages on the same link. Partitions come from the {@link FaultModel}.
 *
 * <p>Delay alone already reorders messages on a link (each copy draws its own); the explicit
 * reorder knob makes long overtakes common enough to exercise buffering.
 */
public record NetworkModel(
    DelayDistribution delay,
    double lossProbability,
    double duplicateProbability,
    double reorderProbability,
    long reorderDelayNanos) {

  /** @throws IllegalArgumentException naming the field, when a value is out of range */
  public NetworkModel {
    if (delay == null) {
      throw new IllegalArgumentException("network delay distribution must not be null");
    }
    requireProbability("lossProbability", lossProbability);
    requireProbability("duplicateProbability", duplicateProbability);
    requireProbability("reorderProbability", reorderProbability);
    if (reorderDelayNanos < 0) {
      throw new IllegalArgumentException("reorderDelayNanos must be >= 0, got " + reorderDelayNanos);
    }
  }

  static void requireProbability(String name, double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + p);
    }
  }

  /** A LAN-like network: 0.1 ms minimum delay, 0.5 ms mean extra, no loss, duplication or reorder. */
  public static NetworkModel reliable() {
    return new NetworkModel(DelayDistribution.exponential(100_000, 500_000), 0, 0, 0, 0);
  }

  /** The same delays as this model, but no loss and no duplication: the liveness phase default. */
  public NetworkModel healed() {
    return new NetworkModel(delay, 0, 0, reorderProbability, reorderDelayNanos);
  }

  /** This model with the given loss probability. */
  public NetworkModel withLoss(double p) {
    return new NetworkModel(delay, p, duplicateProbability, reorderProbability, reorderDelayNanos);
  }

  /** This model with the given duplication probability. */
  public NetworkModel withDuplication(double p) {
    return new NetworkModel(delay, lossProbability, p, reorderProbability, reorderDelayNanos);
  }

  /** This model with messages held back by {@code extraNanos} with probability {@code p}. */
  public NetworkModel withReordering(double p, long extraNanos) {
    return new NetworkModel(delay, lossProbability, duplicateProbability, p, extraNanos);
  }
}
