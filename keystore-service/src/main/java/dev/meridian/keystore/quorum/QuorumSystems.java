package dev.meridian.keystore.quorum;

import java.util.Objects;

/**
 * Factories for the three quorum systems of DESIGN.md, with {@code t = f + 1}.
 *
 * <p>A factory rejects parameters for which the construction does not exist ({@code n < 1}, {@code
 * f < 0}, a grid whose {@code n} is not a perfect square, or an {@code f} so large that a quorum
 * would need more rows, columns or servers than there are) with an {@link IllegalArgumentException}
 * naming the value and the allowed range. Whether a constructed system really has the intersection
 * and availability properties is {@link QuorumCheck}'s job: {@code gridCr(9, 2)} constructs, and
 * {@code QuorumCheck.verify} then refuses it.
 */
public final class QuorumSystems {

  private QuorumSystems() {}

  /**
   * Grid CR: one full column plus {@code r = ceil((f+t)/2)} full rows of an {@code s x s} grid,
   * {@code n = s*s}; quorum size {@code (r+1)s - r}. Valid when {@code s >= f + r}.
   *
   * @throws IllegalArgumentException if {@code n < 1}, {@code n} is not a perfect square, {@code f
   *     < 0} or {@code r > s}
   */
  public static QuorumSystem gridCr(int n, int f) {
    int side = side(QuorumSystem.Kind.GRID_CR, n);
    checkF(f);
    long r = ((long) f + f + 1 + 1) / 2;
    if (r > side) {
      throw new IllegalArgumentException(
          String.format(
              "f=%d is out of range for grid-cr n=%d (%dx%d): r = ceil((f+t)/2) = %d full rows do"
                  + " not fit in %d rows; the construction exists for f in 0..%d",
              f, n, side, side, r, side, side - 1));
    }
    return new GridQuorumSystem(QuorumSystem.Kind.GRID_CR, side, f, (int) r, 1);
  }

  /**
   * Grid MG: {@code c} full rows plus {@code c} full columns, {@code c = ceil(sqrt((f+t)/2))} (the
   * least c with {@code 2c² >= f+t}); quorum size {@code 2cs - c²}. Valid when {@code s >= f + c}.
   *
   * @throws IllegalArgumentException if {@code n < 1}, {@code n} is not a perfect square, {@code f
   *     < 0} or {@code c > s}
   */
  public static QuorumSystem gridMg(int n, int f) {
    int side = side(QuorumSystem.Kind.GRID_MG, n);
    checkF(f);
    long c = mgLines(f);
    if (c > side) {
      throw new IllegalArgumentException(
          String.format(
              "f=%d is out of range for grid-mg n=%d (%dx%d): c = ceil(sqrt((f+t)/2)) = %d full"
                  + " rows and columns do not fit in %d; the construction exists for f in 0..%d",
              f, n, side, side, c, side, n - 1));
    }
    return new GridQuorumSystem(QuorumSystem.Kind.GRID_MG, side, f, (int) c, (int) c);
  }

  /**
   * Threshold: every set of {@code q = ceil((n+f+t)/2)} servers is a quorum. Valid when {@code n >=
   * 3f + t}.
   *
   * @throws IllegalArgumentException if {@code n < 1}, {@code f < 0} or {@code q > n}
   */
  public static QuorumSystem threshold(int n, int f) {
    checkN(QuorumSystem.Kind.THRESHOLD, n);
    checkF(f);
    long q = ThresholdQuorumSystem.quorumSizeFor(n, f);
    if (q > n) {
      throw new IllegalArgumentException(
          String.format(
              "f=%d is out of range for threshold n=%d: a quorum of ceil((n+f+t)/2) = %d servers"
                  + " exceeds n; the construction exists for f in 0..%d",
              f, n, q, (n - 1) / 2));
    }
    return new ThresholdQuorumSystem(n, f);
  }

  /**
   * The system of {@code kind} for {@code n} and {@code f}.
   *
   * @throws IllegalArgumentException as the kind's own factory
   */
  public static QuorumSystem of(QuorumSystem.Kind kind, int n, int f) {
    Objects.requireNonNull(kind, "kind");
    switch (kind) {
      case GRID_CR:
        return gridCr(n, f);
      case GRID_MG:
        return gridMg(n, f);
      case THRESHOLD:
        return threshold(n, f);
      default:
        throw new AssertionError(kind);
    }
  }

  /**
   * The largest {@code f} for which {@code kind} at {@code n} passes {@link QuorumCheck}, or -1 if
   * none does ({@code f = 0}, i.e. {@code t = 1}, counts).
   *
   * <p>First finds the largest {@code f} whose system survives {@code f} failures, trying {@code f
   * = 0, 1, ...} and stopping at the first that does not: every later one fails too, because each
   * construction's quorums only grow with {@code f} (r, c and q never decrease), so the servers
   * whose failure left no quorum still leave none when {@code f + 1} may fail. From there it goes
   * down to the first {@code f} that passes the whole check, intersection included (for the three
   * constructions that is the first one tried). A grid too large to check ({@link
   * InvalidQuorumSystemException.Property#TOO_LARGE_TO_CHECK}) ends the upward search too.
   *
   * @throws IllegalArgumentException if {@code n < 1}, or a grid's {@code n} is not a perfect
   *     square
   */
  public static int largestF(QuorumSystem.Kind kind, int n) {
    Objects.requireNonNull(kind, "kind");
    if (kind == QuorumSystem.Kind.THRESHOLD) {
      checkN(kind, n);
    } else {
      side(kind, n);
    }
    int available = -1;
    for (int f = 0; f < n; f++) {
      QuorumSystem system;
      try {
        system = of(kind, n, f);
      } catch (IllegalArgumentException tooLarge) {
        break; // the construction no longer exists for this f, nor for any larger one
      }
      try {
        QuorumCheck.verifyAvailability(system);
        available = f;
      } catch (InvalidQuorumSystemException e) {
        break;
      }
    }
    for (int f = available; f >= 0; f--) {
      try {
        QuorumCheck.verify(of(kind, n, f));
        return f;
      } catch (InvalidQuorumSystemException e) {
        // intersection fails at this f: try a smaller one
      }
    }
    return -1;
  }

  /** The least {@code c >= 1} with {@code 2c² >= f + t = 2f + 1}. */
  static long mgLines(long f) {
    long c = Math.max(1, (long) Math.sqrt((2.0 * f + 1) / 2) - 1);
    while (2 * c * c < 2 * f + 1) {
      c++;
    }
    return c;
  }

  private static void checkN(QuorumSystem.Kind kind, int n) {
    if (n < 1) {
      throw new IllegalArgumentException(
          "n=" + n + " is out of range for " + kind.label() + ", need n >= 1");
    }
  }

  private static void checkF(int f) {
    if (f < 0) {
      throw new IllegalArgumentException("f=" + f + " is out of range, need f >= 0");
    }
  }

  /** The side s of a grid with {@code n = s*s} servers. */
  private static int side(QuorumSystem.Kind kind, int n) {
    checkN(kind, n);
    int side = (int) Math.round(Math.sqrt(n));
    if ((long) side * side != n) {
      int below = (int) Math.floor(Math.sqrt(n));
      throw new IllegalArgumentException(
          String.format(
              "n=%d is not a perfect square, but %s lays servers on an s x s grid (n = s*s);"
                  + " nearest allowed n are %d and %d",
              n, kind.label(), below * below, (below + 1) * (below + 1)));
    }
    return side;
  }
}
