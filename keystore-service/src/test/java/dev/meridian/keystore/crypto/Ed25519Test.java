package dev.meridian.keystore.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import dev.meridian.keystore.testing.Secrets;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link SigningKey} and {@link VerifyingKey}. */
class Ed25519Test {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 8032 section 7.1, TEST 1 to 3: seed, public key, message, signature. */
  @ParameterizedTest(name = "RFC 8032 {0}")
  @CsvSource({
      "TEST 1, 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
          + " d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a, '',"
          + " e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc6"
          + "1e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
      "TEST 2, 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
          + " 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c, 72,"
          + " 92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e45"
          + "8f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
      "TEST 3, c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
          + " fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025, af82,"
          + " 6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae"
          + "67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"})
  void rfc8032Vectors(String name, String seed, String publicKey, String message,
      String signature) {
    SigningKey key = SigningKey.fromSeed(HEX.parseHex(seed));
    assertEquals(publicKey, HEX.formatHex(key.verifyingKey().toBytes()), name);
    byte[] m = HEX.parseHex(message == null ? "" : message);
    assertEquals(signature, HEX.formatHex(key.sign(m)), name);
    VerifyingKey verifying = VerifyingKey.fromBytes(HEX.parseHex(publicKey));
    assertTrue(verifying.verify(m, HEX.parseHex(signature)), name);
    assertEquals(key.verifyingKey(), verifying, name);
  }

  @Test
  void signVerifyRoundTripAndTampering() {
    for (long seed = 0; seed < 40; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      SigningKey key = SigningKey.generate(SeededRandom.of(seed));
      SigningKey other = SigningKey.generate(SeededRandom.of(seed + 1_000_000));
      byte[] message = new byte[random.nextInt(0, 200)];
      random.nextBytes(message);
      byte[] sig = key.sign(message);
      String at = "seed=" + seed;
      assertEquals(64, sig.length, at);
      assertTrue(key.verifyingKey().verify(message, sig), at);
      assertArrayEquals(sig, key.sign(message), at + ": Ed25519 is deterministic");
      assertFalse(other.verifyingKey().verify(message, sig), at + ": wrong key");
      if (message.length > 0) {
        byte[] tampered = message.clone();
        int bit = random.nextInt(message.length * 8);
        tampered[bit / 8] ^= (byte) (1 << (bit % 8));
        assertFalse(key.verifyingKey().verify(tampered, sig), at + ": message bit " + bit);
      }
      byte[] longer = Arrays.copyOf(message, message.length + 1);
      assertFalse(key.verifyingKey().verify(longer, sig), at + ": message extended");
      for (int bit = 0; bit < 512; bit += 1 + random.nextInt(7)) {
        byte[] badSig = sig.clone();
        badSig[bit / 8] ^= (byte) (1 << (bit % 8));
        assertFalse(key.verifyingKey().verify(message, badSig), at + ": signature bit " + bit);
      }
      for (int length : new int[] {0, 1, 32, 63, 65, 128}) {
        byte[] wrongLength = Arrays.copyOf(sig, length);
        assertFalse(key.verifyingKey().verify(message, wrongLength), at + ": length " + length);
      }
      assertFalse(key.verifyingKey().verify(message, null), at + ": null signature");
    }
  }

  @Test
  void signaturesAndChecksAreCountedForBenchmarks() {
    SigningKey key = SigningKey.generate(SeededRandom.of(7));
    byte[] message = {1, 2, 3};
    long made = SigningKey.signaturesSoFar();
    long checked = VerifyingKey.verificationsSoFar();
    byte[] signature = key.sign(message);
    assertTrue(key.verifyingKey().verify(message, signature));
    assertFalse(key.verifyingKey().verify(message, new byte[64]));
    assertFalse(key.verifyingKey().verify(message, new byte[3])); // refused before any check
    // Other tests may sign and check concurrently, so at least, not exactly.
    assertTrue(SigningKey.signaturesSoFar() - made >= 1);
    assertTrue(VerifyingKey.verificationsSoFar() - checked >= 2);
  }

  @Test
  void seedRoundTripsAndIsCopied() {
    SigningKey key = SigningKey.generate(SeededRandom.of(1));
    byte[] seed = key.seed();
    SigningKey again = SigningKey.fromSeed(seed);
    Arrays.fill(seed, (byte) 0);
    assertEquals(key.verifyingKey(), again.verifyingKey());
    assertArrayEquals(key.seed(), again.seed());
    assertFalse(Arrays.equals(seed, key.seed()), "seed() returned the key's own array");
  }

