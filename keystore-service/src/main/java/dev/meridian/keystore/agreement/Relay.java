package dev.meridian.keystore.agreement;

import java.util.List;
import java.util.Objects;

/**
 * A value with its signature chain: the sender's signature first, then one per relayer, the
 * last being the process that sent it. Received in round r, a chain is valid only with exactly
 * r links from distinct signers, the first being the designated sender (Dolev–Strong).
 *
 * @param value the value vouched for
 * @param chain the links, in signing order (copied, unmodifiable)
 */
public record Relay(Value value, List<Link> chain) {
  /** Copies the chain. */
  public Relay {
    Objects.requireNonNull(value, "value");
    chain = List.copyOf(chain);
  }

  /** The signer of the last link (the process that relayed it). */
  public int lastSigner() {
    return chain.get(chain.size() - 1).signer();
  }
}
