package dev.meridian.keystore.shamir;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import javax.security.auth.Destroyable;

/**
 * What a dealer produced: the secret, the public commitments to its polynomial, and one share
 * per x-coordinate, in the order the x-coordinates were given to {@link FeldmanVss#deal}.
 *
 * <p>Guarantee (from {@code deal}): every share verifies against {@link #commitments()}, and any
 * {@code threshold} of the shares reconstruct {@link #secret()}. The dealer sends each server its
 * own share and everyone the commitments, then {@link #destroy()}s the dealing.
 *
 * <p>Failure model: {@link #toString()} prints the threshold, the x-coordinates and the
 * commitments, never the secret or a share's y.
 */
public record Dealing(SecretScalar secret, Commitments commitments, List<Share> shares)
    implements Destroyable {

  /** Copies the list of shares (the shares themselves are shared, not copied). */
  public Dealing {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(commitments, "commitments");
    shares = List.copyOf(shares);
  }

  /** Destroys the secret and every share. */
  @Override
  public void destroy() {
    secret.destroy();
    shares.forEach(Share::destroy);
  }

  /** Whether the secret was destroyed (as {@link #destroy()} does). */
  @Override
  public boolean isDestroyed() {
    return secret.isDestroyed();
  }

  /** {@code Dealing[t=5, xs=[1, 2, 3], secret=<redacted>, Commitments[...]]}. */
  @Override
  public String toString() {
    return "Dealing[t=" + commitments.threshold() + ", xs="
        + shares.stream().map(s -> Integer.toString(s.x()))
            .collect(Collectors.joining(", ", "[", "]"))
        + ", secret=<redacted>, " + commitments + "]";
  }
}
