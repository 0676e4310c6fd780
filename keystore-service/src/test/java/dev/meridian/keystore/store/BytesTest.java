package dev.meridian.keystore.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BytesTest {

  @Test
  void copiesDefensively() {
    byte[] raw = {1, 2, 3};
    Bytes bytes = new Bytes(raw);
    raw[0] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, bytes.value());
    bytes.value()[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, bytes.value());
    assertThrows(NullPointerException.class, () -> new Bytes(null));
  }

  @Test
  void equalityAndHashByContent() {
    assertEquals(new Bytes(new byte[] {1, 2}), new Bytes(new byte[] {1, 2}));
    assertEquals(new Bytes(new byte[] {1, 2}).hashCode(), new Bytes(new byte[] {1, 2}).hashCode());
    assertNotEquals(new Bytes(new byte[] {1, 2}), new Bytes(new byte[] {1, 2, 0}));
  }

  @Test
  void ofConcatenatesAndToStringIsHex() {
    Bytes joined = Bytes.of(new byte[] {0x0a}, new byte[0], new byte[] {(byte) 0xff, 0x00});
    assertEquals("0aff00", joined.toString());
    assertEquals(3, joined.length());
    assertEquals("", Bytes.of().toString());
    assertEquals("6869", Bytes.utf8("hi").toString());
    assertTrue(joined.startsWith(new Bytes(new byte[] {0x0a, (byte) 0xff})));
    assertTrue(joined.startsWith(Bytes.of()));
    assertFalse(joined.startsWith(Bytes.of(joined.value(), new byte[] {0})));
  }

  @Test
  void orderIsUnsignedLexicographic() {
    assertTrue(new Bytes(new byte[] {0x7f}).compareTo(new Bytes(new byte[] {(byte) 0x80})) < 0);
    assertTrue(new Bytes(new byte[] {1}).compareTo(new Bytes(new byte[] {1, 0})) < 0);
    assertTrue(Bytes.of().compareTo(new Bytes(new byte[] {0})) < 0);
    long seed = 0xB17E5L;
    Random random = new Random(seed);
    List<Bytes> list = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      byte[] b = new byte[random.nextInt(4)];
      random.nextBytes(b);
      list.add(new Bytes(b));
    }
    List<Bytes> sorted = new ArrayList<>(list);
    sorted.sort(null);
    for (int i = 1; i < sorted.size(); i++) {
      // Reference: compare as sequences of ints 0..255, shorter first on a common prefix.
      int[] a = unsigned(sorted.get(i - 1).value());
      int[] b = unsigned(sorted.get(i).value());
      assertTrue(
          Arrays.compare(a, b) <= 0,
          "seed=" + seed + " " + sorted.get(i - 1) + " > " + sorted.get(i));
    }
  }

  private static int[] unsigned(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xff;
    }
    return out;
  }
}
