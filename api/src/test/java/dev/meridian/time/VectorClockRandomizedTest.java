package dev.meridian.time;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link VectorClock#compare} and {@link VectorClock#merge} against a naive reference that
 * works on maps. The seed is fixed so a failure reproduces; it is printed in every message.
 */
class VectorClockRandomizedTest {

  private static final long SEED = 0x5EED_2024_0611L;
  private static final int PAIRS = 5_000;
  private static final int MAX_NODES = 8;
  private static final NodeId[] POOL = new NodeId[MAX_NODES];

  static {
    for (int i = 0; i < MAX_NODES; i++) {
      POOL[i] = NodeId.of("n" + i);
    }
  }

  // ---------------------------------------------------------------- reference implementation

  /** Happens-before on maps, absent counting as 0, written straight from the definition. */
  static Causality referenceCompare(Map<NodeId, Long> x, Map<NodeId, Long> y) {
    TreeSet<NodeId> keys = new TreeSet<>(x.keySet());
    keys.addAll(y.keySet());
    boolean xLeqY = true;
    boolean yLeqX = true;
    for (NodeId k : keys) {
      long a = x.getOrDefault(k, 0L);
      long b = y.getOrDefault(k, 0L);
      if (a > b) {
        xLeqY = false;
      }
      if (b > a) {
        yLeqX = false;
      }
    }
    if (xLeqY && yLeqX) {
      return Causality.EQUAL;
    }
    if (xLeqY) {
      return Causality.BEFORE;
    }
    if (yLeqX) {
      return Causality.AFTER;
    }
    return Causality.CONCURRENT;
  }

  /** Pointwise max over the union of keys, explicit zeros kept. */
  static Map<NodeId, Long> referenceMerge(Map<NodeId, Long> x, Map<NodeId, Long> y) {
    TreeMap<NodeId, Long> out = new TreeMap<>(x);
    y.forEach((k, v) -> out.merge(k, v, Math::max));
    return out;
  }

  // ---------------------------------------------------------------- generators

  /** A random map over a random subset of the pool; small counters so ties are common. */
  private static TreeMap<NodeId, Long> randomMap(Random rnd) {
    TreeMap<NodeId, Long> map = new TreeMap<>();
    int maxCounter = 1 + rnd.nextInt(4);
    for (NodeId id : POOL) {
      if (rnd.nextInt(10) < 6) {
        map.put(id, (long) rnd.nextInt(maxCounter + 1));
      }
    }
    return map;
  }

  /** Mostly-ordered variant of {@code base}: raise (or, rarely, lower) a few entries. */
  private static TreeMap<NodeId, Long> nearby(Random rnd, Map<NodeId, Long> base) {
    TreeMap<NodeId, Long> map = new TreeMap<>(base);
    int changes = rnd.nextInt(3);
    for (int c = 0; c < changes; c++) {
      NodeId id = POOL[rnd.nextInt(MAX_NODES)];
      long v = map.getOrDefault(id, 0L);
      long next = rnd.nextInt(4) == 0 ? Math.max(0, v - 1) : v + 1 + rnd.nextInt(2);
      map.put(id, next);
    }
    // Sometimes add or drop an explicit zero: must not change the relation.
    NodeId id = POOL[rnd.nextInt(MAX_NODES)];
    if (map.getOrDefault(id, 0L) == 0) {
      if (map.containsKey(id)) {
        map.remove(id);
      } else {
        map.put(id, 0L);
      }
    }
    return map;
  }

  /**
   * The clock for {@code map}: by {@link VectorClock#of}, or by increments from the zero clock of
   * its keys, so both construction routes (and the key arrays they produce) are exercised.
   */
  private static VectorClock build(Random rnd, Map<NodeId, Long> map) {
    if (rnd.nextBoolean()) {
      return VectorClock.of(map);
    }
    VectorClock clock = VectorClock.zero(map.keySet());
    for (Map.Entry<NodeId, Long> e : map.entrySet()) {
      for (long k = 0; k < e.getValue(); k++) {
        clock = clock.increment(e.getKey());
      }
    }
    return clock;
  }

  private static String ctx(int iteration, Object x, Object y) {
    return "seed=" + SEED + " iteration=" + iteration + " x=" + x + " y=" + y;
  }

  // ---------------------------------------------------------------- tests

  @Test
  void compareMatchesReference() {
    Random rnd = new Random(SEED);
    EnumMap<Causality, Integer> seen = new EnumMap<>(Causality.class);
    for (int i = 0; i < PAIRS; i++) {
      TreeMap<NodeId, Long> xm = randomMap(rnd);
      TreeMap<NodeId, Long> ym = rnd.nextBoolean() ? randomMap(rnd) : nearby(rnd, xm);
      VectorClock x = build(rnd, xm);
      VectorClock y = build(rnd, ym);
      String ctx = ctx(i, xm, ym);

      Causality expected = referenceCompare(xm, ym);
      Causality actual = x.compare(y);
      assertEquals(expected, actual, ctx);
      seen.merge(actual, 1, Integer::sum);

      assertEquals(mirror(expected), y.compare(x), "reversed: " + ctx);
      assertEquals(expected == Causality.BEFORE, x.happensBefore(y), ctx);
      assertEquals(expected == Causality.CONCURRENT, x.concurrentWith(y), ctx);
      assertEquals(expected == Causality.EQUAL, x.equals(y), ctx);
      if (expected == Causality.EQUAL) {
        assertEquals(x.hashCode(), y.hashCode(), "equal clocks, different hashes: " + ctx);
      }
      for (Map.Entry<NodeId, Long> e : xm.entrySet()) {
        assertEquals(e.getValue(), x.get(e.getKey()), ctx);
      }
    }
    for (Causality c : Causality.values()) {
      assertTrue(seen.getOrDefault(c, 0) >= PAIRS / 50,
          "seed=" + SEED + ": generator should produce enough " + c + " pairs, got " + seen);
    }
  }

