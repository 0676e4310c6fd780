package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicated state of {@code meridian bench causal}: operations are opaque 64-byte payloads,
 * and the state counts how many each origin applied, checking on the way that each origin's
 * operations come in the order issued (sequence numbers 1, 2, 3, ... without gap or repeat).
 * Counting commutes, so causal delivery is all it needs to converge.
 */
final class CountingState implements ReplicatedState<byte[]> {
  private final Map<NodeId, Integer> index = new HashMap<>();
  private final long[] applied;
  private long orderErrors;

  CountingState(List<NodeId> members) {
    for (int i = 0; i < members.size(); i++) {
      index.put(members.get(i), i);
    }
    applied = new long[members.size()];
  }

  @Override
  public void apply(byte[] op, Origin origin) {
    Integer i = index.get(origin.node());
    if (i == null || op.length != DeliveryMeter.PAYLOAD_BYTES
        || origin.sequence() != applied[i] + 1) {
      orderErrors++;
    }
    if (i != null) {
      applied[i]++;
    }
  }

  @Override
  public Codec<byte[]> opCodec() {
    return Codec.bytes();
  }

  /** Operations applied per origin, in member order (a copy). */
  long[] applied() {
    return applied.clone();
  }

  long orderErrors() {
    return orderErrors;
  }
}
