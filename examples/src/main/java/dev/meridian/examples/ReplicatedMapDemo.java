package dev.meridian.examples;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.Replica;
import dev.meridian.replica.ReplicaBuilder;
import dev.meridian.replica.crdt.ReplicatedMap;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Three members over gRPC on 127.0.0.1, all in this process, update one replicated map at the
 * same time — some keys written by all three at once — and then show that they hold the same map.
 */
public final class ReplicatedMapDemo {
  private static final String[] CITIES = {"Lima", "Oslo", "Pune", "Rome", "Kyiv", "Baku"};

  private ReplicatedMapDemo() {}

  /** Runs the demo; returns true when the three maps converged. */
  public static boolean run(PrintStream out) throws Exception {
    List<NodeId> ids = List.of(NodeId.of("alice"), NodeId.of("bob"), NodeId.of("carol"));
    int[] ports = LoopbackPorts.free(ids.size());
    List<Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>>> members =
        new ArrayList<>();
    try {
      for (int i = 0; i < ids.size(); i++) {
        ReplicaBuilder b = Replica.builder().nodeId(ids.get(i)).listen("127.0.0.1:" + ports[i]);
        for (int j = 0; j < ids.size(); j++) {
          if (j != i) {
            b.peer(ids.get(j), "127.0.0.1:" + ports[j]);
          }
        }
        members.add(b.state(new ReplicatedMap<>(Codec.utf8(), Codec.utf8())).start());
      }
      out.println("Three members over gRPC on 127.0.0.1, ports " + ports[0] + ", " + ports[1]
          + ", " + ports[2] + ", each holding a ReplicatedMap<String, String>.");
      out.println("All three write at once: every key is put by every member, and each member"
          + " also removes one key.");

      // Every member writes every key concurrently, from its own thread.
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (var member : members) {
        writers.add(CompletableFuture.runAsync(() -> {
          List<CompletableFuture<Void>> applied = new ArrayList<>();
          for (String city : CITIES) {
            String value = member.id() + " was in " + city;
            applied.add(member.submit(member.read(m -> m.putOp(city, value))));
          }
          String drop = CITIES[Math.floorMod(member.id().hashCode(), CITIES.length)];
          applied.add(member.submit(member.read(m -> m.removeOp(drop))));
          CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new)).join();
        }));
      }
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

      boolean converged = awaitConvergence(members, TimeUnit.SECONDS.toNanos(20));
      out.println();
      for (var member : members) {
        Map<String, String> current = member.read(ReplicatedMap::asMap);
        Map<String, String> map = new TreeMap<>(current);
        out.printf("  %-6s %s%n", member.id(), map);
      }
      out.println();
      out.println(converged
          ? "Converged: all three members hold the same map. Concurrent puts of one key were"
              + " resolved the same way everywhere (the latest hybrid timestamp wins); a remove"
              + " removes only the puts its member had seen, so the others' concurrent puts"
              + " survive it (put wins)."
          : "NOT converged within 20 s: this is a bug.");
      return converged;
    } finally {
      members.forEach(Replica::close);
    }
  }

  private static boolean awaitConvergence(
      List<Replica<ReplicatedMap<String, String>, ReplicatedMap.Op<String, String>>> members,
      long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (System.nanoTime() < deadline) {
      Map<String, String> first = members.get(0).read(ReplicatedMap::asMap);
      if (members.stream().allMatch(m -> m.read(ReplicatedMap::asMap).equals(first))) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20); // polling a running group: a demo, not a test
    }
    return false;
  }
}
