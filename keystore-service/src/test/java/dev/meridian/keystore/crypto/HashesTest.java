package dev.meridian.keystore.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Hashes} and {@link ConstantTime}. */
class HashesTest {
  @Test
  void sha256KnownAnswers() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        HexFormat.of().formatHex(Hashes.sha256()));
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HexFormat.of().formatHex(Hashes.sha256("abc".getBytes(StandardCharsets.US_ASCII))));
  }

  @Test
  void sha256OfPartsIsSha256OfTheConcatenation() {
    for (long seed = 0; seed < 100; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      byte[] all = new byte[random.nextInt(0, 300)];
      random.nextBytes(all);
      int cut1 = random.nextInt(0, all.length + 1);
      int cut2 = random.nextInt(cut1, all.length + 1);
      byte[] a = java.util.Arrays.copyOfRange(all, 0, cut1);
      byte[] b = java.util.Arrays.copyOfRange(all, cut1, cut2);
      byte[] c = java.util.Arrays.copyOfRange(all, cut2, all.length);
      assertArrayEquals(Hashes.sha256(all), Hashes.sha256(a, b, c), "seed=" + seed);
    }
  }

  @Test
  void constantTimeEqual() {
    assertTrue(ConstantTime.equal(new byte[] {1, 2}, new byte[] {1, 2}));
    assertFalse(ConstantTime.equal(new byte[] {1, 2}, new byte[] {1, 3}));
    assertFalse(ConstantTime.equal(new byte[] {1, 2}, new byte[] {1, 2, 0}));
    assertTrue(ConstantTime.equal(new byte[0], new byte[0]));
    assertFalse(ConstantTime.equal(null, new byte[0]));
  }
}
