package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.Delivered;
import dev.meridian.replica.Replica;
import dev.meridian.replica.ReplicaBuilder;
import dev.meridian.replica.crdt.ReplicatedMap;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Members built with Replica.builder(), in memory and over gRPC on 127.0.0.1. */
class CausalReplicaTest {
  private static final List<NodeId> IDS = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));

  private static ReplicatedMap<String, String> newMap() {
    return new ReplicatedMap<>(Codec.utf8(), Codec.utf8());
  }

  private static List<Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>>>
      start(Function<Integer, String> address) {
    List<Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>>> replicas =
        new ArrayList<>();
    for (int i = 0; i < IDS.size(); i++) {
      ReplicaBuilder b = Replica.builder().nodeId(IDS.get(i)).listen(address.apply(i));
      for (int j = 0; j < IDS.size(); j++) {
        if (j != i) {
          b.peer(IDS.get(j), address.apply(j));
        }
      }
      replicas.add(b.state(newMap()).start());
    }
    return replicas;
  }

  /** Every member puts keys concurrently; all end with the same map. */
  private static void concurrentPutsConverge(
      List<Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>>> replicas,
      int opsPerMember) throws Exception {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int k = 0; k < opsPerMember; k++) {
      for (var r : replicas) {
        String key = "k" + (k % 50);
        ReplicatedMap.Op<String, String> op =
            r.read(m -> m.putOp(key, r.id() + "-" + key));
        futures.add(r.submit(op));
      }
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Map<String, String> first;
    boolean equal;
    do {
      first = replicas.get(0).read(ReplicatedMap::asMap);
      Map<String, String> expected = first;
      equal = replicas.stream().allMatch(r -> r.read(ReplicatedMap::asMap).equals(expected))
          && replicas.stream().allMatch(r -> r.read(m -> m.size()) == 50);
      if (!equal) {
        Thread.onSpinWait();
      }
    } while (!equal && System.nanoTime() < deadline);
    assertTrue(equal, "members did not converge: " + first);
    assertEquals(50, first.size());
  }

  @Test
  @Timeout(60)
  void inMemoryMembersConverge() throws Exception {
    var replicas = start(i -> "memory:converge-test");
    try {
      List<Delivered<ReplicatedMap.Op<String, String>>> seen = new CopyOnWriteArrayList<>();
      replicas.get(1).subscribe(seen::add);
      concurrentPutsConverge(replicas, 300);
      assertTrue(seen.size() >= 900, "subscriber saw " + seen.size());
    } finally {
      replicas.forEach(Replica::close);
    }
  }

  @Test
  @Timeout(90)
  void grpcMembersOnLoopbackConverge() throws Exception {
    int[] ports = freePorts(3);
    var replicas = start(i -> "127.0.0.1:" + ports[i]);
    try {
      concurrentPutsConverge(replicas, 300);
    } finally {
      replicas.forEach(Replica::close);
    }
  }

  @Test
  @Timeout(30)
  void closedReplicaRefusesSubmitsAndBadInputIsNamed() {
    var replicas = start(i -> "memory:closed-test");
    var r = replicas.get(0);
    assertThrows(IllegalArgumentException.class, () -> r.submit(null));
    replicas.forEach(Replica::close);
    var failed = r.submit(newMap().putOp("x", "y"));
    var e = assertThrows(Exception.class, () -> failed.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
  }

  @Test
  @Timeout(30)
  void submitsWaitingForBufferSpaceFailOnCloseInsteadOfHanging() throws Exception {
    // b is a peer that never answers: a's send buffer to it fills, and later submits wait.
    int[] ports = freePorts(2);
    Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>> a = Replica.builder()
        .nodeId(IDS.get(0)).listen("127.0.0.1:" + ports[0])
        .peer(IDS.get(1), "127.0.0.1:" + ports[1])
        .sendBufferPerPeer(4)
        .state(newMap()).start();
    List<CompletableFuture<Void>> waiting;
    try {
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        futures.add(a.submit(a.read(m -> m.putOp("k", "v"))));
      }
      // At most 4 fit in the buffer (fewer when stability gossip to b took places first): the
      // rest can never be applied, as b acknowledges nothing — at any moment 6 or more wait.
      waiting = futures.stream().filter(f -> !f.isDone()).toList();
      assertTrue(waiting.size() >= 6, "submits waiting for buffer space: " + waiting.size());
    } finally {
      a.close();
    }
    for (CompletableFuture<Void> f : waiting) {
      var e = assertThrows(Exception.class, () -> f.get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalStateException
          && e.getCause().getMessage().contains("closed"), e.toString());
    }
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    for (int i = 0; i < n; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        ports[i] = s.getLocalPort();
      }
    }
    return ports;
  }
}
