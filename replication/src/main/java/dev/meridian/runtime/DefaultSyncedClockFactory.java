package dev.meridian.runtime;

import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockConfig;
import dev.meridian.time.SyncedClockFactory;

/** The engine behind {@code SyncedClock.builder()}, registered through {@code ServiceLoader}. */
public final class DefaultSyncedClockFactory implements SyncedClockFactory {
  @Override
  public SyncedClock start(SyncedClockConfig config) {
    return new SyncedClockNode(config);
  }
}