  @Test
  void compareMatchesReferenceOnSharedKeyArrays() {
    // Clocks derived from one zero clock by increments share its key array.
    Random rnd = new Random(SEED + 1);
    EnumMap<Causality, Integer> seen = new EnumMap<>(Causality.class);
    for (int i = 0; i < PAIRS; i++) {
      int members = 1 + rnd.nextInt(MAX_NODES);
      TreeMap<NodeId, Long> zero = new TreeMap<>();
      for (int k = 0; k < members; k++) {
        zero.put(POOL[k], 0L);
      }
      VectorClock base = VectorClock.zero(zero.keySet());
      VectorClock x = base;
      VectorClock y = base;
      TreeMap<NodeId, Long> xm = new TreeMap<>(zero);
      TreeMap<NodeId, Long> ym = new TreeMap<>(zero);
      int events = rnd.nextInt(6);
      for (int e = 0; e < events; e++) {
        NodeId id = POOL[rnd.nextInt(members)];
        if (rnd.nextBoolean()) {
          x = x.increment(id);
          xm.merge(id, 1L, Long::sum);
        } else {
          y = y.increment(id);
          ym.merge(id, 1L, Long::sum);
        }
      }
      String ctx = ctx(i, xm, ym);
      Causality expected = referenceCompare(xm, ym);
      assertEquals(expected, x.compare(y), ctx);
      seen.merge(expected, 1, Integer::sum);
      assertEquals(referenceMerge(xm, ym), x.merge(y).entries(), ctx);
      assertEquals(x.merge(y).entries(), y.merge(x).entries(), ctx);
    }
    assertEquals(4, seen.size(), "seed=" + SEED + ": all four outcomes expected, got " + seen);
  }

  @Test
  void mergeMatchesReference() {
    Random rnd = new Random(SEED + 2);
    for (int i = 0; i < PAIRS; i++) {
      TreeMap<NodeId, Long> xm = randomMap(rnd);
      TreeMap<NodeId, Long> ym = rnd.nextBoolean() ? randomMap(rnd) : nearby(rnd, xm);
      VectorClock x = build(rnd, xm);
      VectorClock y = build(rnd, ym);
      String ctx = ctx(i, xm, ym);

      Map<NodeId, Long> expected = referenceMerge(xm, ym);
      VectorClock m = x.merge(y);
      assertEquals(expected, m.entries(), ctx);
      assertEquals(expected.size(), m.size(), ctx);
      assertEquals(expected, y.merge(x).entries(), "commutative: " + ctx);
      assertEquals(expected, m.merge(x).entries(), "idempotent: " + ctx);

      // The merge is an upper bound of both and the least one.
      Causality mx = referenceCompare(xm, expected);
      assertEquals(mx, x.compare(m), ctx);
      assertTrue(mx == Causality.BEFORE || mx == Causality.EQUAL, ctx);
      assertTrue(y.compare(m) == Causality.BEFORE || y.compare(m) == Causality.EQUAL, ctx);

      // Inputs unchanged.
      assertEquals(xm, x.entries(), ctx);
      assertEquals(ym, y.entries(), ctx);
    }
  }

  @Test
  void mergeIsAssociative() {
    Random rnd = new Random(SEED + 3);
    for (int i = 0; i < PAIRS / 5; i++) {
      VectorClock x = build(rnd, randomMap(rnd));
      VectorClock y = build(rnd, randomMap(rnd));
      VectorClock z = build(rnd, randomMap(rnd));
      assertEquals(x.merge(y).merge(z).entries(), x.merge(y.merge(z)).entries(),
          "seed=" + SEED + " iteration=" + i + " x=" + x + " y=" + y + " z=" + z);
    }
  }

  @Test
  void encodingRoundTripsRandomClocks() {
    Random rnd = new Random(SEED + 4);
    for (int i = 0; i < PAIRS / 5; i++) {
      TreeMap<NodeId, Long> map = new TreeMap<>();
      for (NodeId id : POOL) {
        if (rnd.nextBoolean()) {
          // Any non-negative long, so every varint length shows up.
          map.put(id, rnd.nextLong() >>> (1 + rnd.nextInt(63)));
        }
      }
      VectorClock clock = VectorClock.of(map);
      byte[] bytes = clock.encode();
      VectorClock back = VectorClock.decode(bytes);
      String ctx = "seed=" + SEED + " iteration=" + i + " clock=" + clock;
      assertEquals(map, back.entries(), ctx);
      assertArrayEquals(bytes, back.encode(), ctx);
    }
  }

  private static Causality mirror(Causality c) {
    switch (c) {
      case BEFORE:
        return Causality.AFTER;
      case AFTER:
        return Causality.BEFORE;
      default:
        return c;
    }
  }
}
