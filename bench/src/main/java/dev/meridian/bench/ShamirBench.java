package dev.meridian.bench;

import com.codahale.shamir.Scheme;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.shamir.Dealing;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.shamir.SecretScalar;
import dev.meridian.keystore.shamir.Share;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Meridian's Feldman-verifiable Shamir sharing beside {@code com.codahale:shamir} 0.7.0 (plain
 * Shamir over GF(2^8), byte by byte, no verification), for a 32-byte secret at n = 9, t = 5, in
 * one JVM on one thread.
 *
 * <ul>
 *   <li>Meridian, one operation: {@code deal} (5 random coefficients, 5 commitments a_j·G, 9
 *       shares), {@code verify} of all 9 shares against the commitments, {@code reconstruct}
 *       from 5 of them (a different 5-subset each time, all 126 in turn), checked equal.
 *   <li>codahale, one operation: {@code split} into 9 parts, {@code join} of the same 5-subset,
 *       checked equal.
 * </ul>
 *
 * <p>Not the same work: Meridian's operation includes 14 fixed-base scalar multiplications on
 * secp256k1 (the price of verifiability: a server can check its share, a reader every share)
 * where codahale's is table lookups in GF(2^8). The figure says what verifiability costs, not
 * which library is "faster".
 *
 * <p>Method: warm-up alternating the two contenders in 0.5 s slices (2 s each; 0.5 s with
 * {@code quick}), continued while HotSpot's C2 queue is non-empty (at most 5 s more); then 3
 * measured rounds of 2 s per contender (0.5 s with {@code quick}), alternating A B A B A B;
 * reported: the median ops/s and min–max. Then each part alone (Meridian split, verify one
 * share, reconstruct; codahale split, join; Ed25519 sign and verify of a 128-byte message),
 * 1 s warm-up and 3 rounds of 1 s (quarter lengths with {@code quick}). Last line {@code
 * shamir_meridian_ops_per_s=<n> shamir_codahale_ops_per_s=<n> ...}. Both contenders draw from
 * the same kind of {@link SecureRandom} (the platform default).
 */
public final class ShamirBench {
  static final int N = 9;
  static final int T = 5;
  private static final int SECRET_BYTES = 32;
  private static final int ROUNDS = 3;
  private static final int MESSAGE_BYTES = 128;

  private static volatile long sink; // results flow here, so the JIT cannot drop the work

  private ShamirBench() {}

  /** Medians in operations per second. */
  public record Result(double meridianOpsPerSecond, double codahaleOpsPerSecond,
      double meridianSplitPerSecond, double meridianVerifyOnePerSecond,
      double meridianReconstructPerSecond, double codahaleSplitPerSecond,
      double codahaleJoinPerSecond, double ed25519SignPerSecond,
      double ed25519VerifyPerSecond) {

    /** The summary line: {@code key=value} figures, whole operations per second. */
    public String line() {
      return String.format(Locale.ROOT, "shamir_meridian_ops_per_s=%.0f"
          + " shamir_codahale_ops_per_s=%.0f feldman_split_per_s=%.0f feldman_verify_per_s=%.0f"
          + " feldman_reconstruct_per_s=%.0f codahale_split_per_s=%.0f codahale_join_per_s=%.0f"
          + " ed25519_sign_per_s=%.0f ed25519_verify_per_s=%.0f", meridianOpsPerSecond,
          codahaleOpsPerSecond, meridianSplitPerSecond, meridianVerifyOnePerSecond,
          meridianReconstructPerSecond, codahaleSplitPerSecond, codahaleJoinPerSecond,
          ed25519SignPerSecond, ed25519VerifyPerSecond);
    }
  }

  /** One benchmarked operation; returns something derived from its result (for {@link #sink}). */
  @FunctionalInterface
  private interface Op {
    long run(long i);
  }

  /** A contender: its name and its operation. */
  private record Contender(String name, Op op) {}

