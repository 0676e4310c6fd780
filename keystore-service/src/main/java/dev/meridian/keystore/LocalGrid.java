package dev.meridian.keystore;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.InvalidQuorumSystemException;
import dev.meridian.keystore.quorum.QuorumCheck;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.server.KeyServerConfig;
import dev.meridian.keystore.server.KeyServerCore;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.keystore.store.RecordStore;
import io.grpc.BindableService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A whole key-service grid in this process, on 127.0.0.1: n servers with generated identities,
 * a set of clients with generated keys (every client may read and write every key), and stores
 * made by a factory (in memory, or RocksDB in a directory). For tests, benchmarks, demos and
 * {@code keystore local-grid}; a deployment runs each server in its own process.
 *
 * <p>The quorum system is checked exhaustively before any server starts; a grid whose numbers
 * do not give the DESIGN.md guarantees is refused with the check's message.
 */
public final class LocalGrid implements AutoCloseable {
  private final QuorumSystem quorums;
  private final List<String> serverIds = new ArrayList<>();
  private final List<SigningKey> serverKeys = new ArrayList<>();
  private final List<KeyServer> servers = new ArrayList<>();
  private final Map<String, SigningKey> clientKeys = new LinkedHashMap<>();
  private final List<KeyServerConfig> configs = new ArrayList<>();
  private final IntFunction<RecordStore> stores;
  private final Duration adminRound;
  private final IntFunction<Function<KeyServerCore, BindableService>> faces;

  private LocalGrid(QuorumSystem quorums, IntFunction<RecordStore> stores,
      IntFunction<Function<KeyServerCore, BindableService>> faces, Duration adminRound) {
    this.adminRound = adminRound;
    this.quorums = quorums;
    this.stores = stores;
    this.faces = faces;
  }

  /**
   * Starts {@code quorums.n()} honest servers with in-memory stores and the given clients.
   */
  public static LocalGrid start(QuorumSystem quorums, List<String> clients)
      throws IOException, InvalidQuorumSystemException {
    return start(quorums, clients, i -> new InMemoryRecordStore(), i -> KeystoreGrpcService::new);
  }

  /**
   * Starts a grid whose server i stores in {@code stores.apply(i)} and answers through {@code
   * faces.apply(i)} (the honest {@link KeystoreGrpcService}, or a misbehaving one in tests).
   */
  public static LocalGrid start(QuorumSystem quorums, List<String> clients,
      IntFunction<RecordStore> stores,
      IntFunction<Function<KeyServerCore, BindableService>> faces)
      throws IOException, InvalidQuorumSystemException {
    return start(quorums, clients, AccessPolicy.openTo(Set.copyOf(clients)), stores, faces);
  }

  /**
   * As {@link #start(QuorumSystem, List, IntFunction, IntFunction)}, with {@code policy} as the
   * servers' initial access policy (admin actions change it: the servers agree on them with
   * 500 ms rounds).
   */
  public static LocalGrid start(QuorumSystem quorums, List<String> clients, AccessPolicy policy,
      IntFunction<RecordStore> stores,
      IntFunction<Function<KeyServerCore, BindableService>> faces)
      throws IOException, InvalidQuorumSystemException {
    return start(quorums, clients, policy, stores, faces, KeyServer.AdminSettings.DEFAULT_ROUND);
  }

  /** As above, with agreement rounds of {@code adminRound} (benchmarks try shorter ones). */
  public static LocalGrid start(QuorumSystem quorums, List<String> clients, AccessPolicy policy,
      IntFunction<RecordStore> stores,
      IntFunction<Function<KeyServerCore, BindableService>> faces, Duration adminRound)
      throws IOException, InvalidQuorumSystemException {
    SecureRandom random = new SecureRandom();
    Map<String, SigningKey> keys = new LinkedHashMap<>();
    for (String client : clients) {
      keys.put(client, SigningKey.generate(random));
    }
    return start(quorums, keys, "s", policy, stores, faces, adminRound);
  }

  /**
   * A second grid for the same clients (same keys) with servers named {@code serverPrefix}0, 1,
   * …: the successor in a handoff, for tests and the demo.
   */
  public LocalGrid successor(QuorumSystem quorums, String serverPrefix, AccessPolicy policy)
      throws IOException, InvalidQuorumSystemException {
    return start(quorums, clientKeys, serverPrefix, policy, i -> new InMemoryRecordStore(),
        i -> KeystoreGrpcService::new, adminRound);
  }

