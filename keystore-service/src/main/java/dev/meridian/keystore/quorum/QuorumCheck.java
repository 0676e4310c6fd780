package dev.meridian.keystore.quorum;

import dev.meridian.keystore.quorum.InvalidQuorumSystemException.Property;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * The start-up check that a configured quorum system really is a Byzantine quorum system for its
 * {@code f}: computed on the system itself, not by the closed-form conditions of DESIGN.md.
 *
 * <p><b>Guarantee</b>: {@link #verify} returns normally only if (1) every two quorums, including a
 * quorum with itself, share at least {@code f + t = 2f + 1} servers and (2) for every set of {@code
 * f} servers down, some quorum survives among the rest. Both are checked over the minimal quorums,
 * which suffices: a superset of a quorum meets any set at least where the quorum does, and contains
 * the quorum.
 *
 * <p><b>How, for the grids</b>: the minimal quorums ({@code rows x columns} choices) are enumerated
 * as bit masks.
 *
 * <ul>
 *   <li>Intersection: every pair is compared when there are at most {@value #ALL_PAIRS_LIMIT}
 *       (every grid up to 10x10 that passes availability). Beyond that one fixed quorum is compared
 *       with every quorum: row and column permutations map minimal quorums onto minimal quorums,
 *       keep intersection sizes, and take any quorum to any other, so the smallest intersection
 *       with one quorum is the smallest over all pairs.
 *   <li>Availability: a depth-first search for a hitting set, at most {@code f} servers meeting
 *       every quorum: pick a quorum the failures so far miss, branch on which of its servers fails
 *       next. Two exact reductions keep it small. Symmetry: permutations of the rows and of the
 *       columns untouched by the failures fix those failures, so one server per orbit is enough.
 *       Dominance: if every still-alive quorum through server x also passes through y, failing y is
 *       at least as good as failing x, so x is skipped.
 * </ul>
 *
 * <p><b>For threshold</b>, the quorums are all {@code q}-subsets, and counting is exact: two {@code
 * q}-subsets of {@code n} servers share at least {@code 2q - n} and some two share exactly that
 * many (when {@code 2q >= n}); {@code f} failures leave {@code n - f} servers, which hold a {@code
 * q}-subset iff {@code n - f >= q}. A test confirms this by enumeration for small n.
 *
 * <p><b>Failure model</b>: a refused system raises {@link InvalidQuorumSystemException} naming the
 * kind, n, f, the failed property and a witness. A grid with more than {@value #ENUMERATION_LIMIT}
 * minimal quorums is refused as {@link Property#TOO_LARGE_TO_CHECK} rather than vouched for
 * unchecked. Stateless and thread-safe. Every kind at n &lt;= 100, f up to its largest valid f + 1,
 * is checked in well under a second.
 */
public final class QuorumCheck {

  /** Up to this many minimal quorums, intersection is checked on every pair. */
  static final int ALL_PAIRS_LIMIT = 20_000;

  /** A grid with more minimal quorums than this is not checked (nor accepted). */
  static final int ENUMERATION_LIMIT = 1_000_000;

  private QuorumCheck() {}

  /**
   * Checks intersection {@code >= f + t} and availability under {@code f} failures; see the class
   * comment.
   *
   * @throws InvalidQuorumSystemException naming n, f, the kind, the failed property and a witness
   * @throws IllegalArgumentException if {@code system} was not made by {@link QuorumSystems}
   */
  public static void verify(QuorumSystem system) throws InvalidQuorumSystemException {
    verify(system, ALL_PAIRS_LIMIT);
  }

  /**
   * As {@link #verify(QuorumSystem)}, comparing all pairs only up to {@code allPairsLimit} quorums.
   */
  static void verify(QuorumSystem system, int allPairsLimit) throws InvalidQuorumSystemException {
    verify(system, allPairsLimit, true);
  }

  /** Availability alone (and the size limit): the cheap half of {@link #verify}. */
  static void verifyAvailability(QuorumSystem system) throws InvalidQuorumSystemException {
    verify(system, ALL_PAIRS_LIMIT, false);
  }

  private static void verify(QuorumSystem system, int allPairsLimit, boolean intersection)
      throws InvalidQuorumSystemException {
    Objects.requireNonNull(system, "system");
    if (system instanceof ThresholdQuorumSystem threshold) {
      verifyThreshold(threshold, intersection);
    } else if (system instanceof GridQuorumSystem grid) {
      verifyGrid(grid, allPairsLimit, intersection);
    } else {
      throw new IllegalArgumentException(
          "QuorumCheck knows the systems made by QuorumSystems, not " + system.getClass());
    }
  }

  // ------------------------------------------------------------------------------ threshold

  private static void verifyThreshold(ThresholdQuorumSystem system, boolean intersection)
      throws InvalidQuorumSystemException {
    int n = system.n();
    int f = system.f();
    int q = system.quorumSize();
    if (n - f < q) {
      BitSet down = new BitSet(n);
      down.set(0, n - q + 1); // n - q + 1 <= f failures leave q - 1 servers
      throw new InvalidQuorumSystemException(
          system,
          Property.AVAILABILITY,
          List.of(down),
          String.format(
              "availability under f=%d failures fails: with servers %s down (%d of at most f)"
                  + " only %d are left, fewer than a quorum of %d (needs n - f >= q, i.e. n >= 3f"
                  + " + t = %d)",
              f, down, down.cardinality(), q - 1, q, 3 * f + system.t()));
    }
    int need = f + system.t();
    if (intersection && 2 * q - n < need) {
      BitSet first = new BitSet(n);
      first.set(0, q);
      BitSet second = new BitSet(n);
      second.set(n - q, n);
      BitSet common = (BitSet) first.clone();
      common.and(second);
      throw new InvalidQuorumSystemException(
          system,
          Property.INTERSECTION,
          List.of(first, second),
          String.format(
              "intersection fails: quorums %s and %s share %d servers, fewer than f + t = %d"
                  + " (needs 2q - n >= f + t)",
              first, second, common.cardinality(), need));
    }
  }

  // ------------------------------------------------------------------------------ grids

  private static void verifyGrid(GridQuorumSystem grid, int allPairsLimit, boolean intersection)
      throws InvalidQuorumSystemException {
    long count = grid.minimalQuorumCount();
    if (count > ENUMERATION_LIMIT) {
      throw new InvalidQuorumSystemException(
          grid,
          Property.TOO_LARGE_TO_CHECK,
          List.of(),
          String.format(
              "it has %d minimal quorums, more than the %d that can be checked exhaustively at"
                  + " start-up",
              count, ENUMERATION_LIMIT));
    }
    long[] masks = grid.minimalQuorums(ENUMERATION_LIMIT);
    checkAvailability(grid, masks);
    if (intersection) {
      checkIntersection(grid, masks, count <= allPairsLimit);
    }
  }

  private static void checkIntersection(GridQuorumSystem grid, long[] masks, boolean allPairs)
      throws InvalidQuorumSystemException {
    int words = ServerSets.words(grid.n());
    int count = masks.length / words;
    int need = grid.f() + grid.t();
    int firstLimit = allPairs ? count : 1;
    for (int i = 0; i < firstLimit; i++) {
      int j = firstSmallIntersection(masks, words, i, need);
      if (j >= 0) {
        BitSet first = ServerSets.toBitSet(masks, i * words, words);
        BitSet second = ServerSets.toBitSet(masks, j * words, words);
        BitSet common = (BitSet) first.clone();
        common.and(second);
        throw new InvalidQuorumSystemException(
            grid,
            Property.INTERSECTION,
            List.of(first, second),
            String.format(
                "intersection fails: quorums %s (%s) and %s (%s) share %d servers, fewer than"
                    + " f + t = %d",
                first, grid.shape(first), second, grid.shape(second), common.cardinality(), need));
      }
    }
  }

  /**
   * The first {@code j >= i} whose quorum shares fewer than {@code need} servers with quorum {@code
   * i}, or -1. The inner loop of the all-pairs check (10^8 pairs at 10x10), hence the special cases
   * for one and two words.
   */
  private static int firstSmallIntersection(long[] masks, int words, int i, int need) {
    int count = masks.length / words;
    if (words == 1) {
      long a = masks[i];
      for (int j = i; j < count; j++) {
        if (Long.bitCount(a & masks[j]) < need) {
          return j;
        }
      }
    } else if (words == 2) {
      long a0 = masks[2 * i];
      long a1 = masks[2 * i + 1];
      for (int j = i; j < count; j++) {
        if (Long.bitCount(a0 & masks[2 * j]) + Long.bitCount(a1 & masks[2 * j + 1]) < need) {
          return j;
        }
      }
    } else {
      int a = i * words;
      for (int j = i; j < count; j++) {
        int b = j * words;
        int common = 0;
        for (int w = 0; w < words; w++) {
          common += Long.bitCount(masks[a + w] & masks[b + w]);
        }
        if (common < need) {
          return j;
        }
      }
    }
    return -1;
  }

  private static void checkAvailability(GridQuorumSystem grid, long[] masks)
      throws InvalidQuorumSystemException {
    HittingSetSearch search = new HittingSetSearch(grid, masks);
    int[] alive = new int[masks.length / search.words];
    for (int i = 0; i < alive.length; i++) {
      alive[i] = i;
    }
    if (search.find(0, alive, alive.length)) {
      BitSet down = new BitSet(grid.n());
      for (int i = 0; i < search.depthFound; i++) {
        down.set(search.failed[i]);
      }
      throw new InvalidQuorumSystemException(
          grid,
          Property.AVAILABILITY,
          List.of(down),
          String.format(
              "availability under f=%d failures fails: with %s down (%d of at most f) no quorum"
                  + " survives (a quorum needs %s and %s)",
              grid.f(),
              grid.positions(down),
              down.cardinality(),
              plural(grid.rowsNeeded(), "full row"),
              plural(grid.colsNeeded(), "full column")));
    }
  }

  private static String plural(int count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }

  /**
   * Searches for at most f servers that meet every minimal quorum; see the class comment for the
   * two reductions. Not thread-safe: one per check.
   */
  private static final class HittingSetSearch {
    final long[] masks;
    final int words;
    final int side;
    final int budget;
    final int[] rowFailures;
    final int[] colFailures;
    final int[] failed;
    int depthFound = -1;

    HittingSetSearch(GridQuorumSystem grid, long[] masks) {
      this.masks = masks;
      this.words = ServerSets.words(grid.n());
      this.side = grid.side();
      this.budget = grid.f();
      this.rowFailures = new int[side];
      this.colFailures = new int[side];
      this.failed = new int[budget];
    }

    /** True, with {@code failed[0 .. depthFound)} set, if the failures so far can be completed. */
    boolean find(int depth, int[] alive, int aliveCount) {
      if (aliveCount == 0) {
        depthFound = depth;
        return true;
      }
      if (depth == budget) {
        return false;
      }
      for (int server : candidates(alive, aliveCount)) {
        int row = server / side;
        int col = server % side;
        failed[depth] = server;
        rowFailures[row]++;
        colFailures[col]++;
        int[] next = new int[aliveCount];
        int nextCount = 0;
        for (int i = 0; i < aliveCount; i++) {
          if (!contains(alive[i], server)) {
            next[nextCount++] = alive[i];
          }
        }
        if (find(depth + 1, next, nextCount)) {
          return true;
        }
        rowFailures[row]--;
        colFailures[col]--;
      }
      return false;
    }

    /**
     * Servers of the first alive quorum, one per orbit of the permutations that fix the failed rows
     * and columns, minus those dominated by another candidate.
     */
    private List<Integer> candidates(int[] alive, int aliveCount) {
      int quorum = alive[0];
      boolean[] orbitSeen = new boolean[(side + 1) * (side + 1)];
      List<Integer> representatives = new ArrayList<>();
      for (int w = 0; w < words; w++) {
        long bits = masks[quorum * words + w];
        while (bits != 0) {
          int server = w * 64 + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          int row = server / side;
          int col = server % side;
          int rowKey = rowFailures[row] > 0 ? row : side;
          int colKey = colFailures[col] > 0 ? col : side;
          int orbit = rowKey * (side + 1) + colKey;
          if (!orbitSeen[orbit]) {
            orbitSeen[orbit] = true;
            representatives.add(server);
          }
        }
      }
      // through[k]: which alive quorums (by position in alive) contain representative k
      int setWords = (aliveCount + 63) >>> 6;
      long[][] through = new long[representatives.size()][setWords];
      for (int k = 0; k < representatives.size(); k++) {
        int server = representatives.get(k);
        for (int i = 0; i < aliveCount; i++) {
          if (contains(alive[i], server)) {
            through[k][i >>> 6] |= 1L << i;
          }
        }
      }
      List<Integer> kept = new ArrayList<>();
      for (int k = 0; k < representatives.size(); k++) {
        boolean dominated = false;
        for (int other = 0; other < representatives.size() && !dominated; other++) {
          if (other != k
              && subset(through[k], through[other])
              && (other < k || !subset(through[other], through[k]))) {
            dominated = true;
          }
        }
        if (!dominated) {
          kept.add(representatives.get(k));
        }
      }
      return kept;
    }

    private boolean contains(int quorum, int server) {
      return (masks[quorum * words + (server >>> 6)] & (1L << server)) != 0;
    }

    private static boolean subset(long[] small, long[] large) {
      for (int w = 0; w < small.length; w++) {
        if ((small[w] & ~large[w]) != 0) {
          return false;
        }
      }
      return true;
    }
  }
}
