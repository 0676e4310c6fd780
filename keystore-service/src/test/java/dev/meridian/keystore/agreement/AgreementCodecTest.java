package dev.meridian.keystore.agreement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.crypto.SigningKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The byte form: round trips, and every malformed input is a clear IllegalArgumentException. */
class AgreementCodecTest {
  static final byte[] INSTANCE = "i-1".getBytes(StandardCharsets.US_ASCII);
  final SigningKey[] keys = DolevStrongTest.keys(3, 7);

  RoundMessage sample() {
    Relay a = ChainSignatures.extend(INSTANCE, ChainSignatures.start(INSTANCE,
        Value.of(new byte[] {1, 2, 3}), 0, keys[0]), 1, keys[1]);
    Relay b = ChainSignatures.extend(INSTANCE, ChainSignatures.start(INSTANCE,
        Value.of(new byte[0]), 0, keys[0]), 1, keys[1]);
    return new RoundMessage(INSTANCE, 2, 1, List.of(a, b));
  }

  @Test
  void roundTripsAndIsDeterministic() {
    RoundMessage m = sample();
    byte[] bytes = AgreementCodec.encode(m);
    assertEquals(m, AgreementCodec.decode(bytes));
    assertArrayEquals(bytes, AgreementCodec.encode(AgreementCodec.decode(bytes)));
    RoundMessage empty = new RoundMessage(INSTANCE, 3, 0, List.of());
    assertEquals(empty, AgreementCodec.decode(AgreementCodec.encode(empty)));
  }

  @Test
  void everyTruncationAndTrailingByteIsRefused() {
    byte[] bytes = AgreementCodec.encode(sample());
    for (int len = 0; len < bytes.length; len++) {
      byte[] cut = Arrays.copyOf(bytes, len);
      assertThrows(IllegalArgumentException.class, () -> AgreementCodec.decode(cut), "len " + len);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AgreementCodec.decode(Arrays.copyOf(bytes, bytes.length + 1)));
    assertTrue(e.getMessage().contains("trailing"), e.getMessage());
  }

  @Test
  void hostileLengthsAreNamedNotAllocated() {
    byte[] bytes = AgreementCodec.encode(sample());
    // The first value's length field sits after magic, version, instance, round, from, count.
    int at = 2 + 1 + INSTANCE.length + 2 + 2 + 1;
    byte[] huge = bytes.clone();
    huge[at] = 0x7F;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AgreementCodec.decode(huge));
    assertTrue(e.getMessage().contains("value length"), e.getMessage());
    byte[] many = bytes.clone();
    many[at - 1] = 3;
    e = assertThrows(IllegalArgumentException.class, () -> AgreementCodec.decode(many));
    assertTrue(e.getMessage().contains("relay count 3"), e.getMessage());
    byte[] magic = bytes.clone();
    magic[0] = 0;
    e = assertThrows(IllegalArgumentException.class, () -> AgreementCodec.decode(magic));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AgreementCodec.decode(null));
  }

  @Test
  void randomBytesNeverThrowAnythingElse() {
    SplittableRandom random = new SplittableRandom(2026);
    byte[] good = AgreementCodec.encode(sample());
    for (int i = 0; i < 5000; i++) {
      byte[] bytes = i % 2 == 0 ? new byte[random.nextInt(300)] : good.clone();
      for (int j = 0; j < bytes.length; j++) {
        if (i % 2 == 0 || random.nextInt(40) == 0) {
          bytes[j] = (byte) random.nextInt(256);
        }
      }
      try {
        AgreementCodec.decode(bytes);
      } catch (IllegalArgumentException expected) {
        // fine: refused with a message
      }
    }
  }
}
