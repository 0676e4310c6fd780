package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.time.Causality;
import dev.meridian.time.VectorClock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of the {@link VectorClock} operations on the replication hot path, for groups of 3, 16 and
 * 128 members.
 *
 * <p>The two clocks model two replicas after a shared history: both hold the same random counters
 * (seeded, so every run measures the same clocks), then replica {@code a} has heard of newer events
 * from a few members, and replica {@code b} has made local writes that {@code a} has not seen. Its
 * own entry is last in node-id order, so {@link VectorClock#compare} has to walk every entry before
 * it can answer {@link Causality#CONCURRENT}: the cost measured is that of a full pass.
 *
 * <ul>
 *   <li>{@code compare}, {@code merge}: the clocks share one key array, as clocks derived from one
 *       view's clock do; {@code merge} takes its identity fast path.
 *   <li>{@code compareDistinctKeys}, {@code mergeDistinctKeys}: {@code b} rebuilt with {@link
 *       VectorClock#of} from a fresh map with fresh {@link NodeId} instances, as a clock decoded from
 *       the wire is, so the key arrays differ and the general merge-join path (with real id
 *       comparisons) runs.
 *   <li>{@code encode}, {@code decode}: clock {@code a} to and from its binary form.
 * </ul>
 *
 * <p>Fork, warm-up and measurement settings come from the runner ({@link ClocksBench}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VectorClockBenchmark {

  @Param({"3", "16", "128"})
  int members;

  VectorClock a;
  VectorClock b;
  VectorClock bDistinctKeys;
  byte[] encodedA;
  byte[] encodedB;

  @Setup(Level.Trial)
  public void setUp() {
    Random rnd = new Random(42);
    List<NodeId> ids = new ArrayList<>(members);
    for (int i = 0; i < members; i++) {
      ids.add(NodeId.of("n" + i));
    }
    ids.sort(null);
    NodeId writerB = ids.get(members - 1); // last in id order

    TreeMap<NodeId, Long> history = new TreeMap<>();
    for (NodeId id : ids) {
      history.put(id, (long) rnd.nextInt(1_000_000));
    }
    TreeMap<NodeId, Long> mapA = new TreeMap<>(history);
    TreeMap<NodeId, Long> mapB = new TreeMap<>(history);
    // a: newer events of about a quarter of the members (at least one), never of b's writer.
    int bumps = Math.max(1, members / 4);
    for (int k = 0; k < bumps; k++) {
      NodeId id = ids.get(rnd.nextInt(members - 1));
      mapA.merge(id, 1L + rnd.nextInt(100), Long::sum);
    }
    // b: its own local writes, unseen by a.
    mapB.merge(writerB, 1L + rnd.nextInt(100), Long::sum);

    // Merging into the zero clock of the group keeps that clock's key array (VectorClock reuses a
    // key array that covers the result), so a and b share one, as clocks of one view do.
    VectorClock zero = VectorClock.zero(ids);
    a = zero.merge(VectorClock.of(mapA));
    b = zero.merge(VectorClock.of(mapB));

    Map<NodeId, Long> fresh = new HashMap<>();
    mapB.forEach((id, counter) -> fresh.put(NodeId.of(new String(id.value())), counter));
    bDistinctKeys = VectorClock.of(fresh);

    encodedA = a.encode();
    encodedB = b.encode();

    check(a.compare(b) == Causality.CONCURRENT, "a and b must be concurrent");
    check(a.compare(bDistinctKeys) == Causality.CONCURRENT, "a and b' must be concurrent");
    check(b.equals(bDistinctKeys), "b' must equal b");
    check(a.merge(b).entries().equals(a.merge(bDistinctKeys).entries()), "merges must agree");
    check(a.size() == members && b.size() == members, "clocks must hold every member");
    check(VectorClock.decode(encodedA).entries().equals(a.entries()), "a must round-trip");
    check(Arrays.equals(VectorClock.decode(encodedB).encode(), encodedB), "b must round-trip");
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("benchmark setup: " + what);
    }
  }

  @Benchmark
  public Causality compare() {
    return a.compare(b);
  }

  @Benchmark
  public VectorClock merge() {
    return a.merge(b);
  }

  @Benchmark
  public Causality compareDistinctKeys() {
    return a.compare(bDistinctKeys);
  }

  @Benchmark
  public VectorClock mergeDistinctKeys() {
    return a.merge(bDistinctKeys);
  }

  @Benchmark
  public byte[] encode() {
    return a.encode();
  }

  @Benchmark
  public VectorClock decode() {
    return VectorClock.decode(encodedA);
  }
}
