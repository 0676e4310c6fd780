package dev.meridian.replica;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The validated settings of one {@link GroupMember}, as {@link GroupMemberBuilder} hands them to
 * the engine.
 *
 * @param nodeId this member
 * @param listenAddress {@code host:port} for gRPC, or {@code memory:<group>}
 * @param peers every other node that may be a member, with its address
 * @param founder whether this member starts in the founding view (false: it joins)
 * @param heartbeatInterval how often members send heartbeats
 * @param suspectAfter silence after which a member is suspected
 * @param phiAccrual whether suspicion uses a phi-accrual detector (bounded by suspectAfter)
 * @param maxQueuedSubmits submits in flight before further submits fail fast
 * @param maxOperationBytes the largest encoded operation accepted
 * @param readTimeout how long {@link GroupMember#read} waits
 * @param joinTimeout how long a joiner's start waits for admission and its state transfer
 * @param leaveTimeout how long close waits for the graceful leave to be installed
 * @param listeners membership listeners, called in order
 */
public record GroupMemberConfig(
    NodeId nodeId,
    String listenAddress,
    Map<NodeId, String> peers,
    boolean founder,
    Duration heartbeatInterval,
    Duration suspectAfter,
    boolean phiAccrual,
    int maxQueuedSubmits,
    int maxOperationBytes,
    Duration readTimeout,
    Duration joinTimeout,
    Duration leaveTimeout,
    List<MembershipListener> listeners) {

  public GroupMemberConfig {
    peers = Map.copyOf(peers);
    listeners = List.copyOf(listeners);
  }
}
