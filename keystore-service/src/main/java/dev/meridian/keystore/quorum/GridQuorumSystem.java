package dev.meridian.keystore.quorum;

import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * The two grid kinds as one shape: a quorum is {@code rowsNeeded} full rows plus {@code colsNeeded}
 * full columns of an {@code s x s} grid. Grid CR is (r rows, 1 column), grid MG is (c rows, c
 * columns). Server {@code i} sits at row {@code i / s}, column {@code i % s}.
 *
 * <p>Immutable and thread-safe. The factories in {@link QuorumSystems} guarantee {@code 1 <=
 * rowsNeeded, colsNeeded <= s}, so at least one quorum (the whole grid) exists.
 */
final class GridQuorumSystem implements QuorumSystem {

  private final Kind kind;
  private final int side;
  private final int f;
  private final int rowsNeeded;
  private final int colsNeeded;

  GridQuorumSystem(Kind kind, int side, int f, int rowsNeeded, int colsNeeded) {
    if (kind == Kind.THRESHOLD) {
      throw new IllegalArgumentException("a grid system cannot be of kind " + kind.label());
    }
    if (side < 1 || rowsNeeded < 1 || rowsNeeded > side || colsNeeded < 1 || colsNeeded > side) {
      throw new IllegalArgumentException(
          "grid needs 1 <= rows, columns <= side, got side="
              + side
              + " rows="
              + rowsNeeded
              + " columns="
              + colsNeeded);
    }
    this.kind = kind;
    this.side = side;
    this.f = f;
    this.rowsNeeded = rowsNeeded;
    this.colsNeeded = colsNeeded;
  }

  @Override
  public Kind kind() {
    return kind;
  }

  @Override
  public int n() {
    return side * side;
  }

  @Override
  public int f() {
    return f;
  }

  /** The grid's side {@code s}, {@code n = s*s}. */
  int side() {
    return side;
  }

  /** Full rows in every minimal quorum: r for CR, c for MG. */
  int rowsNeeded() {
    return rowsNeeded;
  }

  /** Full columns in every minimal quorum: 1 for CR, c for MG. */
  int colsNeeded() {
    return colsNeeded;
  }

  @Override
  public boolean containsQuorum(BitSet servers) {
    ServerSets.checkRange(servers, n(), "servers");
    return fullRows(servers).cardinality() >= rowsNeeded
        && fullColumns(servers).cardinality() >= colsNeeded;
  }

  @Override
  public int quorumSize() {
    return (rowsNeeded + colsNeeded) * side - rowsNeeded * colsNeeded;
  }

  @Override
  public double load() {
    // Row and column permutations map minimal quorums onto minimal quorums and act transitively
    // on servers, so every server is in the same fraction of them: quorumSize / n. A test
    // recomputes the fraction by counting.
    return (double) quorumSize() / n();
  }

  /**
   * Candidates are "{@code rowsNeeded} cyclically consecutive full rows of {@code available} plus
   * {@code colsNeeded} cyclically consecutive full columns"; rotation {@code k} (read as unsigned)
   * takes the row window starting at the {@code (k mod R)}-th full row and the column window
   * starting at the {@code ((k / R) mod C)}-th full column, where R and C count the full rows and
   * columns. Over {@code R*C} consecutive rotations every full row is used {@code rowsNeeded*C}
   * times and every full column {@code colsNeeded*R} times. (A subset of all smallest quorums,
   * chosen because windows balance exactly; a caller that needs a different quorum after a failure
   * removes the failed servers from {@code available}.)
   */
  @Override
  public Optional<BitSet> pickQuorum(BitSet available, int rotation) {
    ServerSets.checkRange(available, n(), "available");
    int[] rows = fullRows(available).stream().toArray();
    int[] cols = fullColumns(available).stream().toArray();
    if (rows.length < rowsNeeded || cols.length < colsNeeded) {
      return Optional.empty();
    }
    long k = Integer.toUnsignedLong(rotation) % ((long) rows.length * cols.length);
    int rowStart = (int) (k % rows.length);
    int colStart = (int) (k / rows.length);
    BitSet quorum = new BitSet(n());
    for (int i = 0; i < rowsNeeded; i++) {
      int row = rows[(rowStart + i) % rows.length];
      quorum.set(row * side, (row + 1) * side);
    }
    for (int j = 0; j < colsNeeded; j++) {
      int col = cols[(colStart + j) % cols.length];
      for (int row = 0; row < side; row++) {
        quorum.set(row * side + col);
      }
    }
    return Optional.of(quorum);
  }

  /** The rows all of whose servers are in {@code servers}. */
  BitSet fullRows(BitSet servers) {
    BitSet rows = new BitSet(side);
    for (int row = 0; row < side; row++) {
      if (servers.nextClearBit(row * side) >= (row + 1) * side) {
        rows.set(row);
      }
    }
    return rows;
  }

  /** The columns all of whose servers are in {@code servers}. */
  BitSet fullColumns(BitSet servers) {
    BitSet cols = new BitSet(side);
    for (int col = 0; col < side; col++) {
      boolean full = true;
      for (int row = 0; row < side && full; row++) {
        full = servers.get(row * side + col);
      }
      if (full) {
        cols.set(col);
      }
    }
    return cols;
  }

