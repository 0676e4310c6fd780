package dev.meridian.keystore.shamir;

import java.util.Objects;

/**
 * The outcome of checking what one dealer of a {@link ShareRefresh} or a {@link Resharing} sent:
 * {@link Accepted}, or {@link Rejected} with a {@link Reason} and a detail for logs, the audit
 * trail and the complaint a server raises in the agreement on which dealers count.
 *
 * <p>Failure model: the detail names only public things — the dealer's and the recipient's
 * x-coordinates, epochs, thresholds — never a share's y or a secret.
 */
public sealed interface Verdict permits Verdict.Accepted, Verdict.Rejected {

  /** The single accepted verdict. */
  Verdict ACCEPTED = new Accepted();

  /** Whether the contribution was accepted. */
  default boolean accepted() {
    return this instanceof Accepted;
  }

  /** The dealer's contribution verified. */
  record Accepted() implements Verdict {}

  /** The dealer's contribution is refused, for {@code reason}; {@code detail} says more. */
  record Rejected(Reason reason, String detail) implements Verdict {
    /** Requires both. */
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /** Why a dealer's contribution is refused. */
  enum Reason {
    /** The dealer is not one of the shareholders allowed to deal. */
    UNKNOWN_DEALER,
    /** The share was dealt to another x-coordinate than the recipient's. */
    WRONG_RECIPIENT,
    /** The share is labelled with another epoch than the one being refreshed. */
    WRONG_EPOCH,
    /** The commitments are for another threshold (polynomial degree) than agreed. */
    WRONG_THRESHOLD,
    /**
     * Refresh: C_0 is not the point at infinity, so the dealt polynomial's constant term is not
     * 0 and adding it would shift the secret.
     */
    NONZERO_SECRET,
    /**
     * Re-sharing: C_0 is not the old commitments evaluated at the dealer's x, so the dealer is
     * not re-sharing its own share.
     */
    NOT_THE_DEALERS_SHARE,
    /** The share does not verify against the dealer's commitments. */
    SHARE_DOES_NOT_VERIFY
  }
}