  /** The measured rates of one contender, ops/s. */
  private record Rates(String name, double[] perSecond) {
    double median() {
      double[] sorted = perSecond.clone();
      Arrays.sort(sorted);
      int n = sorted.length;
      return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    double min() {
      return Arrays.stream(perSecond).min().orElse(Double.NaN);
    }

    double max() {
      return Arrays.stream(perSecond).max().orElse(Double.NaN);
    }
  }

  /**
   * Runs everything and prints one line per figure, the summary line last.
   *
   * @param quick about a quarter of the time, for a smoke run
   */
  public static Result run(PrintStream out, boolean quick) {
    long slice = TimeUnit.MILLISECONDS.toNanos(500);
    long warmUp = TimeUnit.MILLISECONDS.toNanos(quick ? 500 : 2000);
    long round = TimeUnit.MILLISECONDS.toNanos(quick ? 500 : 2000);
    long partWarmUp = TimeUnit.MILLISECONDS.toNanos(quick ? 250 : 1000);
    long partRound = TimeUnit.MILLISECONDS.toNanos(quick ? 250 : 1000);

    SecureRandom random = new SecureRandom();
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    secret[0] &= 0x7F; // below the secp256k1 order, so the same 32 bytes suit both
    Fixture f = new Fixture(secret, random);

    out.printf(Locale.ROOT, "shamir: %d-byte secret, n=%d, t=%d, one thread; SecureRandom %s;"
        + " Java %s; %d CPUs, load average %.2f%n", SECRET_BYTES, N, T, random.getAlgorithm(),
        Runtime.version(), Runtime.getRuntime().availableProcessors(), loadAverage());

    Contender meridian = new Contender("meridian deal+verify(9)+reconstruct(5)", f::meridian);
    Contender codahale = new Contender("codahale split+join(5)", f::codahale);
    List<Contender> pair = List.of(meridian, codahale);
    warmUp(pair, warmUp, slice, out);
    List<Rates> main = measureAlternating(pair, round, out);
    Rates m = main.get(0);
    Rates c = main.get(1);
    out.printf(Locale.ROOT, "  %-40s %10.0f ops/s  (min-max %.0f-%.0f)%n", m.name, m.median(),
        m.min(), m.max());
    out.printf(Locale.ROOT, "  %-40s %10.0f ops/s  (min-max %.0f-%.0f)%n", c.name, c.median(),
        c.min(), c.max());
    out.printf(Locale.ROOT, "  codahale/meridian: %.1fx (what verifiability costs here)%n",
        c.median() / m.median());

    out.printf(Locale.ROOT, "parts alone: %d ms warm-up, %d x %d ms each%n",
        TimeUnit.NANOSECONDS.toMillis(partWarmUp), ROUNDS,
        TimeUnit.NANOSECONDS.toMillis(partRound));
    double split = part(new Contender("meridian split (deal)", f::meridianSplit), partWarmUp,
        partRound, out);
    double verify = part(new Contender("meridian verify one share (t=5)", f::meridianVerify),
        partWarmUp, partRound, out);
    double reconstruct = part(new Contender("meridian reconstruct from 5",
        f::meridianReconstruct), partWarmUp, partRound, out);
    double codahaleSplit = part(new Contender("codahale split", f::codahaleSplit), partWarmUp,
        partRound, out);
    double codahaleJoin = part(new Contender("codahale join from 5", f::codahaleJoin), partWarmUp,
        partRound, out);
    double sign = part(new Contender("ed25519 sign (" + MESSAGE_BYTES + " B)", f::sign),
        partWarmUp, partRound, out);
    double verifySignature = part(new Contender("ed25519 verify (" + MESSAGE_BYTES + " B)",
        f::verifySignature), partWarmUp, partRound, out);

    Result result = new Result(m.median(), c.median(), split, verify, reconstruct,
        codahaleSplit, codahaleJoin, sign, verifySignature);
    out.printf(Locale.ROOT, "load average at the end %.2f (the machine may be shared)%n",
        loadAverage());
    out.println(result.line());
    return result;
  }