  @Test
  void wrongSeedLengthIsNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> SigningKey.fromSeed(new byte[31]));
    assertTrue(e.getMessage().contains("got 31"), e.getMessage());
  }

  @Test
  void destroyZeroesAndRefusesToSign() {
    SigningKey key = SigningKey.generate(SeededRandom.of(2));
    VerifyingKey verifying = key.verifyingKey();
    assertFalse(key.isDestroyed());
    key.destroy();
    key.destroy();
    assertTrue(key.isDestroyed());
    assertThrows(IllegalStateException.class, () -> key.sign(new byte[] {1}));
    assertThrows(IllegalStateException.class, key::seed);
    assertEquals(verifying, key.verifyingKey(), "the public half outlives destroy()");
    assertTrue(key.toString().contains("<destroyed>"), key.toString());
  }

  @Test
  void toStringShowsThePublicPrefixOnly() {
    for (long seed = 0; seed < 50; seed++) {
      SigningKey key = SigningKey.generate(SeededRandom.of(seed));
      String publicHex = HEX.formatHex(key.verifyingKey().toBytes());
      assertEquals("SigningKey[public=" + publicHex.substring(0, 8) + ", private=<redacted>]",
          key.toString(), "seed=" + seed);
      assertEquals("VerifyingKey[" + publicHex.substring(0, 16) + "]",
          key.verifyingKey().toString(), "seed=" + seed);
      Secrets.assertNotShown(key.toString(), key.seed(), "seed=" + seed);
      key.destroy();
    }
    SigningKey key = SigningKey.generate(SeededRandom.of(3));
    byte[] seed = key.seed();
    key.destroy();
    var e = assertThrows(IllegalStateException.class, () -> key.sign(new byte[] {1}));
    Secrets.assertNotShown(e.getMessage(), seed, "destroyed key's exception");
    Secrets.assertNotShown(key.toString(), seed, "destroyed key's toString");
  }

  @Test
  void verifyingKeyRefusesBadEncodings() {
    var length = assertThrows(IllegalArgumentException.class,
        () -> VerifyingKey.fromBytes(new byte[33]));
    assertTrue(length.getMessage().contains("got 33"), length.getMessage());
    // y = 2^255 - 1 >= p: not a canonical field element, so no point.
    byte[] notAPoint = new byte[32];
    Arrays.fill(notAPoint, (byte) 0xFF);
    notAPoint[31] = 0x7F;
    var decode = assertThrows(IllegalArgumentException.class,
        () -> VerifyingKey.fromBytes(notAPoint));
    assertTrue(decode.getMessage().contains("not the canonical encoding"), decode.getMessage());
    // The identity (y = 1): a signature under it verifies for any message with S = 0.
    byte[] identity = new byte[32];
    identity[0] = 1;
    var small = assertThrows(IllegalArgumentException.class,
        () -> VerifyingKey.fromBytes(identity));
    assertTrue(small.getMessage().contains("is not valid"), small.getMessage());
    // A point of order 8L (the base point plus a torsion point) decodes but is not in the
    // prime-order subgroup: find one by adding the order-2 point (0, -1) to a real key's point.
    byte[] mixed = withTorsion(SigningKey.generate(SeededRandom.of(9)).verifyingKey().toBytes());
    var torsion = assertThrows(IllegalArgumentException.class,
        () -> VerifyingKey.fromBytes(mixed));
    assertTrue(torsion.getMessage().contains("prime-order subgroup"), torsion.getMessage());
  }

  /**
   * P + T for the point P encoded in {@code encoded} and T = (0, -1), the point of order 2:
   * on -x^2 + y^2 = 1 + d x^2 y^2 that sum is (-x, -y). Encoding: y little-endian, x's parity in
   * the top bit.
   */
  private static byte[] withTorsion(byte[] encoded) {
    BigInteger p = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
    byte[] le = encoded.clone();
    int sign = (le[31] >>> 7) & 1;
    le[31] &= 0x7F;
    byte[] be = reverse(le);
    BigInteger y = new BigInteger(1, be);
    byte[] negY = reverse(toFixed32(p.subtract(y).mod(p)));
    negY[31] |= (byte) ((sign ^ 1) << 7);
    return negY;
  }

  private static byte[] toFixed32(BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - n, out, 32 - n, n);
    return out;
  }

  private static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  @Test
  void verifyingKeyIsAValueByBytes() {
    byte[] bytes = SigningKey.generate(SeededRandom.of(4)).verifyingKey().toBytes();
    VerifyingKey a = VerifyingKey.fromBytes(bytes);
    VerifyingKey b = VerifyingKey.fromBytes(bytes.clone());
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    bytes[0] ^= 1;
    assertArrayEquals(b.toBytes(), a.toBytes(), "fromBytes copies its input");
    assertNotEquals(a, SigningKey.generate(SeededRandom.of(5)).verifyingKey());
  }
}
