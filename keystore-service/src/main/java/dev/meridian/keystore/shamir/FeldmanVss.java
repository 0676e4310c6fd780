package dev.meridian.keystore.shamir;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Feldman's verifiable secret sharing (Feldman 1987) over Z_q, q the order of the secp256k1 group
 * (generator G): Shamir's threshold scheme plus public commitments that let each shareholder
 * check its share without learning anything else.
 *
 * <p>To deal a secret s with threshold t among x-coordinates x_1 … x_n (distinct, &ge; 1: the
 * servers' 1-based indexes), the dealer draws a polynomial f(x) = s + a_1·x + … +
 * a_(t-1)·x^(t-1) with coefficients uniform in [0, q) (zero allowed), gives server i the share
 * (x_i, f(x_i)), and publishes C_j = a_j·G.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Correctness: any t shares of a dealing determine f, hence s ({@link #reconstruct}) and
 *       every other share ({@link #interpolate}).
 *   <li>Secrecy: any t-1 shares are consistent with every secret — for each candidate secret
 *       there is exactly one polynomial through it and the t-1 points, so the shares are
 *       equally likely under every secret. The commitments reveal s·G, which hides s only
 *       computationally; the key service shares uniformly random data keys, for which that is
 *       the usual Feldman trade-off.
 *   <li>Verifiability: {@link #verify} accepts a share iff y·G = Σ_j x^j·C_j, which a share that
 *       is not f(x) cannot satisfy (the map y ↦ y·G is injective on [0, q)).
 * </ul>
 *
 * <p>Failure model: bad arguments (a threshold out of range, too few shares, a duplicate or
 * non-positive x-coordinate) throw {@link IllegalArgumentException} with a message naming the
 * problem — they are never turned into garbage results. {@link #verify} returns {@code false}
 * for a share that does not verify, never an exception. {@link #reconstruct} and {@link
 * #interpolate} do not verify shares: callers verify first. A destroyed share or secret given
 * to any method throws {@link IllegalStateException}.
 *
 * <p>Secret values are computed in constant time with fixed-width limbs (see {@code ModQ} for
 * the approach and its limits on the JVM); public ones (x-coordinates, Lagrange coefficients)
 * with {@link BigInteger}. Thread-safe and stateless.
 */
public final class FeldmanVss {
  private static final FeldmanVss SECP256K1 = new FeldmanVss();

  private FeldmanVss() {}

  /** The instance over secp256k1. */
  public static FeldmanVss secp256k1() {
    return SECP256K1;
  }

  /** q, the order of the group and the modulus of every scalar. */
  public BigInteger order() {
    return ModQ.Q;
  }

  /**
   * Deals a fresh uniformly random secret s in Z_q (the data key source) among the given
   * x-coordinates with threshold t: random polynomial of degree t-1 (coefficients uniform in
   * [0, q), zero allowed), commitments C_j = a_j·G.
   *
   * @param threshold t, the number of shares that reconstruct: 1 … min(xs.size(), 255)
   * @param xs distinct x-coordinates &ge; 1, one share each, in this order
   * @throws IllegalArgumentException naming the problem with the threshold or an x-coordinate
   */
  public Dealing deal(int threshold, List<Integer> xs, SecureRandom random) {
    Objects.requireNonNull(random, "random");
    SecretScalar secret = SecretScalar.random(random);
    try {
      return deal(secret, threshold, xs, random);
    } finally {
      secret.destroy();
    }
  }

  /**
   * As {@link #deal(int, List, SecureRandom)} for a given secret: tests, and the zero-secret
   * dealings of a proactive refresh ({@link SecretScalar#zero()}). The dealing holds a copy of
   * the secret; the caller still owns {@code secret}. The coefficients a_1 … a_(t-1) are drawn
   * from {@code random} in that order, 32 bytes at a time.
   */
  public Dealing deal(SecretScalar secret, int threshold, List<Integer> xs,
      SecureRandom random) {
    return deal(secret, threshold, xs, 0, random);
  }

  /**
   * As {@link #deal(SecretScalar, int, List, SecureRandom)}, with shares of the given epoch (for
   * {@link ShareRefresh} and {@link Resharing}, which label what they deal with the epoch they
   * move on from). The caller checked {@code epoch >= 0}.
   */
  Dealing deal(SecretScalar secret, int threshold, List<Integer> xs, long epoch,
      SecureRandom random) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(random, "random");
    int[] x = checkDeal(threshold, xs);
    int[][] a = new int[threshold][];
    try {
      a[0] = secret.limbs().clone();
      for (int j = 1; j < threshold; j++) {
        a[j] = ModQ.random(random);
      }
      ECPoint[] c = new ECPoint[threshold];
      for (int j = 0; j < threshold; j++) {
        c[j] = Secp256k1.multiplyBase(a[j]);
      }
      List<Share> shares = new ArrayList<>(x.length);
      for (int xi : x) {
        shares.add(Share.ofLimbs(xi, epoch, evaluate(a, xi)));
      }
      return new Dealing(SecretScalar.ofLimbs(a[0].clone()), Commitments.of(c), shares);
    } finally {
      for (int[] coefficient : a) {
        if (coefficient != null) {
          Arrays.fill(coefficient, 0);
        }
      }
    }
  }

  /** f(x) by Horner's rule, in constant time in the coefficients. */
  private static int[] evaluate(int[][] a, int x) {
    int[] xMont = ModQ.montConstant(BigInteger.valueOf(x));
    int[] y = a[a.length - 1].clone();
    for (int j = a.length - 2; j >= 0; j--) {
      ModQ.mulMont(y, xMont, y);
      ModQ.add(y, a[j], y);
    }
    return y;
  }

  /**
   * Whether y·G == Σ_j x^j·C_j for the share (x, y): true exactly when y = f(x) for the
   * polynomial the commitments commit to. False, never an exception, for a share that does not
   * verify (wrong y, wrong x, another dealing's commitments).
   *
   * <p>Cost: one fixed-base comb multiplication for y·G (constant-time table lookups: y is the
   * holder's secret) and, for the right side, Horner's rule on the points with the small public
   * x — a handful of point doublings and additions per commitment.
   *
   * @throws IllegalStateException if the share was destroyed
   */
  public boolean verify(Share share, Commitments commitments) {
    Objects.requireNonNull(share, "share");
    Objects.requireNonNull(commitments, "commitments");
    ECPoint left = Secp256k1.multiplyBase(share.limbs());
    return left.equals(commitments.evaluate(share.x()));
  }

  /**
   * Lagrange interpolation at 0 from the first {@code threshold} of the given shares (any further
   * ones are ignored, but must not repeat an x-coordinate either). Does not verify the shares:
   * callers verify first; from wrong shares this returns a wrong secret.
   *
   * @throws IllegalArgumentException if fewer than {@code threshold} shares are given, the
   *     threshold is &lt; 1, two shares have the same x-coordinate (the message names it), or
   *     two shares are of different epochs (the message names both: a refresh in between put
   *     them on different polynomials, and together they would give a wrong secret)
   * @throws IllegalStateException if one of the shares used was destroyed
   */
  public SecretScalar reconstruct(List<Share> shares, int threshold) {
    int[] xs = checkShares(shares, threshold, "reconstruct the secret");
    return SecretScalar.ofLimbs(combine(shares, lagrange(xs, 0)));
  }

  /**
   * The share at {@code x} of the polynomial through the first {@code threshold} of the given
   * shares: a reader recomputes a server's missing or bad share this way to write it back. If
   * {@code x} is one of the shares' own x-coordinates the result equals that share. The result
   * is of the shares' epoch.
   *
   * @throws IllegalArgumentException as {@link #reconstruct}, and if {@code x < 1} (x = 0 would
   *     hand out the secret itself as a share)
   * @throws IllegalStateException if one of the shares used was destroyed
   */
  public Share interpolate(List<Share> shares, int threshold, int x) {
    if (x == 0) {
      throw new IllegalArgumentException("cannot interpolate a share at x=0: that is the secret"
          + " itself; x must be >= 1");
    }
    if (x < 0) {
      throw new IllegalArgumentException("x-coordinate " + x + " out of range: must be >= 1");
    }
    int[] xs = checkShares(shares, threshold, "interpolate a share");
    return Share.ofLimbs(x, shares.get(0).epoch(), combine(shares, lagrange(xs, x)));
  }

  /** Σ_i λ_i·y_i mod q over the first lambdas.length shares, in constant time in the y's. */
  static int[] combine(List<Share> shares, int[][] lambdaMont) {
    int[] sum = new int[ModQ.LIMBS];
    int[] term = new int[ModQ.LIMBS];
    for (int i = 0; i < lambdaMont.length; i++) {
      ModQ.mulMont(shares.get(i).limbs(), lambdaMont[i], term);
      ModQ.add(sum, term, sum);
    }
    Arrays.fill(term, 0);
    return sum;
  }

  /** {@link #lagrangeCoefficients} in Montgomery form, to multiply secrets by. */
  static int[][] lagrange(int[] xs, int at) {
    BigInteger[] lambdas = lagrangeCoefficients(xs, at);
    int[][] mont = new int[lambdas.length][];
    for (int i = 0; i < lambdas.length; i++) {
      mont[i] = ModQ.montConstant(lambdas[i]);
    }
    return mont;
  }

  /**
   * The Lagrange coefficients at {@code at} for the distinct x's, λ_i = Π_(j≠i) (at - x_j) /
   * (x_i - x_j) mod q. Public values: BigInteger is fine. One modular inversion for all t
   * denominators (Montgomery's trick: invert their product, then peel each one off with the
   * products of the others).
   */
  static BigInteger[] lagrangeCoefficients(int[] xs, int at) {
    BigInteger q = ModQ.Q;
    int t = xs.length;
    BigInteger[] numerators = new BigInteger[t];
    BigInteger[] denominators = new BigInteger[t];
    for (int i = 0; i < t; i++) {
      BigInteger numerator = BigInteger.ONE;
      BigInteger denominator = BigInteger.ONE;
      for (int j = 0; j < t; j++) {
        if (j != i) {
          numerator = numerator.multiply(BigInteger.valueOf((long) at - xs[j])).mod(q);
          denominator = denominator.multiply(BigInteger.valueOf((long) xs[i] - xs[j])).mod(q);
        }
      }
      numerators[i] = numerator;
      denominators[i] = denominator;
    }
    // prefix[i] = d_0 ... d_(i-1); then walk back down with the inverse of the running product.
    BigInteger[] prefix = new BigInteger[t + 1];
    prefix[0] = BigInteger.ONE;
    for (int i = 0; i < t; i++) {
      prefix[i + 1] = prefix[i].multiply(denominators[i]).mod(q);
    }
    BigInteger inverse = prefix[t].modInverse(q); // (d_0 ... d_(t-1))^-1
    BigInteger[] lambdas = new BigInteger[t];
    for (int i = t - 1; i >= 0; i--) {
      BigInteger inverseOfDi = inverse.multiply(prefix[i]).mod(q);
      inverse = inverse.multiply(denominators[i]).mod(q); // now (d_0 ... d_(i-1))^-1
      lambdas[i] = numerators[i].multiply(inverseOfDi).mod(q);
    }
    return lambdas;
  }

  /** Checks a threshold and x-coordinates to deal to, and returns the x-coordinates. */
  static int[] checkDeal(int threshold, List<Integer> xs) {
    Objects.requireNonNull(xs, "xs");
    checkThreshold(threshold);
    if (threshold > Commitments.MAX_THRESHOLD) {
      throw new IllegalArgumentException("threshold " + threshold + " exceeds "
          + Commitments.MAX_THRESHOLD + ", the most the commitments encoding holds");
    }
    if (xs.size() < threshold) {
      throw new IllegalArgumentException("threshold " + threshold + " exceeds the number of"
          + " x-coordinates (" + xs.size() + "): the secret could never be reconstructed");
    }
    int[] x = new int[xs.size()];
    Map<Integer, Integer> seen = new HashMap<>();
    for (int i = 0; i < x.length; i++) {
      Integer xi = xs.get(i);
      if (xi == null) {
        throw new IllegalArgumentException("x-coordinate at position " + i + " is null");
      }
      x[i] = checkX(xi, i, seen);
    }
    return x;
  }

  /** Checks the shares and returns the x-coordinates of the first {@code threshold}. */
  private static int[] checkShares(List<Share> shares, int threshold, String what) {
    Objects.requireNonNull(shares, "shares");
    checkThreshold(threshold);
    if (shares.size() < threshold) {
      throw new IllegalArgumentException("too few shares to " + what + ": threshold "
          + threshold + " needs " + threshold + ", got " + shares.size());
    }
    Map<Integer, Integer> seen = new HashMap<>();
    int[] xs = new int[threshold];
    for (int i = 0; i < shares.size(); i++) {
      Share share = shares.get(i);
      if (share == null) {
        throw new IllegalArgumentException("share at position " + i + " is null");
      }
      Share first = shares.get(0);
      if (share.epoch() != first.epoch()) {
        throw new IllegalArgumentException("cannot " + what + " from shares of different epochs:"
            + " share x=" + first.x() + " (position 0) is of epoch " + first.epoch()
            + ", share x=" + share.x() + " (position " + i + ") of epoch " + share.epoch()
            + "; a refresh between the epochs put them on different polynomials");
      }
      int x = checkX(share.x(), i, seen);
      if (i < threshold) {
        xs[i] = x;
      }
    }
    return xs;
  }

  private static int checkX(int x, int position, Map<Integer, Integer> seen) {
    if (x == 0) {
      throw new IllegalArgumentException("x-coordinate 0 at position " + position
          + ": the share at x=0 would be the secret itself; x must be >= 1");
    }
    if (x < 0) {
      throw new IllegalArgumentException("x-coordinate " + x + " at position " + position
          + " out of range: must be >= 1");
    }
    Integer before = seen.putIfAbsent(x, position);
    if (before != null) {
      throw new IllegalArgumentException("duplicate x-coordinate " + x + " at positions "
          + before + " and " + position);
    }
    return x;
  }

  private static void checkThreshold(int threshold) {
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be >= 1, got " + threshold);
    }
  }
}