  private static LocalGrid start(QuorumSystem quorums, Map<String, SigningKey> clients,
      String serverPrefix, AccessPolicy policy, IntFunction<RecordStore> stores,
      IntFunction<Function<KeyServerCore, BindableService>> faces, Duration adminRound)
      throws IOException, InvalidQuorumSystemException {
    QuorumCheck.verify(quorums);
    LocalGrid grid = new LocalGrid(quorums, stores, faces, adminRound);
    SecureRandom random = new SecureRandom();
    Map<String, VerifyingKey> clientPublic = new LinkedHashMap<>();
    clients.forEach((client, key) -> {
      grid.clientKeys.put(client, key);
      clientPublic.put(client, key.verifyingKey());
    });
    for (int i = 0; i < quorums.n(); i++) {
      grid.serverIds.add(serverPrefix + i);
      grid.serverKeys.add(SigningKey.generate(random));
    }
    try {
      for (int i = 0; i < quorums.n(); i++) {
        KeyServerConfig config = KeyServerConfig.of(grid.serverIds, i, quorums,
            grid.serverKeys.get(i), clientPublic, policy);
        grid.configs.add(config);
        grid.servers.add(KeyServer.start(config, stores.apply(i),
            new InetSocketAddress("127.0.0.1", 0), faces.apply(i), grid.adminSettings()));
      }
      grid.servers.forEach(s -> s.connectServers(grid.addresses()));
    } catch (IOException | RuntimeException e) {
      grid.close();
      throw e;
    }
    return grid;
  }

  /** The quorum system. */
  public QuorumSystem quorums() {
    return quorums;
  }

  /** Where the servers listen, in index order, with their acknowledgement keys. */
  public List<ServerEndpoint> endpoints() {
    List<ServerEndpoint> out = new ArrayList<>();
    for (int i = 0; i < servers.size(); i++) {
      out.add(new ServerEndpoint(serverIds.get(i), servers.get(i).address(),
          serverKeys.get(i).verifyingKey()));
    }
    return out;
  }

  /** The running server at {@code index}. */
  public KeyServer server(int index) {
    return servers.get(index);
  }

  /** Stops server {@code index} (its store is closed; the grid no longer owns it). */
  public void stop(int index) {
    servers.get(index).close();
  }

  /**
   * Stops server {@code index} and starts it again on the same address with the same identity
   * and a store from the grid's factory (for a RocksDB factory over one directory: the same
   * data; in memory: empty). It remembers no session, as after a real restart.
   */
  public void restart(int index) throws IOException {
    InetSocketAddress address = servers.get(index).address();
    servers.get(index).close();
    servers.set(index, KeyServer.start(configs.get(index), stores.apply(index), address,
        faces.apply(index), adminSettings()));
    servers.get(index).connectServers(addresses());
  }

  private KeyServer.AdminSettings adminSettings() {
    return new KeyServer.AdminSettings(serverKeys.stream().map(SigningKey::verifyingKey).toList(),
        adminRound);
  }

  private List<InetSocketAddress> addresses() {
    return servers.stream().map(KeyServer::address).toList();
  }

  /** The signing key of client {@code clientId} (a local grid generated it). */
  public SigningKey signingKey(String clientId) {
    SigningKey key = clientKeys.get(clientId);
    if (key == null) {
      throw new IllegalArgumentException("unknown client " + clientId);
    }
    return key;
  }

  /** A client of this grid acting as {@code clientId}, with the given call deadline. */
  public KeystoreClient client(String clientId, Duration deadline) {
    SigningKey key = clientKeys.get(clientId);
    if (key == null) {
      throw new IllegalArgumentException("unknown client " + clientId + "; this grid has "
          + clientKeys.keySet());
    }
    KeystoreClient.Builder builder = KeystoreClient.builder()
        .clientId(clientId)
        .signingKey(key)
        .servers(endpoints())
        .quorums(quorums)
        .deadline(deadline);
    if (adminRound != null) {
      builder.adminRound(adminRound); // admin requests to their f + 1 first proposers only
    }
    clientKeys.forEach((id, k) -> builder.writer(id, k.verifyingKey()));
    return builder.build();
  }

  /** Stops every server still running. */
  @Override
  public void close() {
    for (KeyServer server : servers) {
      try {
        server.close();
      } catch (RuntimeException e) {
        // keep closing the others
      }
    }
  }

  @Override
  public String toString() {
    return "LocalGrid[" + quorums.describe() + "]";
  }
}
