package dev.meridian.keystore.shamir;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.security.auth.Destroyable;
import org.bouncycastle.math.ec.ECPoint;

/**
 * One proactive refresh of a Feldman sharing from epoch e to epoch e + 1 (Herzberg, Jarecki,
 * Krawczyk and Yung, CRYPTO 1995): new shares of the <em>same</em> secret on a new random
 * polynomial, so that shares an adversary stole in epoch e are useless together with shares of
 * epoch e + 1.
 *
 * <p>The math. The secret s is shared by f (degree t - 1, f(0) = s) with commitments C_k. Every
 * shareholder i may {@link #deal} a <em>zero</em> sharing: a random δ_i of degree ≤ t - 1 with
 * δ_i(0) = 0, commitments D_(i,k) = d_(i,k)·G with D_(i,0) the point at infinity, and
 * contribution δ_i(x_j) to each holder j. Given the set V of dealers whose dealings are valid,
 * holder j's new share is f(x_j) + Σ_(i∈V) δ_i(x_j) = f'(x_j) where f' = f + Σ δ_i, and the new
 * commitments are C'_k = C_k + Σ_(i∈V) D_(i,k) (pointwise). f'(0) = s, so C'_0 = C_0.
 *
 * <p>Protocol, per server (networking and agreement are outside this package):
 * <ol>
 *   <li>{@link #deal} a {@link ZeroDealing}; send {@link ZeroDealing#to(int) to(x)} privately to
 *       each holder x and the commitments to everyone; {@link ZeroDealing#destroy()} it.
 *   <li>On each contribution received, {@link #verify} it; broadcast a complaint for a {@link
 *       Verdict.Rejected} one. Anyone can check a dealer's commitments alone with {@link
 *       #checkCommitments}.
 *   <li>Byzantine agreement decides the set of valid dealers — at least t of them, all holding
 *       valid commitments, with every complaint resolved (the dealer disqualified, or its
 *       contribution to the complainer published and verified).
 *   <li>{@link #apply} the agreed set: the server gets its epoch e + 1 share and commitments
 *       ({@link NextEpoch}); its old share and the contributions used are destroyed.
 * </ol>
 *
 * <p>Failure model: up to f dealers are Byzantine. What a malicious dealer <em>cannot</em> do:
 * shift the secret (a dealing whose C_0 is not the point at infinity is rejected, {@link
 * Verdict.Reason#NONZERO_SECRET}), raise the threshold ({@link
 * Verdict.Reason#WRONG_THRESHOLD}), or make an honest server add a value that is not on its
 * committed polynomial ({@link Verdict.Reason#SHARE_DOES_NOT_VERIFY}; {@link #apply} re-verifies
 * every contribution and refuses the whole refresh rather than add a bad one). What it
 * <em>can</em> do: withhold or send bad contributions (the agreement then leaves it out, or the
 * refresh stalls until the complaint is resolved), and deal a non-random δ_i — harmless as long
 * as one dealer in the agreed set is honest, which is why {@link #apply} needs at least t = f + 1
 * dealers.
 *
 * <p>Limits, honestly: a refresh protects against a <em>mobile</em> adversary that collects
 * shares over time; it does nothing against one that holds t shares of one epoch (it has the
 * secret), nor against a reader who already learned the data key (the key is not changed; the
 * secret stays the same, only its sharing does). It protects only if servers really delete
 * their old shares. Feldman commitments reveal s·G (as before the refresh: C'_0 = C_0), hiding
 * s only computationally. Every server must use the same agreed set, or their shares fall on
 * different polynomials. A server missing a contribution from an agreed dealer cannot refresh
 * and must recover its share from others (as a reader's write-back does).
 *
 * <p>Secret values are computed in constant time ({@code ModQ}); bad arguments throw {@link
 * IllegalArgumentException} naming x-coordinates, dealers and epochs, never a secret. Immutable
 * and thread-safe.
 */
public final class ShareRefresh {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();