  /** Arguments: {@code --quick}. */
  public static void main(String[] args) {
    boolean quick = false;
    for (String arg : args) {
      if (arg.equals("--quick")) {
        quick = true;
      } else {
        System.err.println("unknown argument " + arg + "; usage: ShamirBench [--quick]");
        System.exit(2);
      }
    }
    run(new PrintStream(System.out, true, StandardCharsets.UTF_8), quick);
  }

  // ------------------------------------------------------------------ the operations

  /** The inputs every operation uses, prepared once. */
  private static final class Fixture {
    private final FeldmanVss vss = FeldmanVss.secp256k1();
    private final byte[] secret;
    private final SecretScalar secretScalar;
    private final SecureRandom random;
    private final List<Integer> xs = IntStream.rangeClosed(1, N).boxed().toList();
    private final Scheme scheme;
    /** All 126 5-subsets of the share indexes 0..8. */
    private final List<int[]> subsets = subsets(N, T);
    private final Dealing dealing;
    private final List<List<Share>> shareSubsets = new ArrayList<>();
    private final Map<Integer, byte[]> parts;
    private final List<Map<Integer, byte[]>> partSubsets = new ArrayList<>();
    private final SigningKey signingKey;
    private final VerifyingKey verifyingKey;
    private final byte[] message = new byte[MESSAGE_BYTES];
    private final byte[] toSign = new byte[MESSAGE_BYTES];
    private final byte[] signature;

    Fixture(byte[] secret, SecureRandom random) {
      this.secret = secret;
      this.secretScalar = SecretScalar.fromBytes(secret);
      this.random = random;
      this.scheme = new Scheme(random, N, T);
      this.dealing = vss.deal(secretScalar, T, xs, random);
      this.parts = scheme.split(secret);
      for (int[] subset : subsets) {
        List<Share> shares = new ArrayList<>();
        Map<Integer, byte[]> chosen = new HashMap<>();
        for (int i : subset) {
          shares.add(dealing.shares().get(i));
          chosen.put(i + 1, parts.get(i + 1));
        }
        shareSubsets.add(shares);
        partSubsets.add(chosen);
      }
      random.nextBytes(message);
      signingKey = SigningKey.generate(random);
      verifyingKey = signingKey.verifyingKey();
      signature = signingKey.sign(message);
    }

    long meridian(long i) {
      Dealing d = vss.deal(secretScalar, T, xs, random);
      for (Share share : d.shares()) {
        if (!vss.verify(share, d.commitments())) {
          throw new IllegalStateException("share x=" + share.x() + " of a fresh dealing failed");
        }
      }
      List<Share> chosen = new ArrayList<>(T);
      for (int index : subsets.get((int) (i % subsets.size()))) {
        chosen.add(d.shares().get(index));
      }
      SecretScalar back = vss.reconstruct(chosen, T);
      if (!back.equals(secretScalar)) {
        throw new IllegalStateException("meridian reconstructed a different secret");
      }
      back.destroy();
      d.destroy();
      return 1;
    }

    long codahale(long i) {
      Map<Integer, byte[]> all = scheme.split(secret);
      Map<Integer, byte[]> chosen = new HashMap<>();
      for (int index : subsets.get((int) (i % subsets.size()))) {
        chosen.put(index + 1, all.get(index + 1));
      }
      byte[] back = scheme.join(chosen);
      if (!Arrays.equals(back, secret)) {
        throw new IllegalStateException("codahale joined a different secret");
      }
      return back[0];
    }

    long meridianSplit(long i) {
      Dealing d = vss.deal(secretScalar, T, xs, random);
      d.destroy();
      return d.shares().size();
    }

    long meridianVerify(long i) {
      Share share = dealing.shares().get((int) (i % N));
      if (!vss.verify(share, dealing.commitments())) {
        throw new IllegalStateException("share x=" + share.x() + " failed");
      }
      return share.x();
    }

