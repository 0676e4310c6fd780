package dev.meridian.replica;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.Map;

/**
 * The validated settings of one member, as {@link ReplicaBuilder} hands them to the engine.
 *
 * @param nodeId this member
 * @param listenAddress where this member listens: {@code host:port} for gRPC, or {@code
 *     memory:<group>} for members in one JVM
 * @param peers the other members and their addresses (same form)
 * @param sendBufferPerPeer operations kept per peer until it acknowledges them
 * @param pendingCapacity operations received but waiting for their causal past
 * @param stabilityCapacity applied operations kept until every member has them
 * @param maxQueuedSubmits submits waiting for buffer space before submits fail fast
 * @param retransmitInterval how often unacknowledged operations are sent again
 * @param gossipInterval how often members exchange what they have applied
 * @param maxClockOffset how far ahead of local physical time a hybrid timestamp may be adopted
 * @param readTimeout how long {@link Replica#read} waits for the event thread
 */
public record ReplicaConfig(
    NodeId nodeId,
    String listenAddress,
    Map<NodeId, String> peers,
    int sendBufferPerPeer,
    int pendingCapacity,
    int stabilityCapacity,
    int maxQueuedSubmits,
    Duration retransmitInterval,
    Duration gossipInterval,
    Duration maxClockOffset,
    Duration readTimeout) {

  public ReplicaConfig {
    peers = Map.copyOf(peers);
  }
}
