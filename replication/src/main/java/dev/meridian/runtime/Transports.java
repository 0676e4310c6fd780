package dev.meridian.runtime;

import dev.meridian.NodeId;
import dev.meridian.transport.GrpcTransport;
import dev.meridian.transport.InMemoryNetwork;
import dev.meridian.transport.Transport;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Builds a member's transport from its addresses: {@code host:port} or {@code memory:<group>}. */
final class Transports {
  /** In-memory groups of this JVM, by name. */
  private static final Map<String, InMemoryNetwork> MEMORY_GROUPS = new HashMap<>();

  private Transports() {}

  static Transport of(NodeId self, String listenAddress, Map<NodeId, String> peers,
      List<NodeId> members, int incarnation) {
    return of(self, listenAddress, peers, members, incarnation, null);
  }

  /**
   * @param maxReconnect the longest wait between reconnection attempts (null: the transport's
   *     default); group members use their heartbeat interval, so a peer that starts late is
   *     heard within about one interval rather than after a long backoff — and not suspected
   */
  static Transport of(NodeId self, String listenAddress, Map<NodeId, String> peers,
      List<NodeId> members, int incarnation, java.time.Duration maxReconnect) {
    if (listenAddress.startsWith("memory:")) {
      synchronized (MEMORY_GROUPS) {
        InMemoryNetwork network = MEMORY_GROUPS.get(listenAddress);
        if (network == null || !network.members().equals(Set.copyOf(members))) {
          network = new InMemoryNetwork(members);
          MEMORY_GROUPS.put(listenAddress, network);
        }
        return network.transport(self);
      }
    }
    GrpcTransport.Builder b = GrpcTransport.builder(self)
        .incarnation(incarnation)
        .listen(socketAddress(listenAddress));
    if (maxReconnect != null) {
      b.reconnectBackoff(java.time.Duration.ofMillis(Math.min(10, maxReconnect.toMillis())),
          maxReconnect);
    }
    peers.forEach((id, address) -> b.peer(id, socketAddress(address)));
    return b.build();
  }

  /**
   * An incarnation that grows across restarts of a process: tenths of a second since 2025
   * (valid until about 2031 in an int; restarts of a process must be at least 100 ms apart),
   * and strictly greater than any issued before in this JVM. A member restarted within the same
   * tenth in one JVM used to get its predecessor's number, and its frames were taken for the
   * dead incarnation's: it was never admitted.
   */
  static int timeBasedIncarnation() {
    int fromClock = (int) Math.max(1, (System.currentTimeMillis() - 1_735_689_600_000L) / 100);
    return LAST_INCARNATION.accumulateAndGet(fromClock, (last, now) -> Math.max(last + 1, now));
  }

  private static final AtomicInteger LAST_INCARNATION = new AtomicInteger();

  private static InetSocketAddress socketAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
