package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.server.ServerMetrics.Operation;
import dev.meridian.keystore.server.ServerMetrics.OperationStats;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Metrics: requests sent over real gRPC to one server on 127.0.0.1 are counted per operation by
 * outcome and refusals by reason; the latency histogram agrees with a sorted list.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerMetricsTest {

  private static Status.Code refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void requestsAreCountedByOperationOutcomeAndReason() throws Exception {
    try (OneServer s = new OneServer()) {
      byte[] secret = "metrics".getBytes(StandardCharsets.UTF_8);
      WriteRequest w = s.write("private/k", 1, secret);
      s.stub().write(w);                                             // write ok
      assertEquals(Status.Code.UNAUTHENTICATED, refused(() -> s.stub().write(w))); // replay
      assertEquals(Status.Code.INVALID_ARGUMENT,
          refused(() -> s.stub().write(OneServer.withBadShare(s.write("private/k", 2, secret)))));
      s.stub().read(s.read(s.alice, "alice", "private/k"));         // read ok
      SignedRequest once = s.read(s.alice, "alice", "private/k");
      s.stub().read(once);                                           // read ok
      assertEquals(Status.Code.UNAUTHENTICATED, refused(() -> s.stub().read(once))); // replay
      assertEquals(Status.Code.PERMISSION_DENIED,
          refused(() -> s.stub().read(s.read(s.carol, "carol", "private/k")))); // not carol's
      assertEquals(Status.Code.UNAUTHENTICATED,
          refused(() -> s.stub().read(s.read(s.carol, "alice", "private/k")))); // forged

      ServerMetrics.Snapshot m = s.server.metrics().snapshot();
      OperationStats reads = m.operations().get(Operation.READ);
      OperationStats writes = m.operations().get(Operation.WRITE);
      assertEquals(2, reads.ok(), m::toString);
      assertEquals(3, reads.rejected(), m::toString);
      assertEquals(1, writes.ok(), m::toString);
      assertEquals(2, writes.rejected(), m::toString);
      assertEquals(0, m.operations().get(Operation.COMPLETE).ok()
          + m.operations().get(Operation.COMPLETE).rejected(), m::toString);
      assertEquals(2, m.rejections().get(Rejection.Reason.REPLAYED), m::toString);
      assertEquals(1, m.rejections().get(Rejection.Reason.BAD_SHARE), m::toString);
      assertEquals(1, m.rejections().get(Rejection.Reason.DENIED), m::toString);
      assertEquals(1, m.rejections().get(Rejection.Reason.UNAUTHENTICATED), m::toString);
      assertEquals(0, m.rejections().get(Rejection.Reason.MALFORMED), m::toString);
      assertTrue(reads.p50Micros() > 0 && reads.p50Micros() <= reads.p99Micros(), m::toString);
      assertTrue(!m.toString().contains("private/k") && !m.toString().contains("alice"),
          "metrics name no key or client: " + m);
    }
  }

  @Test
  void percentilesAreUpperBoundsWithinAQuarterOfTheExactValue() {
    Random random = new Random(42);
    for (int trial = 0; trial < 20; trial++) {
      LatencyHistogram h = new LatencyHistogram();
      List<Long> values = new ArrayList<>();
      int n = 1 + random.nextInt(2000);
      for (int i = 0; i < n; i++) {
        long v = (long) Math.exp(random.nextDouble() * 16); // 1 µs .. ~9 s, log-uniform
        values.add(v);
        h.record(v);
      }
      Collections.sort(values);
      for (double p : new double[] {0.01, 0.5, 0.9, 0.99, 1.0}) {
        long exact = values.get((int) Math.ceil(p * n) - 1);
        long reported = h.percentileMicros(p);
        String where = "seed 42 trial " + trial + " p" + p + ": exact " + exact + ", reported "
            + reported;
        assertTrue(reported >= exact, where);
        assertTrue(reported <= Math.max(exact, exact * 5 / 4), where);
      }
      assertEquals(n, h.count());
    }
    assertEquals(0, new LatencyHistogram().percentileMicros(0.99));
  }

  @Test
  void everyBucketsUpperBoundFallsInItAndTheNextValueInTheNext() {
    for (int i = 0; i < LatencyHistogram.BUCKETS - 1; i++) {
      long top = LatencyHistogram.upperBound(i);
      assertEquals(i, LatencyHistogram.bucket(top), "bucket " + i);
      assertEquals(i + 1, LatencyHistogram.bucket(top + 1), "bucket " + i);
    }
    assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket(Long.MAX_VALUE));
    assertEquals(0, LatencyHistogram.bucket(-5));
  }
}