    long meridianReconstruct(long i) {
      SecretScalar back = vss.reconstruct(shareSubsets.get((int) (i % subsets.size())), T);
      long r = back.equals(secretScalar) ? 1 : 0;
      back.destroy();
      return r;
    }

    long codahaleSplit(long i) {
      return scheme.split(secret).size();
    }

    long codahaleJoin(long i) {
      return scheme.join(partSubsets.get((int) (i % subsets.size())))[0];
    }

    long sign(long i) {
      toSign[0] = (byte) i; // a different message each time, as on a server
      return signingKey.sign(toSign)[0];
    }

    long verifySignature(long i) {
      if (!verifyingKey.verify(message, signature)) {
        throw new IllegalStateException("signature failed to verify");
      }
      return 1;
    }

    private static List<int[]> subsets(int n, int k) {
      List<int[]> all = new ArrayList<>();
      int[] index = IntStream.range(0, k).toArray();
      while (true) {
        all.add(index.clone());
        int i = k - 1;
        while (i >= 0 && index[i] == n - k + i) {
          i--;
        }
        if (i < 0) {
          return all;
        }
        index[i]++;
        for (int j = i + 1; j < k; j++) {
          index[j] = index[j - 1] + 1;
        }
      }
    }
  }

  // ------------------------------------------------------------------ measuring

  /** Runs {@code op} for at least {@code nanos}; returns ops per second. */
  private static double timed(Op op, long nanos) {
    long count = 0;
    long result = 0;
    long start = System.nanoTime();
    long end = start + nanos;
    long now;
    do {
      result += op.run(count++);
      now = System.nanoTime();
    } while (now < end);
    sink += result;
    return count * 1e9 / (now - start);
  }

  private static void warmUp(List<Contender> contenders, long each, long slice,
      PrintStream out) {
    long started = System.nanoTime();
    for (long done = 0; done < each; done += slice) {
      for (Contender c : contenders) {
        timed(c.op(), Math.min(slice, each - done));
      }
    }
    long extraDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    int pending = JitActivity.c2Pending();
    while (pending > 0 && System.nanoTime() < extraDeadline) {
      for (Contender c : contenders) {
        timed(c.op(), slice / 2);
      }
      pending = JitActivity.c2Pending();
    }
    out.printf(Locale.ROOT, "warm-up: %.1f s alternating %d contenders in %d ms slices;"
        + " C2 compilations pending after it: %s%n", (System.nanoTime() - started) / 1e9,
        contenders.size(), TimeUnit.NANOSECONDS.toMillis(slice),
        pending < 0 ? "unknown" : Integer.toString(pending));
  }

  private static List<Rates> measureAlternating(List<Contender> contenders, long round,
      PrintStream out) {
    double[][] rates = new double[contenders.size()][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      for (int c = 0; c < contenders.size(); c++) {
        rates[c][r] = timed(contenders.get(c).op(), round);
      }
    }
    out.printf(Locale.ROOT, "measured: %d rounds of %d ms per contender, alternating%n", ROUNDS,
        TimeUnit.NANOSECONDS.toMillis(round));
    List<Rates> result = new ArrayList<>();
    for (int c = 0; c < contenders.size(); c++) {
      result.add(new Rates(contenders.get(c).name(), rates[c]));
    }
    return result;
  }

  /** Warms up then measures one operation alone; prints and returns its median. */
  private static double part(Contender contender, long warmUp, long round, PrintStream out) {
    timed(contender.op(), warmUp);
    double[] rates = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      rates[r] = timed(contender.op(), round);
    }
    Rates result = new Rates(contender.name(), rates);
    out.printf(Locale.ROOT, "  %-40s %10.0f ops/s  (min-max %.0f-%.0f)%n", result.name(),
        result.median(), result.min(), result.max());
    return result.median();
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
