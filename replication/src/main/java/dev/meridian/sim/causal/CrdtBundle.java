package dev.meridian.sim.causal;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import dev.meridian.replica.crdt.LwwRegister;
import dev.meridian.replica.crdt.OrSet;
import dev.meridian.replica.crdt.ReplicatedCounter;
import dev.meridian.replica.crdt.ReplicatedMap;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * One replica of each shipped CRDT — a counter, a last-writer-wins register, an observed-remove
 * set and a replicated map — as one replicated state. An operation is one byte naming the CRDT
 * followed by that CRDT's encoded operation.
 */
final class CrdtBundle implements ReplicatedState<byte[]> {
  private static final String[] WORDS = {"ant", "bee", "cat", "dog", "eel", "fox"};

  private final ReplicatedCounter counter = new ReplicatedCounter();
  private final LwwRegister<String> register = new LwwRegister<>(Codec.utf8());
  private final OrSet<String> set = new OrSet<>(Codec.utf8());
  private final ReplicatedMap<String, String> map =
      new ReplicatedMap<>(Codec.utf8(), Codec.utf8());

  /** A random operation on a random CRDT, prepared against this replica's current state. */
  byte[] randomOp(RandomGenerator random) {
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
    byte[] tagged = new byte[op.length + 1];
    tagged[0] = (byte) kind;
    System.arraycopy(op, 0, tagged, 1, op.length);
    return tagged;
  }

  @Override
  public void apply(byte[] op, Origin origin) {
    byte[] inner = Arrays.copyOfRange(op, 1, op.length);
    switch (op[0]) {
      case 0 -> apply(counter, inner, origin);
      case 1 -> apply(register, inner, origin);
      case 2 -> apply(set, inner, origin);
      default -> apply(map, inner, origin);
    }
  }

  private static <O> void apply(ReplicatedState<O> state, byte[] op, Origin origin) {
    state.apply(state.opCodec().decode(op), origin);
  }

  @Override
  public Codec<byte[]> opCodec() {
    return Codec.bytes();
  }

  /** The observable state of all four, for comparing replicas. */
  String observable() {
    return "counter=" + counter.value() + " register=" + register.get().orElse("-")
        + " set=" + new TreeSet<>(set.elements()) + " map=" + new TreeMap<>(map.asMap());
  }
}
