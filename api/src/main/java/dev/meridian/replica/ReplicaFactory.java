package dev.meridian.replica;

/**
 * Service-provider interface behind {@link ReplicaBuilder#start}: the replication engine
 * ({@code meridian-replication}) registers one through {@link java.util.ServiceLoader}, which keeps
 * this API module free of any dependency. Applications do not call it.
 */
public interface ReplicaFactory {

  /** Starts a member with validated settings. */
  <S extends ReplicatedState<O>, O> Replica<S, O> start(ReplicaConfig config, S state);
}
