package dev.meridian.replica;

import static dev.meridian.replica.CodecAssertions.assertDecodeFails;
import static dev.meridian.replica.CodecAssertions.assertRoundTrip;
import static dev.meridian.replica.CodecAssertions.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CodecTest {

  // ---------------------------------------------------------------- bytes

  @Test
  void bytesRoundTripAndCopiesBothWays() {
    Codec<byte[]> codec = Codec.bytes();
    byte[] value = {1, 2, (byte) 0xFF};
    byte[] encoded = codec.encode(value);
    assertArrayEquals(value, encoded);
    assertNotSame(value, encoded);
    value[0] = 9;
    assertEquals(1, encoded[0], "encoding must not alias the caller's array");
    byte[] decoded = codec.decode(encoded);
    assertNotSame(encoded, decoded);
    encoded[1] = 9;
    assertEquals(2, decoded[1], "decoding must not alias the input");
    assertRoundTrip(codec, new byte[0]);
    assertSame(codec, Codec.bytes());
  }

  @Test
  void bytesRefusesNull() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Codec.bytes().encode(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
    assertDecodeFails(Codec.bytes(), null, "null");
  }

  // ---------------------------------------------------------------- utf8

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "héllo", "日本語", "emoji \uD83D\uDE00 pair", "\u0000nul", "\uFFFF"})
  void utf8RoundTrips(String s) {
    byte[] bytes = assertRoundTrip(Codec.utf8(), s);
    assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), bytes);
  }

  @Test
  void utf8RandomStringsRoundTrip() {
    long seed = 0xC0DEC_0001L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 500; i++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(20);
      for (int k = 0; k < len; k++) {
        sb.appendCodePoint(randomScalarValue(random));
      }
      String s = sb.toString();
      byte[] bytes = Codec.utf8().encode(s);
      assertEquals(s, Codec.utf8().decode(bytes), "seed=" + seed + " string " + i);
    }
  }

  /** Any Unicode scalar value: a code point that is not a surrogate. */
  private static int randomScalarValue(SplittableRandom random) {
    while (true) {
      int cp = random.nextInt(4) == 0 ? random.nextInt(0x110000) : random.nextInt(0x800);
      if (cp < 0xD800 || cp > 0xDFFF) {
        return cp;
      }
    }
  }

  @Test
  void utf8RefusesUnpairedSurrogatesWhenEncodingNamingTheIndex() {
    for (String bad : new String[] {"ab\uD83D", "\uDE00x", "x\uD83Dy", "\uD83D\uD83D\uDE00"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Codec.utf8().encode(bad), bad);
      assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Codec.utf8().encode("ab\uD83Dc"));
    assertTrue(e.getMessage().contains("U+D83D at index 2"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "80", // a continuation byte alone
        "c0 80", // overlong NUL
        "e0 80 80", // overlong
        "ed a0 80", // an encoded surrogate
        "e2 82", // truncated 3-byte sequence
        "f4 90 80 80", // above U+10FFFF
        "ff", // never valid
        "61 62 fe" // valid prefix, then garbage
      })
  void utf8RefusesMalformedInputNamingTheOffset(String hexBytes) {
    byte[] bytes = hex(hexBytes);
    IllegalArgumentException e = assertDecodeFails(Codec.utf8(), bytes, "malformed UTF-8 at byte");
    assertTrue(e.getMessage().contains("of " + bytes.length), e.getMessage());
  }

  @Test
  void utf8NamesTheOffsetOfTheBadSequence() {
    assertDecodeFails(Codec.utf8(), hex("61 62 fe"), "at byte 2 of 3");
  }

  @Test
  void utf8RefusesNull() {
    assertThrows(IllegalArgumentException.class, () -> Codec.utf8().encode(null));
    assertDecodeFails(Codec.utf8(), null, "null");
  }

  // ---------------------------------------------------------------- int64

  @Test
  void int64IsEightBytesBigEndian() {
    assertEquals("00 00 00 00 00 00 00 00", hex(Codec.int64().encode(0L)));
    assertEquals("00 00 00 00 00 00 01 02", hex(Codec.int64().encode(258L)));
    assertEquals("ff ff ff ff ff ff ff ff", hex(Codec.int64().encode(-1L)));
    assertEquals("80 00 00 00 00 00 00 00", hex(Codec.int64().encode(Long.MIN_VALUE)));
    assertEquals("7f ff ff ff ff ff ff ff", hex(Codec.int64().encode(Long.MAX_VALUE)));
  }

  @Test
  void int64RoundTrips() {
    for (long v : new long[] {0, 1, -1, 255, 256, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123456789ABCDEFL}) {
      assertRoundTrip(Codec.int64(), v);
    }
    long seed = 0xC0DEC_0002L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 500; i++) {
      long v = random.nextLong();
      assertEquals(v, Codec.int64().decode(Codec.int64().encode(v)), "seed=" + seed + " i=" + i);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 9, 16})
  void int64RefusesOtherLengthsNamingIt(int length) {
    assertDecodeFails(Codec.int64(), new byte[length], "exactly 8 bytes, got " + length);
  }

  @Test
  void int64RefusesNull() {
    assertThrows(IllegalArgumentException.class, () -> Codec.int64().encode(null));
    assertDecodeFails(Codec.int64(), null, "null");
  }

  @Test
  void standardCodecsNameThemselves() {
    assertEquals("Codec.bytes()", Codec.bytes().toString());
    assertEquals("Codec.utf8()", Codec.utf8().toString());
    assertEquals("Codec.int64()", Codec.int64().toString());
  }
}
