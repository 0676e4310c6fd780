package dev.meridian.snapshot;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import java.util.Map;

/**
 * Validated settings of a {@link SnapshotMember}, built by {@link SnapshotMemberBuilder}.
 *
 * @param member the group member it runs alongside: its id, peers and views
 * @param listenAddress where this member's snapshot links listen, {@code host:port}
 * @param peers every peer of the group member, with the address of its snapshot links
 * @param messageCodec the application's messages on the wire
 * @param stateCodec the recorded states on the wire (contributions travel to the initiator)
 * @param recorder records the local state
 * @param inbox receives the application's messages
 * @param <A> the application's message type
 * @param <S> the recorded-state type
 */
public record SnapshotMemberConfig<A, S>(GroupMember<?, ?, ?> member, String listenAddress,
    Map<NodeId, String> peers, Codec<A> messageCodec, Codec<S> stateCodec,
    SnapshotMember.StateRecorder<S> recorder, SnapshotMember.Inbox<A> inbox) {

  /** @throws IllegalArgumentException if a part is null */
  public SnapshotMemberConfig {
    if (member == null || listenAddress == null || peers == null || messageCodec == null
        || stateCodec == null || recorder == null || inbox == null) {
      throw new IllegalArgumentException("no part of a snapshot member's settings may be null");
    }
    peers = Map.copyOf(peers);
  }
}
