package dev.meridian.bench;

/**
 * One group of members of a benchmarked system, all in this JVM on 127.0.0.1, each with a {@link
 * DeliveryMeter} that its deliveries feed.
 */
interface BenchGroup extends AutoCloseable {

  /** Short name for output: {@code meridian}, {@code jgroups}. */
  String name();

  int size();

  DeliveryMeter meter(int member);

  /**
   * Multicasts {@code payload} from {@code member} to the whole group, itself included. Blocks
   * while the system pushes back; never drops: a send that fails is counted in {@link
   * #failures()}.
   */
  void send(int member, byte[] payload) throws InterruptedException;

  /** Waits up to {@code timeoutNanos} until no send is still waiting for its outcome. */
  boolean awaitSendsSettled(long timeoutNanos) throws InterruptedException;

  /** Sends that failed. */
  long failures();

  /** The failures by kind, e.g. {@code "0"} or {@code "2 {ReplicaOverloadedException=2}"}. */
  String failureSummary();

  /**
   * Operations each origin had applied to {@code member}'s replicated state as the state itself
   * counted them (for JGroups, which has no state: the meter's counts).
   */
  long[] appliedPerOrigin(int member);

  /** Order violations that the replicated state itself saw (0 for JGroups). */
  long stateOrderErrors(int member);

  /** Protocol counters worth printing after a run (retransmissions, blocking), or "". */
  default String stats() {
    return "";
  }

  @Override
  void close();
}
