package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.clocksync.SyncMessage;
import dev.meridian.testing.LoopbackPorts;
import dev.meridian.time.ClockUnsynchronizedException;
import dev.meridian.time.SyncedClock;
import dev.meridian.time.SyncedClockBuilder;
import dev.meridian.time.TimeInterval;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Synchronized clocks over gRPC on 127.0.0.1, all sharing this host's clock as true time. */
class SyncedClockTest {
  private final List<SyncedClock> clocks = new ArrayList<>();

  @AfterEach
  void closeAll() {
    clocks.forEach(SyncedClock::close);
  }

  private static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  private SyncedClockBuilder member(int i, int[] ports) {
    SyncedClockBuilder b = SyncedClock.builder().nodeId(m(i)).listen("127.0.0.1:" + ports[i])
        .period(Duration.ofMillis(5));
    for (int j = 0; j < ports.length; j++) {
      if (j != i) {
        b.peer(m(j), "127.0.0.1:" + ports[j]);
      }
    }
    return b;
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void membersSynchronizedToAReferenceHoldTheHostClockInTheirIntervals() throws Exception {
    int[] ports = LoopbackPorts.free(3);
    clocks.add(member(0, ports).reference(Duration.ZERO).source(m(0)).start());
    clocks.add(member(1, ports).source(m(0)).start());
    clocks.add(member(2, ports).source(m(0)).start());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (clocks.get(1).tryNow().isEmpty() || clocks.get(2).tryNow().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "not synchronized within 10 s");
      Thread.sleep(5);
    }
    for (int sample = 0; sample < 200; sample++) {
      for (SyncedClock c : clocks) {
        long before = wallNanos();
        TimeInterval now = c.now();
        long after = wallNanos();
        assertTrue(now.latest() >= before && now.earliest() <= after, c.nodeId() + "'s "
            + now + " misses the host clock read around it [" + before + ", " + after + "]");
        assertTrue(c.accuracyNanos() < 50_000_000L, c.nodeId() + " accuracy "
            + c.accuracyNanos() + " ns on loopback");
      }
      Thread.sleep(2);
    }
    // Precision: m1's midpoint is within precisionNanos() of its source m0's midpoint.
    for (int sample = 0; sample < 200; sample++) {
      long t0 = System.nanoTime();
      TimeInterval atM1 = clocks.get(1).now();
      long precision = clocks.get(1).precisionNanos();
      TimeInterval atM0 = clocks.get(0).now();
      long between = System.nanoTime() - t0;
      double distance = Math.abs((atM1.earliest() + atM1.widthNanos() / 2.0)
          - (atM0.earliest() + atM0.widthNanos() / 2.0));
      assertTrue(distance <= precision + between, "m1 is " + distance + " ns from m0, beyond"
          + " its precision bound " + precision + " ns (+" + between + " ns between the reads)");
      assertTrue(precision >= clocks.get(1).accuracyNanos() - between,
          "precision vs its source is at least the interval's half-width");
      Thread.sleep(1);
    }
    assertTrue(clocks.get(0).accuracyNanos() < 100_000, "a reference vouching for 0 ns adds only"
        + " the pairing error of its two clocks: " + clocks.get(0).accuracyNanos());
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aMemberWhoseSourceNeverAnswersRefusesToGuess() throws Exception {
    int[] ports = LoopbackPorts.free(2);
    SyncedClock lonely = member(1, ports).source(m(0)).start();
    clocks.add(lonely);
    Thread.sleep(100);
    ClockUnsynchronizedException e = assertThrows(ClockUnsynchronizedException.class,
        lonely::now);
    assertTrue(e.getMessage().contains("0 of its 1 sources"), e.getMessage());
    assertTrue(lonely.tryNow().isEmpty());
    assertThrows(ClockUnsynchronizedException.class, lonely::accuracyNanos);
    lonely.close();
    assertTrue(assertThrows(ClockUnsynchronizedException.class, lonely::now).getMessage()
        .contains("closed"));
  }

  @Test
  void theBuilderNamesWhatIsWrong() {
    assertTrue(assertThrows(IllegalStateException.class,
        () -> SyncedClock.builder().peer(m(1), "127.0.0.1:1").start()).getMessage()
        .contains("nodeId"));
    assertTrue(assertThrows(IllegalStateException.class, () -> SyncedClock.builder()
        .nodeId(m(0)).peer(m(1), "127.0.0.1:1").source(m(7)).start()).getMessage()
        .contains("source m7 is not a peer"));
    assertTrue(assertThrows(IllegalStateException.class, () -> SyncedClock.builder()
        .nodeId(m(0)).peer(m(1), "127.0.0.1:1").falsetickers(1).start()).getMessage()
        .contains("falsetickers"));
    assertTrue(assertThrows(IllegalStateException.class, () -> SyncedClock.builder()
        .nodeId(m(0)).peer(m(1), "127.0.0.1:1").source(m(0)).start()).getMessage()
        .contains("must be a reference"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncedClock.builder()
        .period(Duration.ofMillis(-5))).getMessage().contains("period"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncedClock.builder()
        .maxDrift(0.5)).getMessage().contains("maxDrift"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncedClock.builder()
        .peer(m(1), "a:1").peer(m(1), "a:2")).getMessage().contains("twice"));
  }

  @Test
  void theWireFormIsStrict() {
    SyncMessageCodec codec = new SyncMessageCodec();
    SyncMessage.Answer a = new SyncMessage.Answer(7, -5, 9, SyncMessage.Vouch.UNCONFIRMED_CLAIM);
    assertEquals(a, codec.decode(codec.encode(a)));
    assertEquals(new SyncMessage.Ask(3), codec.decode(codec.encode(new SyncMessage.Ask(3))));
    assertThrows(IllegalArgumentException.class, () -> codec.decode(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> codec.decode(new byte[10]));
    byte[] badVouch = codec.encode(a);
    badVouch[25] = 9;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> codec.decode(badVouch))
        .getMessage().contains("vouch"));
    byte[] badTag = codec.encode(new SyncMessage.Ask(3));
    badTag[0] = 5;
    assertThrows(IllegalArgumentException.class, () -> codec.decode(badTag));
  }
}
