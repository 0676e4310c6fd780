package dev.meridian.keystore.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import dev.meridian.keystore.testing.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Envelope}: AES-256-GCM round trips, and every kind of damage refused. */
class EnvelopeTest {
  private static final byte[] AAD = "record k/v7".getBytes(StandardCharsets.UTF_8);

  private static byte[] key(long seed) {
    byte[] key = new byte[Envelope.KEY_BYTES];
    new SplittableRandom(seed).nextBytes(key);
    return key;
  }

  @Test
  void roundTripsEveryLength() throws EnvelopeException {
    for (long seed = 0; seed < 100; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      byte[] plaintext = new byte[seed < 20 ? (int) seed : random.nextInt(0, 5000)];
      random.nextBytes(plaintext);
      byte[] key = key(seed);
      byte[] sealed = Envelope.seal(key, plaintext, AAD, SeededRandom.of(seed));
      assertEquals(plaintext.length + Envelope.OVERHEAD_BYTES, sealed.length, "seed=" + seed);
      assertArrayEquals(plaintext, Envelope.open(key, sealed, AAD), "seed=" + seed);
    }
  }

  @Test
  void nullAssociatedDataMeansEmpty() throws EnvelopeException {
    byte[] key = key(1);
    byte[] sealed = Envelope.seal(key, new byte[] {1, 2, 3}, null, SeededRandom.of(1));
    assertArrayEquals(new byte[] {1, 2, 3}, Envelope.open(key, sealed, new byte[0]));
    assertThrows(EnvelopeException.class, () -> Envelope.open(key, sealed, AAD));
  }

  @Test
  void noncesAreFreshSoEqualPlaintextsSealDifferently() {
    byte[] key = key(2);
    SecureRandom random = SeededRandom.of(2);
    byte[] a = Envelope.seal(key, new byte[16], AAD, random);
    byte[] b = Envelope.seal(key, new byte[16], AAD, random);
    assertFalse(Arrays.equals(Arrays.copyOf(a, 12), Arrays.copyOf(b, 12)));
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void wrongKeyWrongAadEveryFlippedBitAndEveryTruncationAreRefused() {
    for (long seed = 0; seed < 5; seed++) {
      byte[] key = key(seed);
      byte[] plaintext = ("the secret of seed " + seed).getBytes(StandardCharsets.UTF_8);
      byte[] sealed = Envelope.seal(key, plaintext, AAD, SeededRandom.of(seed));
      String at = "seed=" + seed;
      byte[] wrongKey = key.clone();
      wrongKey[31] ^= 1;
      assertRefused(wrongKey, sealed, AAD, key, plaintext, at + " wrong key");
      byte[] wrongAad = AAD.clone();
      wrongAad[0] ^= 1;
      assertRefused(key, sealed, wrongAad, key, plaintext, at + " wrong AAD");
      for (int bit = 0; bit < sealed.length * 8; bit++) {
        byte[] flipped = sealed.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        assertRefused(key, flipped, AAD, key, plaintext, at + " bit " + bit);
      }
      for (int length = 0; length < sealed.length; length++) {
        assertRefused(key, Arrays.copyOf(sealed, length), AAD, key, plaintext,
            at + " truncated to " + length);
      }
      byte[] extended = Arrays.copyOf(sealed, sealed.length + 1);
      assertRefused(key, extended, AAD, key, plaintext, at + " extended");
    }
  }

  @Test
  void tooShortSaysSo() {
    var e = assertThrows(EnvelopeException.class, () -> Envelope.open(key(3), new byte[27], AAD));
    assertTrue(e.getMessage().contains("27 bytes"), e.getMessage());
  }

  @Test
  void wrongKeyLengthIsACallersMistakeNamingTheLength() {
    var seal = assertThrows(IllegalArgumentException.class,
        () -> Envelope.seal(new byte[16], new byte[1], AAD, SeededRandom.of(4)));
    assertTrue(seal.getMessage().contains("got 16"), seal.getMessage());
    var open = assertThrows(IllegalArgumentException.class,
        () -> Envelope.open(new byte[24], new byte[40], AAD));
    assertTrue(open.getMessage().contains("got 24"), open.getMessage());
  }

  private static void assertRefused(byte[] key, byte[] sealed, byte[] aad, byte[] realKey,
      byte[] plaintext, String at) {
    var e = assertThrows(EnvelopeException.class, () -> Envelope.open(key, sealed, aad), at);
    Secrets.assertNotShown(e.getMessage(), realKey, at);
    Secrets.assertNotShown(e.getMessage(), key, at);
    assertFalse(e.getMessage().contains(new String(plaintext, StandardCharsets.UTF_8)), at);
    assertEquals(null, e.getCause(), at);
  }
}
