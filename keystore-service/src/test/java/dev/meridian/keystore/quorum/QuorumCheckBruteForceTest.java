package dev.meridian.keystore.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.keystore.quorum.InvalidQuorumSystemException.Property;
import dev.meridian.keystore.quorum.QuorumSystem.Kind;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link QuorumCheck} against a deliberately simple reference: for {@code n <= 16} servers, every
 * one of the {@code 2^n} subsets is classified as quorum or not straight from the definition (the
 * structural quorums and everything above them, or "at least q servers"), and both properties are
 * decided by looking at all subsets. The check must agree on every system (the factories' and
 * arbitrary grid shapes and threshold sizes that the factories never build), name the same
 * property, and give a witness the reference confirms.
 */
class QuorumCheckBruteForceTest {

  /**
   * What the reference finds out about a family of quorums, independently of f.
   *
   * @param quorum whether each subset (as an int) is a quorum
   * @param fewestFailuresLeavingNoQuorum the size of the smallest set whose complement holds no
   *     quorum ({@code n + 1} if even all servers hold none)
   * @param smallestIntersection the fewest servers two quorums (or one with itself) share
   */
  record Family(boolean[] quorum, int fewestFailuresLeavingNoQuorum, int smallestIntersection) {

    /** The failed property for this f, availability first as the check does, or null. */
    Property failure(int f) {
      if (fewestFailuresLeavingNoQuorum <= f) {
        return Property.AVAILABILITY;
      }
      return smallestIntersection < 2 * f + 1 ? Property.INTERSECTION : null;
    }
  }

  @Test
  void factorySystemsAtNineAndSixteenAndBelow() {
    for (int side = 1; side <= 4; side++) {
      int n = side * side;
      for (Kind kind : new Kind[] {Kind.GRID_CR, Kind.GRID_MG}) {
        for (int f = 0; ; f++) {
          QuorumSystem system;
          try {
            system = QuorumSystems.of(kind, n, f);
          } catch (IllegalArgumentException notConstructible) {
            break;
          }
          GridQuorumSystem grid = (GridQuorumSystem) system;
          boolean[] quorum = gridFamily(side, grid.rowsNeeded(), grid.colsNeeded());
          assertContainsQuorumAgrees(system, quorum);
          assertAgrees(system, reference(n, quorum));
        }
      }
    }
  }

  /** The counting argument for threshold systems, confirmed by enumeration. */
  @Test
  void thresholdFactorySystemsUpToSixteen() {
    for (int n = 1; n <= 16; n++) {
      for (int f = 0; 2 * f + 1 <= n; f++) {
        QuorumSystem system = QuorumSystems.threshold(n, f);
        boolean[] quorum = thresholdFamily(n, system.quorumSize());
        if (n <= 12 || f == 0) {
          assertContainsQuorumAgrees(system, quorum);
        }
        assertAgrees(system, reference(n, quorum));
      }
    }
  }

  /** Every shape of grid up to 4x4 and every f, including ones whose intersection fails. */
  @Test
  void everyGridShapeUpToFourByFour() {
    int intersectionFailures = 0;
    int availabilityFailures = 0;
    int valid = 0;
    for (int side = 1; side <= 4; side++) {
      int n = side * side;
      for (int rows = 1; rows <= side; rows++) {
        for (int cols = 1; cols <= side; cols++) {
          boolean[] quorum = gridFamily(side, rows, cols);
          assertContainsQuorumAgrees(
              new GridQuorumSystem(Kind.GRID_MG, side, 0, rows, cols), quorum);
          Family family = reference(n, quorum);
          for (int f = 0; f < n; f++) {
            Property failure =
                assertAgrees(new GridQuorumSystem(Kind.GRID_MG, side, f, rows, cols), family);
            if (failure == null) {
              valid++;
            } else if (failure == Property.INTERSECTION) {
              intersectionFailures++;
            } else {
              availabilityFailures++;
            }
          }
        }
      }
    }
    // The shapes exercise every outcome, not just one.
    assertTrue(valid > 0 && intersectionFailures > 0 && availabilityFailures > 0);
  }

  @Test
  void everyThresholdSizeUpToTwelve() {
    for (int n = 1; n <= 12; n++) {
      for (int q = 1; q <= n; q++) {
        Family family = reference(n, thresholdFamily(n, q));
        for (int f = 0; f < n; f++) {
          assertAgrees(new ThresholdQuorumSystem(n, f, q), family);
        }
      }
    }
  }

