package dev.meridian.lease;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What a protected resource keeps to reject writes from holders whose lease has passed: the
 * highest fencing token seen per resource. A write carrying a lower token comes from an older
 * grant — a holder that paused past its expiry and woke up still believing — and is refused.
 *
 * <p>Thread-safe. The guard must live with the protected resource (the storage), not with the
 * lease holders: it is the last line, for the moment between a holder's check and its action.
 */
public final class FencingGuard {
  private final ConcurrentHashMap<String, Long> highest = new ConcurrentHashMap<>();

  /**
   * Admits a write to {@code resource} under {@code token}: true if the token is at least the
   * highest seen (which it then becomes), false if it is stale.
   */
  public boolean admit(String resource, long token) {
    if (resource == null) {
      throw new IllegalArgumentException("resource must not be null");
    }
    long[] admitted = new long[1];
    highest.compute(resource, (r, seen) -> {
      if (seen == null || token >= seen) {
        admitted[0] = 1;
        return token;
      }
      return seen;
    });
    return admitted[0] == 1;
  }

  /** The highest token admitted for {@code resource}, or -1. */
  public long highest(String resource) {
    return highest.getOrDefault(resource, -1L);
  }
}
