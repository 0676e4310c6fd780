package dev.meridian.sim.causal;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import dev.meridian.replica.crdt.LwwRegister;
import dev.meridian.replica.crdt.OrSet;
import dev.meridian.replica.crdt.ReplicatedCounter;
import dev.meridian.replica.crdt.ReplicatedMap;
import dev.meridian.time.HybridTimestamp;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * One replica of each shipped CRDT — a counter, a last-writer-wins register, an observed-remove
 * set and a replicated map — updated through causal multicast. An update's payload is the
 * hybrid timestamp it was issued at (16 bytes), which CRDT it is for (1 byte) and the operation.
 */
final class CrdtBundle {
  private static final String[] WORDS = {"ant", "bee", "cat", "dog", "eel", "fox"};

  final ReplicatedCounter counter = new ReplicatedCounter();
  final LwwRegister<String> register = new LwwRegister<>(Codec.utf8());
  final OrSet<String> set = new OrSet<>(Codec.utf8());
  final ReplicatedMap<String, String> map = new ReplicatedMap<>(Codec.utf8(), Codec.utf8());

  /** A random operation on a random CRDT, prepared against this replica's current state. */
  byte[] randomOp(RandomGenerator random, HybridTimestamp issuedAt) {
    String word = WORDS[random.nextInt(WORDS.length)];
    int kind = random.nextInt(4);
    byte[] op = switch (kind) {
      case 0 -> counter.opCodec().encode(random.nextBoolean()
          ? ReplicatedCounter.incrementOp(1 + random.nextInt(10))
          : ReplicatedCounter.decrementOp(1 + random.nextInt(10)));
      case 1 -> register.opCodec().encode(register.setOp(word));
      case 2 -> set.opCodec().encode(random.nextInt(3) == 0 ? set.removeOp(word) : set.addOp(word));
      default -> map.opCodec().encode(random.nextInt(3) == 0
          ? map.removeOp(word) : map.putOp(word, WORDS[random.nextInt(WORDS.length)]));
    };
    return ByteBuffer.allocate(17 + op.length)
        .putLong(issuedAt.physicalNanos()).putLong(issuedAt.logical()).put((byte) kind).put(op)
        .array();
  }

  /** The hybrid timestamp a payload was issued at. */
  static HybridTimestamp issuedAt(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    return new HybridTimestamp(b.getLong(), b.getLong());
  }

  /** Applies a delivered payload issued by {@code node} as its update number {@code seq}. */
  void apply(byte[] payload, NodeId node, long seq) {
    Origin origin = new Origin(node, seq, issuedAt(payload));
    byte[] op = Arrays.copyOfRange(payload, 17, payload.length);
    switch (payload[16]) {
      case 0 -> apply(counter, op, origin);
      case 1 -> apply(register, op, origin);
      case 2 -> apply(set, op, origin);
      default -> apply(map, op, origin);
    }
  }

  private static <O> void apply(ReplicatedState<O> state, byte[] op, Origin origin) {
    state.apply(state.opCodec().decode(op), origin);
  }

  /** The observable state of all four, for comparing replicas. */
  String observable() {
    return "counter=" + counter.value() + " register=" + register.get().orElse("-")
        + " set=" + new java.util.TreeSet<>(set.elements())
        + " map=" + new java.util.TreeMap<>(map.asMap());
  }
}