  private final Commitments commitments;
  private final long epoch;
  private final List<Integer> xs;
  private final Set<Integer> holders;

  private ShareRefresh(Commitments commitments, long epoch, List<Integer> xs) {
    this.commitments = commitments;
    this.epoch = epoch;
    this.xs = xs;
    this.holders = new LinkedHashSet<>(xs);
  }

  /**
   * The refresh of the sharing with these commitments, whose shares are of {@code epoch} and held
   * at {@code xs}: every holder is a dealer and a recipient.
   *
   * @throws IllegalArgumentException if the epoch is negative or the largest one, or the
   *     x-coordinates are not distinct, &ge; 1, and at least the threshold in number
   */
  public static ShareRefresh of(Commitments current, long epoch, List<Integer> xs) {
    Objects.requireNonNull(current, "current commitments");
    checkEpoch(epoch);
    FeldmanVss.checkDeal(current.threshold(), xs);
    return new ShareRefresh(current, epoch, List.copyOf(xs));
  }

  /** The threshold t, the same before and after. */
  public int threshold() {
    return commitments.threshold();
  }

  /** The epoch the refresh starts from; it produces shares of {@code epoch() + 1}. */
  public long epoch() {
    return epoch;
  }

  /**
   * Deals holder {@code dealer}'s zero sharing: a uniformly random polynomial of degree ≤ t - 1
   * with constant term 0, its commitments (C_0 the point at infinity) and one contribution per
   * holder, labelled with {@link #epoch()}.
   *
   * @throws IllegalArgumentException if {@code dealer} is not one of the holders
   */
  public ZeroDealing deal(int dealer, SecureRandom random) {
    Objects.requireNonNull(random, "random");
    checkHolder(dealer, "dealer");
    Dealing dealing = VSS.deal(SecretScalar.zero(), threshold(), xs, epoch, random);
    dealing.secret().destroy();
    return new ZeroDealing(dealer, dealing.commitments(), dealing.shares());
  }

