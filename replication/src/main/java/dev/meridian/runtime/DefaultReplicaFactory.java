package dev.meridian.runtime;

import dev.meridian.replica.Replica;
import dev.meridian.replica.ReplicaConfig;
import dev.meridian.replica.ReplicaFactory;
import dev.meridian.replica.ReplicatedState;

/** The engine behind {@code Replica.builder()}, registered through {@code ServiceLoader}. */
public final class DefaultReplicaFactory implements ReplicaFactory {
  @Override
  public <S extends ReplicatedState<O>, O> Replica<S, O> start(ReplicaConfig config, S state) {
    return new CausalReplica<>(config, state);
  }
}
