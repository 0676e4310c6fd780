package dev.meridian.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeadlockDemoTest {

  @Test
  void theSnapshotDetectorIsRightWhereTheNaiveOneReportsPhantoms() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean ok = DeadlockDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(ok, out);
    assertTrue(out.contains("a phantom:  probe "), out);
    assertTrue(out.matches("(?s).*snapshot detector: \\d+ reports, found (\\d+) of \\1 deadlocks,"
        + " 0 phantoms.*"), out);
    assertTrue(out.contains("verdict: the snapshot detector found every deadlock and reported no"
        + " phantom; the naive detector reported "), out);
  }
}
