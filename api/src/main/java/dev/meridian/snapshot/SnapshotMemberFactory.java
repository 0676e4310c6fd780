package dev.meridian.snapshot;

/**
 * Service-provider interface behind {@link SnapshotMemberBuilder}: the replication engine registers
 * one through {@link java.util.ServiceLoader}. Applications do not call it.
 */
public interface SnapshotMemberFactory {

  /** Starts a snapshot member with validated settings. */
  <A, S> SnapshotMember<A> start(SnapshotMemberConfig<A, S> config);
}
