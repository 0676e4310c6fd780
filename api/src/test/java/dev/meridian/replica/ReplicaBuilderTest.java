package dev.meridian.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.replica.crdt.ReplicatedCounter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReplicaBuilderTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");

  private static void assertMessage(Throwable t, String... parts) {
    for (String part : parts) {
      assertTrue(t.getMessage().contains(part), () -> "'" + t.getMessage() + "' lacks " + part);
    }
  }

  @Test
  void defaultsAreFilledIn() {
    ReplicaConfig c = Replica.builder().nodeId(A).peer(B, "127.0.0.1:7002").config();
    assertEquals("127.0.0.1:0", c.listenAddress());
    assertEquals(4096, c.sendBufferPerPeer());
    assertEquals(10_000, c.maxQueuedSubmits());
    assertEquals(Duration.ofMillis(50), c.retransmitInterval());
    assertEquals(Duration.ofMillis(500), c.maxClockOffset());
  }

  @Test
  void eachSettingMayBeSetOnce() {
    ReplicaBuilder b = Replica.builder().nodeId(A).sendBufferPerPeer(10);
    assertMessage(assertThrows(IllegalStateException.class, () -> b.nodeId(B)),
        "nodeId already set to a");
    assertMessage(assertThrows(IllegalStateException.class, () -> b.sendBufferPerPeer(20)),
        "sendBufferPerPeer already set to 10");
    b.peer(B, "127.0.0.1:1");
    assertMessage(assertThrows(IllegalStateException.class, () -> b.peer(B, "127.0.0.1:2")),
        "peer b already set to 127.0.0.1:1");
  }

  @Test
  void badValuesNameTheSettingAndRange() {
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().sendBufferPerPeer(0)), "sendBufferPerPeer", "[1, 1048576]", "0");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().retransmitInterval(Duration.ofMillis(-5))),
        "retransmitInterval", "PT-0.005S");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().readTimeout(null)), "readTimeout must not be null");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().listen("localhost")), "not host:port");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().listen("127.0.0.1:70000")), "port 70000");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().peer(B, "memory:")), "names no group");
    assertMessage(assertThrows(IllegalArgumentException.class,
        () -> Replica.builder().nodeId(null)), "nodeId must not be null");
  }

  @Test
  void missingOrContradictorySettingsAreRefusedAtStart() {
    assertMessage(assertThrows(IllegalStateException.class,
        () -> Replica.builder().peer(B, "127.0.0.1:1").config()), "nodeId is required");
    assertMessage(assertThrows(IllegalStateException.class,
        () -> Replica.builder().nodeId(A).config()), "at least one peer");
    assertMessage(assertThrows(IllegalStateException.class,
        () -> Replica.builder().nodeId(A).peer(A, "127.0.0.1:1").config()), "its own peer");
    assertMessage(assertThrows(IllegalStateException.class,
        () -> Replica.builder().nodeId(A).listen("memory:g").peer(B, "127.0.0.1:1").config()),
        "another transport");
  }

  @Test
  void withoutAnEngineOnTheClassPathStartSaysWhatToAdd() {
    var starter = Replica.builder().nodeId(A).peer(B, "127.0.0.1:1")
        .state(new ReplicatedCounter());
    assertMessage(assertThrows(IllegalStateException.class, starter::start),
        "meridian-replication");
  }
}
