package dev.meridian.keystore.testing;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;

/**
 * {@link SecureRandom}s for tests: one that replays the same bytes for the same seed (so a
 * failing case is reproducible from the seed its message prints), and one that plays back a
 * given tape of byte arrays (to make a dealer draw chosen coefficients).
 */
public final class SeededRandom {
  private SeededRandom() {}

  /** Deterministic bytes from {@code seed} (SplittableRandom: stable across JDKs). */
  public static SecureRandom of(long seed) {
    SplittableRandom source = new SplittableRandom(seed);
    return new Fake(new Spi() {
      @Override
      protected void engineNextBytes(byte[] bytes) {
        source.nextBytes(bytes);
      }
    });
  }

  /**
   * Plays back {@code chunks} in order: each {@code nextBytes} call takes the next chunk, which
   * must have exactly the requested length; then fails.
   */
  public static SecureRandom tape(byte[]... chunks) {
    Deque<byte[]> queue = new ArrayDeque<>();
    for (byte[] chunk : chunks) {
      queue.add(chunk.clone());
    }
    return new Fake(new Spi() {
      @Override
      protected void engineNextBytes(byte[] bytes) {
        byte[] next = queue.poll();
        if (next == null || next.length != bytes.length) {
          throw new IllegalStateException("tape: asked for " + bytes.length + " bytes, next chunk "
              + (next == null ? "none" : next.length + " bytes"));
        }
        System.arraycopy(next, 0, bytes, 0, bytes.length);
      }
    });
  }

  private abstract static class Spi extends SecureRandomSpi {
    private static final long serialVersionUID = 1L;

    @Override
    protected void engineSetSeed(byte[] seed) {
      throw new UnsupportedOperationException("a test random is not reseeded");
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      byte[] seed = new byte[numBytes];
      engineNextBytes(seed);
      return seed;
    }
  }

  private static final class Fake extends SecureRandom {
    private static final long serialVersionUID = 1L;

    Fake(SecureRandomSpi spi) {
      super(spi, null);
    }
  }
}
