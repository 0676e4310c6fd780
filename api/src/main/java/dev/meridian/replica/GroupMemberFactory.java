package dev.meridian.replica;

/**
 * Service-provider interface behind {@link GroupMemberBuilder}: the replication engine registers
 * one through {@link java.util.ServiceLoader}. Applications do not call it.
 */
public interface GroupMemberFactory {

  /** Starts a member with validated settings. */
  <S, O, R> GroupMember<S, O, R> start(GroupMemberConfig config, StateMachine<S, O, R> machine);
}