  /** The number of minimal quorums, saturating at {@link Long#MAX_VALUE}. */
  long minimalQuorumCount() {
    if (rowsNeeded == side || colsNeeded == side) {
      return 1; // every choice covers the whole grid
    }
    long byRows = ServerSets.binomial(side, rowsNeeded);
    long byCols = ServerSets.binomial(side, colsNeeded);
    return byRows > Long.MAX_VALUE / byCols ? Long.MAX_VALUE : byRows * byCols;
  }

  /**
   * Every minimal quorum, each as {@code ServerSets.words(n)} consecutive words of the returned
   * array: for every choice of {@code rowsNeeded} rows (lexicographic) and, inside it, every choice
   * of {@code colsNeeded} columns. They are pairwise distinct, and none contains another: the full
   * rows of such a set are exactly its chosen rows unless it chose every column, and likewise for
   * columns; when {@code rowsNeeded} or {@code colsNeeded} is {@code s} the one quorum is the grid.
   *
   * @throws IllegalStateException if there are more than {@code limit} of them
   */
  long[] minimalQuorums(int limit) {
    long count = minimalQuorumCount();
    if (count > limit) {
      throw new IllegalStateException(count + " minimal quorums exceed the limit " + limit);
    }
    int words = ServerSets.words(n());
    long[] masks = new long[(int) count * words];
    if (count == 1) {
      BitSet all = new BitSet(n());
      all.set(0, n());
      System.arraycopy(ServerSets.toMask(all, words), 0, masks, 0, words);
      return masks;
    }
    long[][] rowMasks = new long[side][words];
    long[][] colMasks = new long[side][words];
    for (int i = 0; i < n(); i++) {
      rowMasks[i / side][i >>> 6] |= 1L << i;
      colMasks[i % side][i >>> 6] |= 1L << i;
    }
    int[] rows = firstCombination(rowsNeeded);
    int next = 0;
    do {
      long[] rowUnion = union(rowMasks, rows, words);
      int[] cols = firstCombination(colsNeeded);
      do {
        long[] colUnion = union(colMasks, cols, words);
        for (int w = 0; w < words; w++) {
          masks[next++] = rowUnion[w] | colUnion[w];
        }
      } while (nextCombination(cols, side));
    } while (nextCombination(rows, side));
    return masks;
  }

  /**
   * How a set of servers reads on this grid, e.g. {@code "rows {0, 2} + columns {1}"}: its full
   * rows and columns. Used in failure messages.
   */
  String shape(BitSet servers) {
    return "rows " + fullRows(servers) + " + columns " + fullColumns(servers);
  }

  /** {@code "row 1 col 2"} for each server. */
  String positions(BitSet servers) {
    StringBuilder out = new StringBuilder();
    servers.stream()
        .forEach(
            i ->
                out.append(out.length() == 0 ? "" : ", ")
                    .append(i)
                    .append(" (row ")
                    .append(i / side)
                    .append(" col ")
                    .append(i % side)
                    .append(')'));
    return "{" + out + "}";
  }

  private static long[] union(long[][] lines, int[] chosen, int words) {
    long[] out = new long[words];
    for (int line : chosen) {
      for (int w = 0; w < words; w++) {
        out[w] |= lines[line][w];
      }
    }
    return out;
  }

  private static int[] firstCombination(int k) {
    int[] combination = new int[k];
    for (int i = 0; i < k; i++) {
      combination[i] = i;
    }
    return combination;
  }

  /**
   * Advances a sorted k-combination of {@code 0..m-1} in lexicographic order; false after the last.
   */
  private static boolean nextCombination(int[] combination, int m) {
    int k = combination.length;
    int i = k - 1;
    while (i >= 0 && combination[i] == m - k + i) {
      i--;
    }
    if (i < 0) {
      return false;
    }
    combination[i]++;
    for (int j = i + 1; j < k; j++) {
      combination[j] = combination[j - 1] + 1;
    }
    return true;
  }

  @Override
  public String describe() {
    String parameter;
    if (kind == Kind.GRID_CR && colsNeeded == 1) {
      parameter = "r=" + rowsNeeded;
    } else if (kind == Kind.GRID_MG && colsNeeded == rowsNeeded) {
      parameter = "c=" + rowsNeeded;
    } else {
      parameter = "rows=" + rowsNeeded + " columns=" + colsNeeded; // only tests build these
    }
    return String.format(
        Locale.ROOT,
        "%s n=%d (%dx%d) f=%d t=%d %s quorum=%d load=%.2f",
        kind.label(),
        n(),
        side,
        side,
        f,
        t(),
        parameter,
        quorumSize(),
        load());
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof GridQuorumSystem g
        && g.kind == kind
        && g.side == side
        && g.f == f
        && g.rowsNeeded == rowsNeeded
        && g.colsNeeded == colsNeeded;
  }

  @Override
  public int hashCode() {
    return ((kind.hashCode() * 31 + side) * 31 + f) * 31 + rowsNeeded * 37 + colsNeeded;
  }

  @Override
  public String toString() {
    return describe();
  }
}
