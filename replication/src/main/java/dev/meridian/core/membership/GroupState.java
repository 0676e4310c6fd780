package dev.meridian.core.membership;

/**
 * The replicated state a {@link MembershipCore} applies delivered messages to, and hands to
 * joiners as a state transfer. Called only from the core's own thread, synchronously, so a
 * snapshot is taken exactly at a view boundary.
 *
 * <p>Implementations must be deterministic: {@link #apply} reads nothing but the state and the
 * message, so members that apply the same messages in the same order hold equal states.
 */
public interface GroupState {

  /** State that keeps nothing: the bare membership protocol (simulator workloads, tests). */
  GroupState NONE = new GroupState() {
    @Override
    public Object apply(MemberWire.App app) {
      return null;
    }

    @Override
    public byte[] snapshot() {
      return MemberWire.EMPTY;
    }

    @Override
    public void restore(byte[] snapshot) {}
  };

  /**
   * Applies a delivered message and returns its result for the member that submitted it (may be
   * null). Should not throw: an exception is a bug in the state and stops this member, since
   * skipping a message would make the replicas diverge.
   */
  Object apply(MemberWire.App app);

  /** The whole state, encoded, as of now (between two applied messages). */
  byte[] snapshot();

  /**
   * Replaces the state with a {@link #snapshot} taken by another member.
   *
   * @throws IllegalArgumentException if the bytes are not a snapshot of this kind of state
   */
  void restore(byte[] snapshot);
}