  /**
   * The checks anyone can make on a dealer's public commitments: the dealer is a holder, there
   * are t commitments, and C_0 is the point at infinity (the polynomial's constant term is 0).
   */
  public Verdict checkCommitments(int dealer, Commitments dealt) {
    Objects.requireNonNull(dealt, "dealt commitments");
    if (!holders.contains(dealer)) {
      return new Verdict.Rejected(Verdict.Reason.UNKNOWN_DEALER, "dealer " + dealer
          + " is not a holder of the epoch-" + epoch + " sharing " + xs);
    }
    if (dealt.threshold() != threshold()) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_THRESHOLD, "dealer " + dealer + " dealt "
          + dealt.threshold() + " commitments; the sharing has threshold " + threshold());
    }
    if (!dealt.point(0).isInfinity()) {
      return new Verdict.Rejected(Verdict.Reason.NONZERO_SECRET, "dealer " + dealer
          + "'s C_0 is not the point at infinity: its polynomial does not share 0, and adding it"
          + " would change the secret");
    }
    return Verdict.ACCEPTED;
  }

  /**
   * Whether the contribution verifies for holder {@code x}: {@link #checkCommitments}, then the
   * share is addressed to x, labelled with {@link #epoch()}, and verifies against the dealer's
   * commitments. Never throws for a bad contribution.
   *
   * @throws IllegalArgumentException if x is not one of the holders
   * @throws IllegalStateException if the contribution's share was destroyed
   */
  public Verdict verify(Contribution contribution, int x) {
    Objects.requireNonNull(contribution, "contribution");
    checkHolder(x, "recipient");
    int dealer = contribution.dealer();
    Share share = contribution.share();
    Verdict verdict = checkCommitments(dealer, contribution.commitments());
    if (!verdict.accepted()) {
      return verdict;
    }
    if (share.x() != x) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_RECIPIENT, "dealer " + dealer
          + "'s contribution is for x=" + share.x() + ", not for x=" + x);
    }
    if (share.epoch() != epoch) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_EPOCH, "dealer " + dealer
          + "'s contribution to x=" + x + " is of epoch " + share.epoch() + "; the refresh is of"
          + " epoch " + epoch);
    }
    if (!VSS.verify(share, contribution.commitments())) {
      return new Verdict.Rejected(Verdict.Reason.SHARE_DOES_NOT_VERIFY, "dealer " + dealer
          + "'s contribution to x=" + x + " does not verify against its commitments");
    }
    return Verdict.ACCEPTED;
  }

  /**
   * The commitments of epoch e + 1: the current ones plus, pointwise, those of every valid
   * dealer. Public: a reader or a server without a share can compute them.
   *
   * @param validDealings the agreed valid dealers, each with its commitments
   * @throws IllegalArgumentException if fewer than t dealers are given or one's commitments fail
   *     {@link #checkCommitments} (the message names it and the reason)
   */
  public Commitments nextCommitments(Map<Integer, Commitments> validDealings) {
    Objects.requireNonNull(validDealings, "valid dealings");
    SortedMap<Integer, Commitments> sorted = new TreeMap<>(validDealings);
    checkDealerCount(sorted.size());
    ECPoint[] next = new ECPoint[threshold()];
    for (int k = 0; k < next.length; k++) {
      next[k] = commitments.point(k);
    }
    for (Map.Entry<Integer, Commitments> e : sorted.entrySet()) {
      Verdict verdict = checkCommitments(e.getKey(), e.getValue());
      if (verdict instanceof Verdict.Rejected r) {
        throw new IllegalArgumentException("dealer " + e.getKey() + " was given as valid but its"
            + " commitments are rejected: " + r.reason() + " (" + r.detail() + ")");
      }
      for (int k = 0; k < next.length; k++) {
        next[k] = next[k].add(e.getValue().point(k));
      }
    }
    return Commitments.of(next);
  }

  /**
   * Holder {@code oldShare.x()}'s share of epoch e + 1: its old share plus the contributions of
   * the agreed valid dealers, in constant time; and the commitments of epoch e + 1 ({@link
   * #nextCommitments}). On success destroys {@code oldShare} and the contributions it added; on
   * failure changes nothing, so the server keeps serving epoch e.
   *
   * @param oldShare this holder's share of {@link #epoch()}, which must verify against the
   *     current commitments
   * @param validDealers the dealers agreement decided valid: at least t of them, each with a
   *     contribution in {@code received} that verifies here
   * @param received the contributions this holder received, at most one per dealer; those of
   *     dealers outside {@code validDealers} are ignored (and left alone)
   * @throws IllegalArgumentException naming the dealer, x-coordinate or epoch: the old share is
   *     of another epoch, not a holder's or does not verify; fewer than t valid dealers; a valid
   *     dealer's contribution is missing, repeated, or does not verify (with the reason)
   * @throws IllegalStateException if the old share or a contribution was destroyed
   */
  public NextEpoch apply(Share oldShare, Set<Integer> validDealers,
      Collection<Contribution> received) {
    Objects.requireNonNull(oldShare, "old share");
    Objects.requireNonNull(validDealers, "valid dealers");
    Objects.requireNonNull(received, "received contributions");
    int x = oldShare.x();
    checkHolder(x, "old share's x");
    if (oldShare.epoch() != epoch) {
      throw new IllegalArgumentException("old share x=" + x + " is of epoch " + oldShare.epoch()
          + "; this refresh moves epoch " + epoch + " to " + (epoch + 1));
    }
    checkDealerCount(validDealers.size());
    Map<Integer, Contribution> byDealer = byDealer(received);
    SortedMap<Integer, Commitments> dealings = new TreeMap<>();
    for (Integer dealer : validDealers) {
      Contribution c = byDealer.get(dealer);
      if (c == null) {
        throw new IllegalArgumentException("no contribution received from dealer " + dealer
            + ", which was decided valid; recover it (from the dealer's answer to a complaint)"
            + " before applying the refresh");
      }
      if (verify(c, x) instanceof Verdict.Rejected r) {
        throw new IllegalArgumentException("the contribution of dealer " + dealer + " to x=" + x
            + " was decided valid but is rejected here: " + r.reason() + " (" + r.detail()
            + ")");
      }
      dealings.put(dealer, c.commitments());
    }
    if (!VSS.verify(oldShare, commitments)) {
      throw new IllegalArgumentException("old share x=" + x + " does not verify against the"
          + " epoch-" + epoch + " commitments; recover it before refreshing");
    }
    Commitments next = nextCommitments(dealings);
    int[] y = oldShare.limbs().clone();
    for (Integer dealer : dealings.keySet()) {
      ModQ.add(y, byDealer.get(dealer).share().limbs(), y);
    }
    Share share = Share.ofLimbs(x, epoch + 1, y);
    oldShare.destroy();
    for (Integer dealer : dealings.keySet()) {
      byDealer.get(dealer).destroy();
    }
    return new NextEpoch(share, next);
  }

  private static Map<Integer, Contribution> byDealer(Collection<Contribution> received) {
    Map<Integer, Contribution> byDealer = new HashMap<>();
    for (Contribution c : received) {
      Objects.requireNonNull(c, "contribution");
      if (byDealer.putIfAbsent(c.dealer(), c) != null) {
        throw new IllegalArgumentException("two contributions from dealer " + c.dealer()
            + "; keep one (a dealer that sends two is equivocating: report it)");
      }
    }
    return byDealer;
  }

  private void checkDealerCount(int count) {
    if (count < threshold()) {
      throw new IllegalArgumentException("a refresh needs at least t = " + threshold()
          + " valid dealers (so that, with t = f + 1, one is honest), got " + count);
    }
  }

  private void checkHolder(int x, String what) {
    if (!holders.contains(x)) {
      throw new IllegalArgumentException(what + " " + x + " is not a holder of the epoch-" + epoch
          + " sharing " + xs);
    }
  }

  static void checkEpoch(long epoch) {
    if (epoch < 0 || epoch == Long.MAX_VALUE) {
      throw new IllegalArgumentException("epoch must be in [0, " + (Long.MAX_VALUE - 1)
          + "], got " + epoch);
    }
  }

  /**
   * What one dealer produced in a refresh: its public commitments (C_0 the point at infinity)
   * and one contribution — a share of its zero polynomial — per holder, in the holders' order.
   * {@link #toString()} shows the contributions redacted.
   */
  public record ZeroDealing(int dealer, Commitments commitments, List<Share> shares)
      implements Destroyable {
    /** Copies the list (not the shares). */
    public ZeroDealing {
      Objects.requireNonNull(commitments, "commitments");
      shares = List.copyOf(shares);
    }

    /**
     * The contribution for holder x (its share is this dealing's, not a copy).
     *
     * @throws IllegalArgumentException if nothing was dealt to x
     */
    public Contribution to(int x) {
      for (Share share : shares) {
        if (share.x() == x) {
          return new Contribution(dealer, commitments, share);
        }
      }
      throw new IllegalArgumentException("dealer " + dealer + " dealt nothing to x=" + x);
    }

    /** Destroys every contribution. */
    @Override
    public void destroy() {
      shares.forEach(Share::destroy);
    }

    @Override
    public boolean isDestroyed() {
      return shares.stream().allMatch(Share::isDestroyed);
    }
  }

  /**
   * What holder {@code share.x()} received from {@code dealer}: the dealer's commitments and its
   * share of the dealer's zero polynomial. {@link #toString()} shows the share redacted.
   */
  public record Contribution(int dealer, Commitments commitments, Share share)
      implements Destroyable {
    /** Requires both. */
    public Contribution {
      Objects.requireNonNull(commitments, "commitments");
      Objects.requireNonNull(share, "share");
    }

    /** Destroys the share. */
    @Override
    public void destroy() {
      share.destroy();
    }

    @Override
    public boolean isDestroyed() {
      return share.isDestroyed();
    }
  }
}
