package dev.meridian.runtime;

import dev.meridian.snapshot.SnapshotMember;
import dev.meridian.snapshot.SnapshotMemberConfig;
import dev.meridian.snapshot.SnapshotMemberFactory;

/** The engine behind {@code SnapshotMember.builder()}, registered through {@code ServiceLoader}. */
public final class DefaultSnapshotMemberFactory implements SnapshotMemberFactory {
  @Override
  public <A, S> SnapshotMember<A> start(SnapshotMemberConfig<A, S> config) {
    return new SnapshotNode<>(config);
  }
}
