package dev.meridian.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopePackingTest {

  @Test
  void roundTripsEnvelopesOfEveryPrefixLength() throws Exception {
    int[] sizes = {0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152};
    Random random = new Random(7);
    byte[][] envelopes = new byte[sizes.length][];
    int packedBytes = 0;
    for (int i = 0; i < sizes.length; i++) {
      envelopes[i] = new byte[sizes[i]];
      random.nextBytes(envelopes[i]);
      packedBytes += EnvelopePacking.packedSize(envelopes[i]);
    }
    byte[] packed = EnvelopePacking.pack(envelopes, envelopes.length, packedBytes);
    assertEquals(packedBytes, packed.length);
    ByteBuffer buffer = ByteBuffer.wrap(packed);
    assertEquals(sizes.length, EnvelopePacking.validate(buffer));
    List<byte[]> out = new ArrayList<>();
    EnvelopePacking.unpack(buffer, out::add);
    assertEquals(sizes.length, out.size());
    for (int i = 0; i < sizes.length; i++) {
      assertArrayEquals(envelopes[i], out.get(i), "envelope " + i);
    }
    assertEquals(0, buffer.position(), "reading does not move the buffer");
  }

  @Test
  void prefixSizesMatchTheVarintLengths() {
    assertEquals(1, EnvelopePacking.prefixSize(0));
    assertEquals(1, EnvelopePacking.prefixSize(127));
    assertEquals(2, EnvelopePacking.prefixSize(128));
    assertEquals(3, EnvelopePacking.prefixSize(1 << 14));
    assertEquals(4, EnvelopePacking.prefixSize(1 << 21));
    assertEquals(5, EnvelopePacking.prefixSize(1 << 28));
    assertEquals(5, EnvelopePacking.prefixSize(Integer.MAX_VALUE));
  }

  @Test
  void anEmptyBufferIsAnEmptyBatch() throws Exception {
    assertEquals(0, EnvelopePacking.validate(ByteBuffer.allocate(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "80",                 // varint cut off
      "010203",             // length 1 fine, then length 3 with nothing after it
      "05010203",           // length 5, 3 bytes left
      "8000",               // zero in two bytes: not shortest form
      "ffffffff0f",         // 2^32 - 1: above 2^31 - 1
      "ffffffff08",         // 2^31: just above the bound
      "ffffffffff01",       // six bytes
      "ffffffffffffffffffff01",
  })
  void rejectsMalformedPackings(String hex) {
    byte[] bytes = java.util.HexFormat.of().parseHex(hex);
    EnvelopePacking.MalformedPackingException e = assertThrows(
        EnvelopePacking.MalformedPackingException.class,
        () -> EnvelopePacking.validate(ByteBuffer.wrap(bytes)));
    assertTrue(e.getMessage().startsWith("envelope "), e.getMessage());
  }

  @Test
  void aLengthOfExactly2To31Minus1IsWellFormedAsAVarintButRunsPastTheEnd() {
    byte[] bytes = java.util.HexFormat.of().parseHex("ffffffff07");
    EnvelopePacking.MalformedPackingException e = assertThrows(
        EnvelopePacking.MalformedPackingException.class,
        () -> EnvelopePacking.validate(ByteBuffer.wrap(bytes)));
    assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
  }
}
