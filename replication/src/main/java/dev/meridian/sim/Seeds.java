package dev.meridian.sim;

import java.util.SplittableRandom;

/**
 * Derives independent random streams from one run seed. Each purpose (network, faults, clocks,
 * each node's core) gets its own stream, so that adding a random draw in one place does not shift
 * every other draw of the run — the trace of unrelated parts stays comparable across changes.
 */
final class Seeds {
  private Seeds() {}

  /** A generator for {@code purpose} (and optional sub-indexes) of the run seeded {@code seed}. */
  static SplittableRandom stream(long seed, String purpose, long... indexes) {
    long h = mix(seed ^ 0x6A09E667F3BCC909L);
    for (int i = 0; i < purpose.length(); i++) {
      h = mix(h ^ purpose.charAt(i));
    }
    for (long index : indexes) {
      h = mix(h ^ index);
    }
    return new SplittableRandom(h);
  }

  /** SplitMix64's finalizer: a bijection on longs that spreads every input bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
