package dev.meridian.keystore.shamir;

import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A server's share after a {@link ShareRefresh} or a {@link Resharing}, with the public
 * commitments of the next epoch, which it verifies against ({@link FeldmanVss#verify}).
 *
 * <p>Guarantee: {@code share.epoch()} is the previous epoch + 1, and every honest server that
 * computed its {@code NextEpoch} from the same agreed set of dealers holds the same {@code
 * commitments}, whose C_0 equals the previous commitments' C_0: the secret did not change.
 *
 * <p>Failure model: {@link #toString()} shows the share redacted; {@link #destroy()} destroys
 * the share.
 */
public record NextEpoch(Share share, Commitments commitments) implements Destroyable {
  /** Requires both. */
  public NextEpoch {
    Objects.requireNonNull(share, "share");
    Objects.requireNonNull(commitments, "commitments");
  }

  /** The share's epoch: the epoch the server is now in. */
  public long epoch() {
    return share.epoch();
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
