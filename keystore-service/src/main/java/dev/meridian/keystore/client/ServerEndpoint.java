package dev.meridian.keystore.client;

import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.wire.Names;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One key server as a client knows it: its id, where it listens, and the public key its
 * acknowledgements are signed with. A client lists the servers in index order; server i holds
 * the share at x = i + 1.
 */
public record ServerEndpoint(String id, InetSocketAddress address, VerifyingKey key) {
  /** Validates the id; the address and key are required. */
  public ServerEndpoint {
    Names.checkId("server id", id);
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(key, "key");
  }
}
