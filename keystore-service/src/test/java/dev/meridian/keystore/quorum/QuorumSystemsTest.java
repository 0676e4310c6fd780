package dev.meridian.keystore.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.keystore.quorum.InvalidQuorumSystemException.Property;
import dev.meridian.keystore.quorum.QuorumSystem.Kind;
import java.util.BitSet;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The factories, the formulas of DESIGN.md against the enumerated systems, and {@link
 * QuorumSystems#largestF} against the closed-form validity conditions.
 */
class QuorumSystemsTest {

  private static final int[] SIZES = {9, 16, 25, 49, 100};

  private static final Map<String, Integer> LARGEST_F = new ConcurrentHashMap<>();

  /** {@link QuorumSystems#largestF}, computed once per kind and n for this class. */
  static int largestF(Kind kind, int n) {
    return LARGEST_F.computeIfAbsent(kind + "/" + n, k -> QuorumSystems.largestF(kind, n));
  }

  // ---------------------------------------------------------------- DESIGN.md, in closed form

  /** r = ceil((f+t)/2). */
  static int crRows(int f) {
    return (2 * f + 1 + 1) / 2;
  }

  /** c = ceil(sqrt((f+t)/2)), computed in doubles as the design writes it. */
  static int mgLines(int f) {
    return (int) Math.ceil(Math.sqrt((2.0 * f + 1) / 2));
  }

  static int designQuorumSize(Kind kind, int n, int f) {
    int s = (int) Math.round(Math.sqrt(n));
    switch (kind) {
      case GRID_CR:
        return (crRows(f) + 1) * s - crRows(f);
      case GRID_MG:
        return 2 * mgLines(f) * s - mgLines(f) * mgLines(f);
      default:
        return (int) Math.ceil((n + f + (f + 1)) / 2.0);
    }
  }

  /** "available with f faults iff s >= f + r" etc.; intersection holds by construction. */
  static boolean designValid(Kind kind, int n, int f) {
    int s = (int) Math.round(Math.sqrt(n));
    switch (kind) {
      case GRID_CR:
        return s >= f + crRows(f);
      case GRID_MG:
        return s >= f + mgLines(f);
      default:
        return n >= 3 * f + (f + 1);
    }
  }

  // ---------------------------------------------------------------- factories

  @Test
  void describeHasTheDocumentedForm() {
    assertEquals(
        "grid-cr n=9 (3x3) f=1 t=2 r=2 quorum=7 load=0.78", QuorumSystems.gridCr(9, 1).describe());
    assertEquals(
        "grid-mg n=16 (4x4) f=2 t=3 c=2 quorum=12 load=0.75",
        QuorumSystems.gridMg(16, 2).describe());
    assertEquals(
        "threshold n=9 f=2 t=3 quorum=7 load=0.78", QuorumSystems.threshold(9, 2).describe());
  }

  @Test
  void kindLabels() {
    assertEquals("grid-cr", Kind.GRID_CR.label());
    assertEquals("grid-mg", Kind.GRID_MG.label());
    assertEquals("threshold", Kind.THRESHOLD.label());
    for (Kind kind : Kind.values()) {
      assertEquals(kind, Kind.fromLabel(kind.label()));
      assertEquals(kind, Kind.fromLabel(kind.name()));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Kind.fromLabel("grid"));
    assertTrue(e.getMessage().contains("'grid'"), e.getMessage());
  }

  @Test
  void factoriesRejectNonsenseNamingTheValueAndRange() {
    assertMessage(() -> QuorumSystems.gridCr(10, 1), "n=10", "9 and 16");
    assertMessage(() -> QuorumSystems.gridMg(50, 1), "n=50", "49 and 64");
    assertMessage(() -> QuorumSystems.gridCr(0, 0), "n=0", "n >= 1");
    assertMessage(() -> QuorumSystems.threshold(-3, 0), "n=-3", "n >= 1");
    assertMessage(() -> QuorumSystems.threshold(9, -1), "f=-1", "f >= 0");
    assertMessage(() -> QuorumSystems.gridMg(9, -1), "f=-1", "f >= 0");
    assertMessage(() -> QuorumSystems.gridCr(9, 3), "f=3", "0..2");
    assertMessage(() -> QuorumSystems.gridMg(9, 9), "f=9", "0..8");
    assertMessage(() -> QuorumSystems.threshold(9, 5), "f=5", "0..4");
    assertMessage(() -> QuorumSystems.largestF(Kind.GRID_CR, 12), "n=12");
    assertThrows(NullPointerException.class, () -> QuorumSystems.of(null, 9, 1));
  }

  @Test
  void theLargestConstructibleFConstructsAndTheNextDoesNot() {
    assertEquals(16, QuorumSystems.gridCr(16, 3).quorumSize()); // r = 4 = s: the whole grid
    assertThrows(IllegalArgumentException.class, () -> QuorumSystems.gridCr(16, 4));
    assertEquals(16, QuorumSystems.gridMg(16, 15).quorumSize()); // c = 4 = s
    assertThrows(IllegalArgumentException.class, () -> QuorumSystems.gridMg(16, 16));
    assertEquals(16, QuorumSystems.threshold(16, 7).quorumSize());
    assertThrows(IllegalArgumentException.class, () -> QuorumSystems.threshold(16, 8));
    assertEquals(1, QuorumSystems.threshold(1, 0).quorumSize());
    assertEquals(1, QuorumSystems.gridCr(1, 0).quorumSize());
  }

  @Test
  void ofDispatchesAndSystemsAreValues() {
    for (Kind kind : Kind.values()) {
      QuorumSystem system = QuorumSystems.of(kind, 16, 1);
      assertEquals(kind, system.kind());
      assertEquals(16, system.n());
      assertEquals(1, system.f());
      assertEquals(2, system.t());
      assertEquals(system, QuorumSystems.of(kind, 16, 1));
      assertEquals(system.hashCode(), QuorumSystems.of(kind, 16, 1).hashCode());
      assertFalse(system.equals(QuorumSystems.of(kind, 16, 0)));
      assertEquals(system.describe(), system.toString());
    }
  }

  // ---------------------------------------------------------------- formulas vs enumeration

  @Test
  void gridQuorumSizesMatchTheDesignFormulasAndTheEnumeration() {
    for (int n : SIZES) {
      for (Kind kind : new Kind[] {Kind.GRID_CR, Kind.GRID_MG}) {
        for (int f = 0; f <= largestF(kind, n) + 1; f++) {
          GridQuorumSystem grid = (GridQuorumSystem) QuorumSystems.of(kind, n, f);
          String where = grid.describe();
          assertEquals(designQuorumSize(kind, n, f), grid.quorumSize(), where);
          long[] masks = grid.minimalQuorums(QuorumCheck.ENUMERATION_LIMIT);
          int words = ServerSets.words(n);
          int count = masks.length / words;
          assertEquals(grid.minimalQuorumCount(), count, where);
          int[] through = new int[n];
          for (int q = 0; q < count; q++) {
            BitSet quorum = ServerSets.toBitSet(masks, q * words, words);
            assertEquals(grid.quorumSize(), quorum.cardinality(), () -> where + " " + quorum);
            assertTrue(grid.containsQuorum(quorum), () -> where + " " + quorum);
            quorum.stream().forEach(server -> through[server]++);
          }
          int busiest = 0;
          for (int server = 0; server < n; server++) {
            busiest = Math.max(busiest, through[server]);
          }
          // The load by counting: the fraction of minimal quorums the busiest server is in.
          assertEquals((double) busiest / count, grid.load(), 1e-12, where);
        }
      }
    }
  }

  @Test
  void thresholdQuorumSizeMatchesTheDesignFormula() {
    for (int n = 1; n <= 100; n++) {
      for (int f = 0; 2 * f + 1 <= n; f++) {
        QuorumSystem system = QuorumSystems.threshold(n, f);
        assertEquals(
            designQuorumSize(Kind.THRESHOLD, n, f), system.quorumSize(), system.describe());
        assertEquals((double) system.quorumSize() / n, system.load(), 1e-12);
      }
    }
  }

  @Test
  void mgLinesIsTheLeastCWithTwoCSquaredAtLeastFPlusT() {
    for (int f = 0; f < 100_000; f++) {
      assertEquals(mgLines(f), QuorumSystems.mgLines(f), "f=" + f);
    }
  }

  /** containsQuorum against "some enumerated minimal quorum is inside", on seeded random sets. */
  @Test
  void containsQuorumAgreesWithTheEnumeratedQuorums() {
    long seed = 0x9_0A11L;
    Random random = new Random(seed);
    for (int n : SIZES) {
      for (Kind kind : new Kind[] {Kind.GRID_CR, Kind.GRID_MG}) {
        int largest = largestF(kind, n);
        for (int f = 0; f <= largest + 1; f++) {
          GridQuorumSystem grid = (GridQuorumSystem) QuorumSystems.of(kind, n, f);
          long[] masks = grid.minimalQuorums(QuorumCheck.ENUMERATION_LIMIT);
          int words = ServerSets.words(n);
          for (int trial = 0; trial < 300; trial++) {
            BitSet servers = new BitSet(n);
            double density = 0.5 + 0.5 * random.nextDouble();
            for (int i = 0; i < n; i++) {
              if (random.nextDouble() < density) {
                servers.set(i);
              }
            }
            long[] set = ServerSets.toMask(servers, words);
            boolean expected = false;
            for (int q = 0; q < masks.length && !expected; q += words) {
              boolean inside = true;
              for (int w = 0; w < words; w++) {
                inside &= (masks[q + w] & ~set[w]) == 0;
              }
              expected = inside;
            }
            assertEquals(
                expected,
                grid.containsQuorum(servers),
                () -> "seed=" + seed + " " + grid.describe() + " servers=" + servers);
          }
        }
      }
    }
  }

  @Test
  void containsQuorumRejectsIndexesOutOfRange() {
    for (Kind kind : Kind.values()) {
      QuorumSystem system = QuorumSystems.of(kind, 9, 1);
      BitSet servers = new BitSet();
      servers.set(9);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> system.containsQuorum(servers));
      assertTrue(e.getMessage().contains("9") && e.getMessage().contains("0..8"), e.getMessage());
      assertThrows(NullPointerException.class, () -> system.containsQuorum(null));
    }
  }

  // ---------------------------------------------------------------- largestF and the check

  @Test
  void largestFAtTheTableSizes() {
    int[][] expected = { // n: grid-cr, grid-mg, threshold
      {9, 1, 1, 2}, {16, 1, 2, 3}, {25, 2, 3, 6}, {49, 3, 4, 12}, {100, 4, 7, 24}
    };
    for (int[] row : expected) {
      assertEquals(row[1], largestF(Kind.GRID_CR, row[0]), "grid-cr n=" + row[0]);
      assertEquals(row[2], largestF(Kind.GRID_MG, row[0]), "grid-mg n=" + row[0]);
      assertEquals(row[3], largestF(Kind.THRESHOLD, row[0]), "threshold n=" + row[0]);
    }
  }

  /** The exhaustive check agrees with DESIGN.md's closed-form conditions wherever both apply. */
  @Test
  void verifyAgreesWithTheDesignConditions() {
    for (int side = 1; side <= 10; side++) {
      int n = side * side;
      for (Kind kind : new Kind[] {Kind.GRID_CR, Kind.GRID_MG}) {
        int largest = -1;
        for (int f = 0; f <= n; f++) {
          QuorumSystem system;
          try {
            system = QuorumSystems.of(kind, n, f);
          } catch (IllegalArgumentException notConstructible) {
            break;
          }
          boolean valid = isValid(system);
          assertEquals(designValid(kind, n, f), valid, system.describe());
          if (valid) {
            largest = f; // every constructible f is tried: largestF's early stop is checked too
          }
        }
        assertEquals(largest, QuorumSystems.largestF(kind, n), kind.label() + " n=" + n);
      }
    }
    for (int n = 1; n <= 200; n++) {
      int largest = -1;
      for (int f = 0; 2 * f + 1 <= n; f++) {
        QuorumSystem system = QuorumSystems.threshold(n, f);
        boolean valid = isValid(system);
        assertEquals(designValid(Kind.THRESHOLD, n, f), valid, system.describe());
        if (valid) {
          largest = f;
        }
      }
      assertEquals(largest, QuorumSystems.largestF(Kind.THRESHOLD, n), "threshold n=" + n);
    }
  }

  @Test
  void verifyPassesAtLargestFAndFailsAboveNamingNFAndTheProperty() throws Exception {
    for (int n : SIZES) {
      for (Kind kind : Kind.values()) {
        int largest = largestF(kind, n);
        QuorumCheck.verify(QuorumSystems.of(kind, n, largest));
        QuorumSystem above = QuorumSystems.of(kind, n, largest + 1);
        InvalidQuorumSystemException e =
            assertThrows(InvalidQuorumSystemException.class, () -> QuorumCheck.verify(above));
        String message = e.getMessage();
        for (String part :
            new String[] {kind.label(), "n=" + n, "f=" + (largest + 1), "availability"}) {
          assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
        }
        assertEquals(Property.AVAILABILITY, e.property(), message);
        assertEquals(kind, e.kind());
        assertEquals(n, e.n());
        assertEquals(largest + 1, e.f());
        BitSet down = e.witness().get(0);
        assertTrue(down.cardinality() <= largest + 1, message);
        BitSet alive = new BitSet(n);
        alive.set(0, n);
        alive.andNot(down);
        assertFalse(above.containsQuorum(alive), message);
      }
    }
  }

  @Test
  void anIntersectionFailureNamesBothQuorums() {
    // One row and one column of a 5x5 grid meet in 2 servers; f = 2 needs 5.
    GridQuorumSystem thin = new GridQuorumSystem(Kind.GRID_CR, 5, 2, 1, 1);
    InvalidQuorumSystemException e =
        assertThrows(InvalidQuorumSystemException.class, () -> QuorumCheck.verify(thin));
    assertEquals(Property.INTERSECTION, e.property());
    assertEquals(2, e.witness().size());
    BitSet common = e.witness().get(0);
    common.and(e.witness().get(1));
    assertTrue(common.cardinality() < 5);
    for (String part : new String[] {"grid-cr", "n=25", "f=2", "intersection", "f + t = 5"}) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
    }

    ThresholdQuorumSystem small = new ThresholdQuorumSystem(10, 1, 6);
    e = assertThrows(InvalidQuorumSystemException.class, () -> QuorumCheck.verify(small));
    assertEquals(Property.INTERSECTION, e.property());
    assertTrue(e.getMessage().contains("share 2 servers"), e.getMessage());
  }

  @Test
  void tooLargeGridsAreRefusedNotVouchedFor() {
    // 20x20, c = 7 rows and columns: C(20,7)^2 = 6e9 minimal quorums.
    QuorumSystem huge = QuorumSystems.gridMg(400, 40);
    InvalidQuorumSystemException e =
        assertThrows(InvalidQuorumSystemException.class, () -> QuorumCheck.verify(huge));
    assertEquals(Property.TOO_LARGE_TO_CHECK, e.property());
    assertTrue(e.getMessage().contains("n=400") && e.getMessage().contains("f=40"));
  }

  /** Both intersection strategies (every pair, one quorum against all) agree. */
  @Test
  void theSymmetryShortcutAgreesWithAllPairs() {
    for (int side = 2; side <= 7; side++) {
      for (int rows = 1; rows <= side; rows++) {
        for (int cols = 1; cols <= side; cols++) {
          for (int f = 0; f < side; f++) {
            GridQuorumSystem grid = new GridQuorumSystem(Kind.GRID_MG, side, f, rows, cols);
            assertEquals(
                outcome(grid, Integer.MAX_VALUE), outcome(grid, 0), grid.describe() + " " + rows);
          }
        }
      }
    }
  }

  /**
   * The brief's budget: every kind at the table sizes, f up to its largest + 1, well under a second
   * each. The bound asserted is looser because the build machine is shared.
   */
  @Test
  void verifyIsFast() {
    for (int n : SIZES) {
      for (Kind kind : Kind.values()) {
        for (int f = 0; f <= largestF(kind, n) + 1; f++) {
          QuorumSystem system = QuorumSystems.of(kind, n, f);
          long start = System.nanoTime();
          isValid(system);
          long millis = (System.nanoTime() - start) / 1_000_000;
          if (millis > 3_000) {
            fail(system.describe() + " took " + millis + " ms to check");
          }
        }
      }
    }
  }

  static boolean isValid(QuorumSystem system) {
    try {
      QuorumCheck.verify(system);
      return true;
    } catch (InvalidQuorumSystemException e) {
      return false;
    }
  }

  private static String outcome(QuorumSystem system, int allPairsLimit) {
    try {
      QuorumCheck.verify(system, allPairsLimit);
      return "valid";
    } catch (InvalidQuorumSystemException e) {
      return e.property().toString();
    }
  }

  private static void assertMessage(Runnable call, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
    }
  }
}
