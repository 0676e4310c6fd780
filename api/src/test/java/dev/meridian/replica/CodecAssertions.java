package dev.meridian.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Shared checks of the {@link Codec} contract, used by the codec and CRDT tests. */
public final class CodecAssertions {
  private CodecAssertions() {}

  public static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  public static String hex(byte[] b) {
    return b == null ? "null" : HexFormat.ofDelimiter(" ").formatHex(b);
  }

  /** decode(encode(x)) equals x, and re-encoding gives the same bytes. Returns the encoding. */
  public static <T> byte[] assertRoundTrip(Codec<T> codec, T value) {
    byte[] bytes = codec.encode(value);
    T decoded = codec.decode(bytes);
    if (value instanceof byte[] array) {
      assertArrayEquals(array, (byte[]) decoded, "round trip through " + codec);
    } else {
      assertEquals(value, decoded, "round trip through " + codec);
    }
    assertArrayEquals(bytes, codec.encode(decoded), () -> "re-encoding " + value + " with " + codec);
    assertArrayEquals(bytes, codec.encode(value), () -> "encoding " + value + " twice with " + codec);
    return bytes;
  }

  /** Decoding fails with an IllegalArgumentException whose message contains every part. */
  public static IllegalArgumentException assertDecodeFails(
      Codec<?> codec, byte[] bytes, String... messageParts) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> codec.decode(bytes),
            () -> codec + " should refuse " + hex(bytes));
    for (String part : messageParts) {
      assertTrue(
          e.getMessage().contains(part),
          "message for " + hex(bytes) + " should contain \"" + part + "\": " + e.getMessage());
    }
    return e;
  }

  /**
   * For a valid versioned encoding: every strict prefix, a changed version byte, and trailing
   * bytes are all refused with messages that say so.
   */
  public static void assertStrictVersioned(Codec<?> codec, byte[] valid) {
    codec.decode(valid); // sanity: the input is valid
    for (int len = 0; len < valid.length; len++) {
      byte[] prefix = Arrays.copyOf(valid, len);
      assertDecodeFails(codec, prefix, "truncated");
    }
    for (int version : new int[] {0, valid[0] + 1, 0x7F, 0xFF}) {
      byte[] other = valid.clone();
      other[0] = (byte) version;
      assertDecodeFails(codec, other, "version " + version, "expected " + valid[0]);
    }
    for (byte[] tail : new byte[][] {{0}, {1, 2, 3}, {(byte) 0xFF}}) {
      byte[] longer = Arrays.copyOf(valid, valid.length + tail.length);
      System.arraycopy(tail, 0, longer, valid.length, tail.length);
      assertDecodeFails(codec, longer, tail.length + " trailing bytes");
    }
    assertDecodeFails(codec, null, "null");
  }

  /**
   * Random corruptions of a valid encoding (flipped bits, changed, inserted and dropped bytes) are
   * either refused with an IllegalArgumentException or decode to something that re-encodes to
   * exactly the corrupted bytes (the encoding is canonical). Nothing else may happen.
   */
  public static <T> void assertFuzzSafe(Codec<T> codec, byte[] valid, long seed, int rounds) {
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < rounds; i++) {
      byte[] bytes = mutate(valid, random);
      T decoded;
      try {
        decoded = codec.decode(bytes);
      } catch (IllegalArgumentException expected) {
        continue;
      } catch (RuntimeException e) {
        throw new AssertionError(
            "seed=" + seed + " round=" + i + ": " + codec + " threw " + e + " for " + hex(bytes)
                + " instead of IllegalArgumentException",
            e);
      }
      if (decoded == null) {
        fail("seed=" + seed + " round=" + i + ": " + codec + " decoded " + hex(bytes) + " to null");
      }
      byte[] again = codec.encode(decoded);
      if (!Arrays.equals(bytes, again)) {
        fail("seed=" + seed + " round=" + i + ": " + codec + " accepted non-canonical "
            + hex(bytes) + ", which re-encodes as " + hex(again));
      }
    }
  }

  private static byte[] mutate(byte[] valid, SplittableRandom random) {
    byte[] bytes = valid.clone();
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int kind = random.nextInt(4);
      if (bytes.length == 0) {
        kind = 2;
      }
      int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      switch (kind) {
        case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> bytes[at] = (byte) random.nextInt(256);
        case 2 -> {
          int pos = random.nextInt(bytes.length + 1);
          byte[] longer = new byte[bytes.length + 1];
          System.arraycopy(bytes, 0, longer, 0, pos);
          longer[pos] = (byte) random.nextInt(256);
          System.arraycopy(bytes, pos, longer, pos + 1, bytes.length - pos);
          bytes = longer;
        }
        default -> {
          byte[] shorter = new byte[bytes.length - 1];
          System.arraycopy(bytes, 0, shorter, 0, at);
          System.arraycopy(bytes, at + 1, shorter, at, bytes.length - at - 1);
          bytes = shorter;
        }
      }
    }
    return bytes;
  }
}
