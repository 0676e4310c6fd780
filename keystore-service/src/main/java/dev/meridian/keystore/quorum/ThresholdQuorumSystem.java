package dev.meridian.keystore.quorum;

import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * Every set of at least {@code q = ceil((n + f + t) / 2)} servers is a quorum.
 *
 * <p>Immutable and thread-safe. The factories guarantee {@code q <= n}.
 */
final class ThresholdQuorumSystem implements QuorumSystem {

  private final int n;
  private final int f;
  private final int q;

  ThresholdQuorumSystem(int n, int f) {
    this(n, f, (int) Math.min(Integer.MAX_VALUE, quorumSizeFor(n, f)));
  }

  /** Any quorum size; tests use it to build systems the check must refuse. */
  ThresholdQuorumSystem(int n, int f, int q) {
    if (n < 1 || f < 0 || q < 1 || q > n) {
      throw new IllegalArgumentException(
          "threshold needs n >= 1, f >= 0, 1 <= q <= n, got n=" + n + " f=" + f + " q=" + q);
    }
    this.n = n;
    this.f = f;
    this.q = q;
  }

  /** {@code ceil((n + f + t) / 2)} with {@code t = f + 1}, in long arithmetic. */
  static long quorumSizeFor(long n, long f) {
    return (n + 2 * f + 1 + 1) / 2;
  }

  @Override
  public Kind kind() {
    return Kind.THRESHOLD;
  }

  @Override
  public int n() {
    return n;
  }

  @Override
  public int f() {
    return f;
  }

  @Override
  public boolean containsQuorum(BitSet servers) {
    ServerSets.checkRange(servers, n, "servers");
    return servers.cardinality() >= q;
  }

  @Override
  public int quorumSize() {
    return q;
  }

  @Override
  public double load() {
    return (double) q / n;
  }

  /**
   * Candidates are {@code q} cyclically consecutive members of {@code available} (in index order);
   * rotation {@code k} (read as unsigned) starts at the {@code (k mod m)}-th of its {@code m}
   * members, so over {@code m} consecutive rotations each member is used exactly {@code q} times.
   */
  @Override
  public Optional<BitSet> pickQuorum(BitSet available, int rotation) {
    ServerSets.checkRange(available, n, "available");
    int[] members = available.stream().toArray();
    if (members.length < q) {
      return Optional.empty();
    }
    int start = (int) (Integer.toUnsignedLong(rotation) % members.length);
    BitSet quorum = new BitSet(n);
    for (int i = 0; i < q; i++) {
      quorum.set(members[(start + i) % members.length]);
    }
    return Optional.of(quorum);
  }

  @Override
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s n=%d f=%d t=%d quorum=%d load=%.2f",
        Kind.THRESHOLD.label(),
        n,
        f,
        t(),
        q,
        load());
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ThresholdQuorumSystem s && s.n == n && s.f == f && s.q == q;
  }

  @Override
  public int hashCode() {
    return (n * 31 + f) * 31 + q;
  }

  @Override
  public String toString() {
    return describe();
  }
}
