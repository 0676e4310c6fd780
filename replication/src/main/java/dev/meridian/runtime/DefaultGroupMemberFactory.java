package dev.meridian.runtime;

import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberConfig;
import dev.meridian.replica.GroupMemberFactory;
import dev.meridian.replica.StateMachine;

/** The engine behind {@code GroupMember.builder()}, registered through {@code ServiceLoader}. */
public final class DefaultGroupMemberFactory implements GroupMemberFactory {
  @Override
  public <S, O, R> GroupMember<S, O, R> start(GroupMemberConfig config,
      StateMachine<S, O, R> machine) {
    return new GroupReplica<>(config, machine);
  }
}
