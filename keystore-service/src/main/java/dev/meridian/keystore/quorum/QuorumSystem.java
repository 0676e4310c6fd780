package dev.meridian.keystore.quorum;

import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * A Byzantine quorum system over servers {@code 0 .. n-1}, sized for up to {@code f} Byzantine
 * servers that may withhold or replay (but, records being signed, not forge) data.
 *
 * <p><b>Guarantee</b>, when {@link QuorumCheck#verify} accepts the instance: any two quorums (a
 * write quorum and a read quorum) share at least {@code f + t = 2f + 1} servers, so a reader meets
 * at least {@code t = f + 1} correct servers that hold the last completed write; and with any
 * {@code f} servers down, some quorum is still made of live servers. An instance that fails the
 * check is still a well-formed object (so it can be described and its failure reported), but the
 * key service must refuse to run on it.
 *
 * <p>Servers of a grid kind ({@code n = s*s}) are laid out row by row: server {@code i} sits at row
 * {@code i / s}, column {@code i % s}.
 *
 * <p><b>Failure model of the methods</b>: implementations are immutable and thread-safe. Every
 * method that takes a set of servers throws {@link NullPointerException} for {@code null} and
 * {@link IllegalArgumentException} if the set holds an index {@code >= n} (a caller's bug, never
 * silently ignored). Callers' {@code BitSet}s are neither kept nor modified; returned sets are
 * fresh.
 *
 * <p>On load (computed by {@link QuorumTable}): the grids' load falls as {@code O(1/sqrt n)} only
 * for a fixed {@code f}. At f = 1 grid CR is lighter than threshold from n = 25 on (0.28 against
 * 0.52 at n = 100); at the largest f grid CR allows, threshold is as light or lighter up to n = 25
 * and grid MG is the lightest from n = 49 on. Below about n = 49 the grids buy no load advantage
 * worth their much smaller f (at n = 100 threshold tolerates f = 24, grid MG 7, grid CR 4).
 */
public interface QuorumSystem {

  /** The three constructions of DESIGN.md, "Key service: threat model and math". */
  enum Kind {
    /** One full column plus {@code r = ceil((f+t)/2)} full rows of an {@code s x s} grid. */
    GRID_CR,
    /** {@code c} full rows plus {@code c} full columns, {@code c = ceil(sqrt((f+t)/2))}. */
    GRID_MG,
    /** Any {@code ceil((n+f+t)/2)} servers. */
    THRESHOLD;

    /**
     * The name used in configuration and logs: {@code grid-cr}, {@code grid-mg}, {@code threshold}.
     */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The kind whose {@link #label()} is {@code label} (case-insensitive; {@code _} is accepted for
     * {@code -}).
     *
     * @throws IllegalArgumentException naming the label and the accepted ones
     */
    public static Kind fromLabel(String label) {
      String wanted = label.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      for (Kind kind : values()) {
        if (kind.label().equals(wanted)) {
          return kind;
        }
      }
      throw new IllegalArgumentException(
          "unknown quorum system kind '" + label + "', expected grid-cr, grid-mg or threshold");
    }
  }

  /** Which construction this is. */
  Kind kind();

  /** The number of servers, {@code >= 1}. */
  int n();

  /** The number of Byzantine servers tolerated, {@code >= 0}. */
  int f();

  /** The secret-sharing threshold: always {@code f + 1}. */
  default int t() {
    return f() + 1;
  }

  /**
   * Whether {@code servers} (indexes) contain at least one quorum.
   *
   * @throws IllegalArgumentException if {@code servers} holds an index {@code >= n}
   */
  boolean containsQuorum(BitSet servers);

  /** Size of the smallest quorum. */
  int quorumSize();

  /**
   * The load: the minimum over strategies of the busiest server's access probability. For the grids
   * it is computed for the uniform strategy over all minimal quorums (the fraction of them a server
   * is in, maximised over servers; all servers are alike, so it is {@code quorumSize / n}); for
   * threshold it is {@code q / n}.
   */
  double load();

  /**
   * A smallest quorum inside {@code available}, chosen to spread load: {@code rotation} (any int,
   * e.g. a counter; it is read as unsigned, so one that overflows past {@code Integer.MAX_VALUE}
   * keeps rotating) picks deterministically among the candidates. Over a cycle of consecutive
   * rotations the candidates take turns evenly: every available server of a threshold system, and
   * every full row and column of a grid's available servers, is used equally often. Empty if {@code
   * available} contains no quorum.
   *
   * @throws IllegalArgumentException if {@code available} holds an index {@code >= n}
   */
  Optional<BitSet> pickQuorum(BitSet available, int rotation);

  /** Human-readable, e.g. {@code "grid-cr n=9 (3x3) f=1 t=2 r=2 quorum=7 load=0.78"}. */
  String describe();
}
