package dev.meridian.time;

/**
 * Service-provider interface behind {@link SyncedClockBuilder}: the replication engine registers
 * one through {@link java.util.ServiceLoader}. Applications do not call it.
 */
public interface SyncedClockFactory {

  /** Starts a clock with validated settings. */
  SyncedClock start(SyncedClockConfig config);
}
