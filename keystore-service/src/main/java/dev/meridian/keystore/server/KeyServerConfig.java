package dev.meridian.keystore.server;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.wire.Names;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything one key server needs to know, validated once.
 *
 * @param serverIds every server's id, in index order; server i holds the share at x = i + 1
 * @param index this server's index in {@code serverIds}
 * @param quorums the quorum system (gives n and f; t = f + 1 is the sharing threshold)
 * @param signingKey this server's identity: it signs acknowledgements with it
 * @param clients every client the server accepts requests from, with its public key
 * @param policy who may read, write and administer which keys
 * @param freshness how far a request's timestamp may be from the server's clock; nonces are
 *     remembered for twice this long, so a replay inside the window fails and one outside fails
 *     the timestamp check
 * @param maxCiphertextBytes the largest sealed secret accepted
 * @param maxVersionsPerKey versions (complete + pending) one key may hold at once
 */
public record KeyServerConfig(List<String> serverIds, int index, QuorumSystem quorums,
    SigningKey signingKey, Map<String, VerifyingKey> clients, AccessPolicy policy,
    Duration freshness, int maxCiphertextBytes, int maxVersionsPerKey) {

  /** Defaults: 30 s freshness, 64 KiB secrets, 64 versions per key. */
  public static KeyServerConfig of(List<String> serverIds, int index, QuorumSystem quorums,
      SigningKey signingKey, Map<String, VerifyingKey> clients, AccessPolicy policy) {
    return new KeyServerConfig(serverIds, index, quorums, signingKey, clients, policy,
        Duration.ofSeconds(30), 64 * 1024, 64);
  }

  /** Validates every field, naming the bad one. */
  public KeyServerConfig {
    serverIds = List.copyOf(serverIds);
    serverIds.forEach(id -> Names.checkId("server id", id));
    if (serverIds.stream().distinct().count() != serverIds.size()) {
      throw new IllegalArgumentException("server ids must be distinct: " + serverIds);
    }
    if (serverIds.size() != quorums.n()) {
      throw new IllegalArgumentException("serverIds lists " + serverIds.size()
          + " servers but the quorum system has n = " + quorums.n());
    }
    if (index < 0 || index >= serverIds.size()) {
      throw new IllegalArgumentException("index must be in [0, " + serverIds.size() + "), was "
          + index);
    }
    if (signingKey == null || policy == null) {
      throw new IllegalArgumentException("signingKey and policy are required");
    }
    clients = Map.copyOf(clients);
    clients.keySet().forEach(id -> Names.checkId("client id", id));
    if (freshness.isNegative() || freshness.isZero() || freshness.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("freshness must be in (0, 1 h], was " + freshness);
    }
    if (maxCiphertextBytes < 64 || maxCiphertextBytes > 4 * 1024 * 1024) {
      throw new IllegalArgumentException("maxCiphertextBytes must be in [64, 4 MiB], was "
          + maxCiphertextBytes);
    }
    if (maxVersionsPerKey < 2 || maxVersionsPerKey > 1024) {
      throw new IllegalArgumentException("maxVersionsPerKey must be in [2, 1024], was "
          + maxVersionsPerKey);
    }
  }

  /** This server's id. */
  public String serverId() {
    return serverIds.get(index);
  }

  /** This server's Shamir x-coordinate. */
  public int shareX() {
    return index + 1;
  }

  /** Sharing threshold t = f + 1. */
  public int threshold() {
    return quorums.t();
  }

  /** toString without the signing key's secret (SigningKey redacts itself anyway). */
  @Override
  public String toString() {
    return "KeyServerConfig[" + serverId() + " of " + serverIds.size() + ", "
        + quorums.describe() + ", " + clients.size() + " clients]";
  }
}
