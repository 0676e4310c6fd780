package dev.meridian.keystore.shamir;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
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
 * Re-sharing a Feldman sharing to a new set of holders with a possibly different threshold, for
 * a reconfiguration (a server added or removed, a new grid): the same secret, new shares for
 * new x-coordinates, threshold t → t', epoch e → e + 1 (Desmedt–Jajodia 1997; verifiable as in
 * Wong, Wang and Wing 2002).
 *
 * <p>The math. The secret s is shared by f (degree t - 1) among the old x's with commitments
 * C_k. Each old holder i {@link #deal}s its own share s_i = f(x_i) with a fresh polynomial g_i of
 * degree ≤ t' - 1, g_i(0) = s_i, to the new x's: sub-share s_ij = g_i(x'_j), commitments
 * D_(i,k). Since s_i·G = Σ_k x_i^k·C_k is public, a sub-dealing must have D_(i,0) equal to it.
 * For an agreed set S of at least t valid old dealers with Lagrange coefficients λ_i at 0,
 * new holder j's share is Σ_(i∈S) λ_i·s_ij = F(x'_j) where F = Σ λ_i·g_i has degree ≤ t' - 1
 * and F(0) = Σ λ_i·f(x_i) = f(0) = s; the new commitments are E_k = Σ_(i∈S) λ_i·D_(i,k), so
 * E_0 = C_0.
 *
 * <p>Protocol (networking and agreement are outside this package): every old holder {@link
 * #deal}s a {@link SubDealing}, sends {@link SubDealing#to(int) to(x')} privately to each new
 * holder and the commitments to everyone, and destroys the sub-dealing; new holders {@link
 * #verify} what they receive and complain about what is {@link Verdict.Rejected}; anyone can
 * {@link #checkCommitments}; Byzantine agreement decides one set S of valid old dealers; each new
 * holder {@link #combine}s. Old holders destroy their old shares once the new epoch is
 * installed (this class does not, since reads keep using them until then).
 *
 * <p>Failure model: at most f old dealers are Byzantine and at least t honest ones take part,
 * so that S can be made of valid dealings only. A malicious old dealer <em>cannot</em>
 * substitute a different share: a sub-dealing whose C_0 is not the old commitments at its x is
 * rejected ({@link Verdict.Reason#NOT_THE_DEALERS_SHARE}); nor hand a new holder a sub-share
 * off its polynomial ({@link Verdict.Reason#SHARE_DOES_NOT_VERIFY}), nor change the threshold
 * ({@link Verdict.Reason#WRONG_THRESHOLD}). It <em>can</em> withhold, or deal badly and be left
 * out of S. An adversary holding fewer than t old shares and fewer than t' new ones learns
 * nothing about s (each honest g_i is seen at fewer than t' points).
 *
 * <p>Limits, honestly: a removed server keeps what it knew; re-sharing makes its old share
 * useless only once the remaining old holders destroy theirs (and it never revokes a data key
 * already read). Feldman commitments reveal s·G and each s_i·G (both already public in the old
 * commitments). Every new holder must combine over the same S, or the new shares fall on
 * different polynomials. Fewer than t honest old holders taking part means the secret cannot be
 * re-shared.
 *
 * <p>Secret values are computed in constant time ({@code ModQ}); the Lagrange coefficients
 * depend on x-coordinates alone and are public. Bad arguments throw {@link
 * IllegalArgumentException} naming x-coordinates, dealers and epochs, never a secret. Immutable
 * and thread-safe.
 */
public final class Resharing {
  private static final FeldmanVss VSS = FeldmanVss.secp256k1();

  private final Commitments oldCommitments;
  private final long oldEpoch;
  private final List<Integer> oldXs;
  private final Set<Integer> oldHolders;
  private final int newThreshold;
  private final List<Integer> newXs;
  private final Set<Integer> newHolders;

  private Resharing(Commitments oldCommitments, long oldEpoch, List<Integer> oldXs,
      int newThreshold, List<Integer> newXs) {
    this.oldCommitments = oldCommitments;
    this.oldEpoch = oldEpoch;
    this.oldXs = oldXs;
    this.oldHolders = new LinkedHashSet<>(oldXs);
    this.newThreshold = newThreshold;
    this.newXs = newXs;
    this.newHolders = new LinkedHashSet<>(newXs);
  }

  /**
   * The re-sharing of the epoch-{@code oldEpoch} sharing with these commitments, held at {@code
   * oldXs}, to {@code newXs} with threshold {@code newThreshold}. The two sets of x's may
   * overlap (a server that stays keeps its x).
   *
   * @throws IllegalArgumentException if the epoch is negative or the largest one, either list of
   *     x-coordinates is not distinct and &ge; 1, there are fewer old x's than the old threshold,
   *     or the new threshold is out of 1 … min(newXs.size(), 255)
   */
  public static Resharing of(Commitments oldCommitments, long oldEpoch, List<Integer> oldXs,
      int newThreshold, List<Integer> newXs) {
    Objects.requireNonNull(oldCommitments, "old commitments");
    ShareRefresh.checkEpoch(oldEpoch);
    FeldmanVss.checkDeal(oldCommitments.threshold(), oldXs);
    FeldmanVss.checkDeal(newThreshold, newXs);
    return new Resharing(oldCommitments, oldEpoch, List.copyOf(oldXs), newThreshold,
        List.copyOf(newXs));
  }

  /** t, the old threshold: how many valid old dealers {@link #combine} needs. */
  public int oldThreshold() {
    return oldCommitments.threshold();
  }

  /** t', the threshold of the new sharing. */
  public int newThreshold() {
    return newThreshold;
  }

  /** The epoch of the old shares; the new ones are of {@code oldEpoch() + 1}. */
  public long oldEpoch() {
    return oldEpoch;
  }

  /**
   * Deals the old holder's share to the new x's with threshold t': its sub-dealing, sub-shares
   * labelled with {@link #oldEpoch()}. Does not destroy {@code myOldShare}.
   *
   * @throws IllegalArgumentException if the share is not an old holder's, is of another epoch,
   *     or does not verify against the old commitments (dealing it would only get it rejected)
   * @throws IllegalStateException if the share was destroyed
   */
  public SubDealing deal(Share myOldShare, SecureRandom random) {
    Objects.requireNonNull(myOldShare, "old share");
    Objects.requireNonNull(random, "random");
    int dealer = myOldShare.x();
    checkOldHolder(dealer, "dealer");
    if (myOldShare.epoch() != oldEpoch) {
      throw new IllegalArgumentException("old share x=" + dealer + " is of epoch "
          + myOldShare.epoch() + "; the re-sharing is of epoch " + oldEpoch);
    }
    if (!VSS.verify(myOldShare, oldCommitments)) {
      throw new IllegalArgumentException("old share x=" + dealer + " does not verify against the"
          + " old commitments; recover it before re-sharing it");
    }
    SecretScalar secret = SecretScalar.ofLimbs(myOldShare.limbs().clone());
    try {
      Dealing dealing = VSS.deal(secret, newThreshold, newXs, oldEpoch, random);
      dealing.secret().destroy();
      return new SubDealing(dealer, dealing.commitments(), dealing.shares());
    } finally {
      secret.destroy();
    }
  }

  /**
   * The checks anyone can make on an old dealer's public sub-dealing commitments: the dealer is
   * an old holder, there are t' commitments, and C_0 equals Σ_k x^k·C_k of the old commitments
   * at the dealer's x — the commitment to the dealer's own old share.
   */
  public Verdict checkCommitments(int dealer, Commitments dealt) {
    Objects.requireNonNull(dealt, "dealt commitments");
    if (!oldHolders.contains(dealer)) {
      return new Verdict.Rejected(Verdict.Reason.UNKNOWN_DEALER, "dealer " + dealer
          + " is not a holder of the epoch-" + oldEpoch + " sharing " + oldXs);
    }
    if (dealt.threshold() != newThreshold) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_THRESHOLD, "dealer " + dealer + " dealt "
          + dealt.threshold() + " commitments; the new threshold is " + newThreshold);
    }
    if (!dealt.point(0).equals(oldCommitments.evaluate(dealer))) {
      return new Verdict.Rejected(Verdict.Reason.NOT_THE_DEALERS_SHARE, "dealer " + dealer
          + "'s C_0 is not the old commitments at x=" + dealer + ": it is not re-sharing its own"
          + " share");
    }
    return Verdict.ACCEPTED;
  }

  /**
   * Whether the sub-share verifies for new holder {@code newX}: {@link #checkCommitments}, then
   * the share is addressed to newX, labelled with {@link #oldEpoch()}, and verifies against the
   * dealer's commitments. Never throws for a bad sub-share.
   *
   * @throws IllegalArgumentException if newX is not one of the new holders
   * @throws IllegalStateException if the sub-share was destroyed
   */
  public Verdict verify(SubShare subShare, int newX) {
    Objects.requireNonNull(subShare, "sub-share");
    checkNewHolder(newX);
    int dealer = subShare.dealer();
    Share share = subShare.share();
    Verdict verdict = checkCommitments(dealer, subShare.commitments());
    if (!verdict.accepted()) {
      return verdict;
    }
    if (share.x() != newX) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_RECIPIENT, "dealer " + dealer
          + "'s sub-share is for x=" + share.x() + ", not for x=" + newX);
    }
    if (share.epoch() != oldEpoch) {
      return new Verdict.Rejected(Verdict.Reason.WRONG_EPOCH, "dealer " + dealer
          + "'s sub-share to x=" + newX + " is of epoch " + share.epoch() + "; the re-sharing is"
          + " of epoch " + oldEpoch);
    }
    if (!VSS.verify(share, subShare.commitments())) {
      return new Verdict.Rejected(Verdict.Reason.SHARE_DOES_NOT_VERIFY, "dealer " + dealer
          + "'s sub-share to x=" + newX + " does not verify against its commitments");
    }
    return Verdict.ACCEPTED;
  }

  /**
   * The new commitments E_k = Σ_(i∈S) λ_i·D_(i,k). Public: anyone can compute them.
   *
   * @param chosenDealings the agreed set S of old dealers, each with its commitments
   * @throws IllegalArgumentException if S has fewer than t dealers or one's commitments fail
   *     {@link #checkCommitments} (the message names it and the reason)
   */
  public Commitments nextCommitments(Map<Integer, Commitments> chosenDealings) {
    Objects.requireNonNull(chosenDealings, "chosen dealings");
    SortedMap<Integer, Commitments> sorted = new TreeMap<>(chosenDealings);
    checkDealerCount(sorted.size());
    int[] dealers = new int[sorted.size()];
    int i = 0;
    for (Map.Entry<Integer, Commitments> e : sorted.entrySet()) {
      if (checkCommitments(e.getKey(), e.getValue()) instanceof Verdict.Rejected r) {
        throw new IllegalArgumentException("dealer " + e.getKey() + " was chosen but its"
            + " commitments are rejected: " + r.reason() + " (" + r.detail() + ")");
      }
      dealers[i++] = e.getKey();
    }
    BigInteger[] lambdas = FeldmanVss.lagrangeCoefficients(dealers, 0);
    ECPoint[] next = new ECPoint[newThreshold];
    for (int k = 0; k < newThreshold; k++) {
      next[k] = Secp256k1.CURVE.getInfinity();
      for (i = 0; i < dealers.length; i++) {
        next[k] = next[k].add(sorted.get(dealers[i]).point(k).multiply(lambdas[i]));
      }
    }
    return Commitments.of(next);
  }

  /**
   * New holder {@code newX}'s share of epoch e + 1, Σ_(i∈S) λ_i·s_(i,newX) in constant time, and
   * the new commitments ({@link #nextCommitments}). On success destroys the sub-shares it used;
   * on failure changes nothing.
   *
   * @param chosenDealers the set S of old dealers agreement chose: at least t, each with a
   *     sub-share in {@code received} that verifies here
   * @param received the sub-shares this holder received, at most one per dealer; those of dealers
   *     outside S are ignored (and left alone)
   * @throws IllegalArgumentException naming the dealer, x-coordinate or epoch: newX is not a new
   *     holder; S has fewer than t dealers; a chosen dealer's sub-share is missing, repeated, or
   *     does not verify (with the reason)
   * @throws IllegalStateException if a sub-share was destroyed
   */
  public NextEpoch combine(int newX, Set<Integer> chosenDealers, Collection<SubShare> received) {
    Objects.requireNonNull(chosenDealers, "chosen dealers");
    Objects.requireNonNull(received, "received sub-shares");
    checkNewHolder(newX);
    checkDealerCount(chosenDealers.size());
    Map<Integer, SubShare> byDealer = new HashMap<>();
    for (SubShare s : received) {
      Objects.requireNonNull(s, "sub-share");
      if (byDealer.putIfAbsent(s.dealer(), s) != null) {
        throw new IllegalArgumentException("two sub-shares from dealer " + s.dealer()
            + "; keep one (a dealer that sends two is equivocating: report it)");
      }
    }
    SortedMap<Integer, Commitments> dealings = new TreeMap<>();
    for (Integer dealer : chosenDealers) {
      SubShare s = byDealer.get(dealer);
      if (s == null) {
        throw new IllegalArgumentException("no sub-share received from dealer " + dealer
            + ", which was chosen; recover it (from the dealer's answer to a complaint) before"
            + " combining");
      }
      if (verify(s, newX) instanceof Verdict.Rejected r) {
        throw new IllegalArgumentException("the sub-share of dealer " + dealer + " to x=" + newX
            + " was chosen but is rejected here: " + r.reason() + " (" + r.detail() + ")");
      }
      dealings.put(dealer, s.commitments());
    }
    Commitments next = nextCommitments(dealings);
    int[] dealers = dealings.keySet().stream().mapToInt(Integer::intValue).toArray();
    List<Share> subShares = new ArrayList<>(dealers.length);
    for (int dealer : dealers) {
      subShares.add(byDealer.get(dealer).share());
    }
    int[] y = FeldmanVss.combine(subShares, FeldmanVss.lagrange(dealers, 0));
    Share share = Share.ofLimbs(newX, oldEpoch + 1, y);
    for (int dealer : dealers) {
      byDealer.get(dealer).destroy();
    }
    return new NextEpoch(share, next);
  }

  private void checkDealerCount(int count) {
    if (count < oldThreshold()) {
      throw new IllegalArgumentException("re-sharing needs at least t = " + oldThreshold()
          + " valid old dealers (the old threshold), got " + count);
    }
  }

  private void checkOldHolder(int x, String what) {
    if (!oldHolders.contains(x)) {
      throw new IllegalArgumentException(what + " " + x + " is not a holder of the epoch-"
          + oldEpoch + " sharing " + oldXs);
    }
  }

  private void checkNewHolder(int x) {
    if (!newHolders.contains(x)) {
      throw new IllegalArgumentException("x=" + x + " is not a new holder " + newXs);
    }
  }

  /**
   * What one old holder produced: its public commitments (C_0 = its old share times G) and one
   * sub-share per new holder, in the new holders' order. {@link #toString()} shows the
   * sub-shares redacted.
   */
  public record SubDealing(int dealer, Commitments commitments, List<Share> shares)
      implements Destroyable {
    /** Copies the list (not the shares). */
    public SubDealing {
      Objects.requireNonNull(commitments, "commitments");
      shares = List.copyOf(shares);
    }

    /**
     * The sub-share for new holder x (its share is this dealing's, not a copy).
     *
     * @throws IllegalArgumentException if nothing was dealt to x
     */
    public SubShare to(int x) {
      for (Share share : shares) {
        if (share.x() == x) {
          return new SubShare(dealer, commitments, share);
        }
      }
      throw new IllegalArgumentException("dealer " + dealer + " dealt nothing to x=" + x);
    }

    /** Destroys every sub-share. */
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
   * What new holder {@code share.x()} received from old holder {@code dealer}: the dealer's
   * commitments and its share of the dealer's sub-dealing. {@link #toString()} shows the share
   * redacted.
   */
  public record SubShare(int dealer, Commitments commitments, Share share)
      implements Destroyable {
    /** Requires both. */
    public SubShare {
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