  // ---------------------------------------------------------------- the reference

  /**
   * Which of the {@code 2^(side*side)} subsets contain a chosen {@code rows} rows plus chosen
   * {@code cols} columns: mark each structural quorum, then close upwards bit by bit.
   */
  static boolean[] gridFamily(int side, int rows, int cols) {
    int n = side * side;
    boolean[] quorum = new boolean[1 << n];
    for (int rowChoice = 0; rowChoice < 1 << side; rowChoice++) {
      if (Integer.bitCount(rowChoice) != rows) {
        continue;
      }
      for (int colChoice = 0; colChoice < 1 << side; colChoice++) {
        if (Integer.bitCount(colChoice) != cols) {
          continue;
        }
        int union = 0;
        for (int server = 0; server < n; server++) {
          if ((rowChoice >> (server / side) & 1) != 0 || (colChoice >> (server % side) & 1) != 0) {
            union |= 1 << server;
          }
        }
        quorum[union] = true;
      }
    }
    for (int bit = 0; bit < n; bit++) {
      for (int set = 0; set < 1 << n; set++) {
        if ((set >> bit & 1) != 0 && quorum[set ^ (1 << bit)]) {
          quorum[set] = true;
        }
      }
    }
    return quorum;
  }

  static boolean[] thresholdFamily(int n, int q) {
    boolean[] quorum = new boolean[1 << n];
    for (int set = 0; set < 1 << n; set++) {
      quorum[set] = Integer.bitCount(set) >= q;
    }
    return quorum;
  }

  /** Looks at every subset and every pair of minimal quorums. */
  static Family reference(int n, boolean[] quorum) {
    int all = (1 << n) - 1;
    int fewestFailures = n + 1;
    int[] minimal = new int[1 << n];
    int count = 0;
    for (int set = 0; set <= all; set++) {
      if (!quorum[set]) {
        fewestFailures = Math.min(fewestFailures, n - Integer.bitCount(set));
        continue;
      }
      boolean isMinimal = true;
      for (int rest = set; rest != 0 && isMinimal; rest &= rest - 1) {
        isMinimal = !quorum[set & ~Integer.lowestOneBit(rest)];
      }
      if (isMinimal) {
        minimal[count++] = set;
      }
    }
    int smallest = Integer.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      for (int j = i; j < count; j++) {
        smallest = Math.min(smallest, Integer.bitCount(minimal[i] & minimal[j]));
      }
    }
    return new Family(quorum, fewestFailures, smallest);
  }

  /** Asserts the check agrees with the reference; returns the failed property or null. */
  static Property assertAgrees(QuorumSystem system, Family family) {
    int n = system.n();
    int f = system.f();
    boolean[] quorum = family.quorum();
    String where = system.describe();
    try {
      QuorumCheck.verify(system);
      assertEquals(null, family.failure(f), where + " passed the check");
      return null;
    } catch (InvalidQuorumSystemException e) {
      assertEquals(family.failure(f), e.property(), where + ": " + e.getMessage());
      String message = e.getMessage();
      for (String part : new String[] {system.kind().label(), "n=" + n, "f=" + f}) {
        assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
      }
      List<BitSet> witness = e.witness();
      if (e.property() == Property.AVAILABILITY) {
        assertTrue(message.contains("availability"), message);
        int down = toInt(witness.get(0));
        assertTrue(Integer.bitCount(down) <= f, message);
        assertFalse(quorum[((1 << n) - 1) & ~down], "survivors hold a quorum: " + message);
      } else {
        assertTrue(message.contains("intersection"), message);
        int first = toInt(witness.get(0));
        int second = toInt(witness.get(1));
        assertTrue(quorum[first] && quorum[second], message);
        assertTrue(Integer.bitCount(first & second) < 2 * f + 1, message);
      }
      return e.property();
    }
  }

  /** containsQuorum on every subset. */
  static void assertContainsQuorumAgrees(QuorumSystem system, boolean[] quorum) {
    int n = system.n();
    for (int set = 0; set < 1 << n; set++) {
      BitSet servers = BitSet.valueOf(new long[] {set});
      if (quorum[set] != system.containsQuorum(servers)) {
        fail(system.describe() + ": containsQuorum(" + servers + ") should be " + quorum[set]);
      }
    }
  }

  private static int toInt(BitSet set) {
    long[] words = set.toLongArray();
    return words.length == 0 ? 0 : (int) words[0];
  }
}
