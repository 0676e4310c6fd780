package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CausalFrameCodecTest {
  private final CausalFrameCodec codec = new CausalFrameCodec(4, 1024);

  private static final long[] EDGES = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE,
      1L << 56, Long.MAX_VALUE};

  @Test
  void roundTripsEveryVarintWidthAndSizesTheFrameExactly() {
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 2_000; trial++) {
      long[] vt = new long[1 + random.nextInt(4)];
      for (int k = 0; k < vt.length; k++) {
        vt[k] = EDGES[random.nextInt(EDGES.length)];
      }
      int origin = random.nextInt(vt.length);
      vt[origin] = Math.max(1, vt[origin]);
      byte[] payload = new byte[random.nextInt(200)];
      random.nextBytes(payload);
      long[] counts = {EDGES[random.nextInt(EDGES.length)], 0, 3};
      LinkFrame<CausalWire> frame = new LinkFrame<>(1 + random.nextInt(Integer.MAX_VALUE),
          random.nextInt(Integer.MAX_VALUE), EDGES[random.nextInt(EDGES.length)],
          Math.max(1, EDGES[random.nextInt(EDGES.length)]),
          List.of(new CausalWire.Update(origin, vt, payload), new CausalWire.Delivered(counts)));
      byte[] bytes = codec.encode(frame); // throws if the size computed up front were wrong
      LinkFrame<CausalWire> back = codec.decode(bytes);
      assertEquals(frame, back, "trial " + trial);
      assertArrayEquals(bytes, codec.encode(back), "re-encoding gives the same bytes");
    }
  }

  @Test
  void aFrameCutShortAnywhereIsRefusedWithWhatIsMissing() {
    LinkFrame<CausalWire> frame = new LinkFrame<>(3, 2, 10, 11, List.of(
        new CausalWire.Update(0, new long[] {12, 300}, new byte[] {1, 2, 3}),
        new CausalWire.Update(1, new long[] {12, 301}, new byte[] {4})));
    byte[] bytes = codec.encode(frame);
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] shorter = Arrays.copyOf(bytes, cut);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> codec.decode(shorter), "cut at " + cut);
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("claims"),
          e.getMessage());
    }
    // The second payload's vector, cut in the middle, is named as such.
    byte[] inSecondVector = Arrays.copyOf(bytes, bytes.length - 3);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(inSecondVector))
        .getMessage().contains("payload 1 vector"));
  }

  @Test
  void refusesTrailingBytesOversizedVectorsAndPayloadsAndUnknownVersions() {
    byte[] bytes = codec.encode(new LinkFrame<>(1, 0, 0, 1,
        List.of(new CausalWire.Update(0, new long[] {1}, new byte[8]))));
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(longer))
        .getMessage().contains("trailing"));
    CausalFrameCodec narrow = new CausalFrameCodec(1, 4);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> narrow.decode(bytes))
        .getMessage().contains("payload 0 claims 8 bytes"));
    byte[] wide = codec.encode(new LinkFrame<>(1, 0, 0, 1,
        List.of(new CausalWire.Update(0, new long[] {1, 0, 0}, new byte[0]))));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> narrow.decode(wide))
        .getMessage().contains("payload 0 vector has 3 entries; at most 1"));
    byte[] version = bytes.clone();
    version[0] = 9;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(version))
        .getMessage().contains("unsupported frame version 9"));
  }
}
