package dev.meridian.keystore.quorum;

import java.util.Locale;

/**
 * Prints, as Markdown, what each quorum system buys at the sizes the key service is meant for: the
 * largest f that {@link QuorumCheck} accepts, the quorum size and the load there; then the loads of
 * the three kinds side by side at a common f.
 *
 * <p>Every figure is computed (each row runs the exhaustive check), so the table cannot drift from
 * the code; a kind with no valid f at some n prints "none", and a system that fails the check
 * prints "invalid" in the second table. Pure computation, no I/O but the printing; well under a
 * second.
 */
public final class QuorumTable {

  /** The system sizes in the table. */
  static final int[] SIZES = {9, 16, 25, 49, 100};

  private QuorumTable() {}

  /** Prints {@link #markdown()}. */
  public static void main(String[] args) {
    System.out.print(markdown());
  }

  /** The two tables, in Markdown, ending with a newline. */
  public static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("| n | kind | largest f | quorum size | load |\n");
    out.append("|---:|---|---:|---:|---:|\n");
    for (int n : SIZES) {
      for (QuorumSystem.Kind kind : QuorumSystem.Kind.values()) {
        int f = QuorumSystems.largestF(kind, n);
        if (f < 0) {
          out.append(String.format(Locale.ROOT, "| %d | %s | none | - | - |%n", n, kind.label()));
          continue;
        }
        QuorumSystem system = QuorumSystems.of(kind, n, f);
        out.append(
            String.format(
                Locale.ROOT,
                "| %d | %s | %d | %d | %.2f |%n",
                n,
                kind.label(),
                f,
                system.quorumSize(),
                system.load()));
      }
    }
    out.append('\n');
    out.append("Load at a common f (the largest f grid-cr allows at that n, and f = 1):\n\n");
    out.append("| n | f | grid-cr | grid-mg | threshold |\n");
    out.append("|---:|---:|---:|---:|---:|\n");
    for (int n : SIZES) {
      int common = QuorumSystems.largestF(QuorumSystem.Kind.GRID_CR, n);
      for (int f : common > 1 ? new int[] {1, common} : new int[] {common}) {
        out.append(String.format(Locale.ROOT, "| %d | %d |", n, f));
        for (QuorumSystem.Kind kind : QuorumSystem.Kind.values()) {
          out.append(' ').append(loadIfValid(kind, n, f)).append(" |");
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  private static String loadIfValid(QuorumSystem.Kind kind, int n, int f) {
    try {
      QuorumSystem system = QuorumSystems.of(kind, n, f);
      QuorumCheck.verify(system);
      return String.format(Locale.ROOT, "%.2f", system.load());
    } catch (IllegalArgumentException | InvalidQuorumSystemException invalid) {
      return "invalid";
    }
  }
}
