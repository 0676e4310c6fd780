package dev.meridian.keystore.config;

import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.InvalidQuorumSystemException;
import dev.meridian.keystore.quorum.QuorumCheck;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.AuditLog;
import dev.meridian.keystore.server.FileAuditLog;
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.server.KeyServerConfig;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.keystore.store.RocksRecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.tls.TlsCertificates;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Names;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A whole grid in this process on 127.0.0.1 (like {@link dev.meridian.keystore.LocalGrid}), whose
 * identities and client configurations live in a directory, for {@code keystore local-grid}:
 *
 * <ul>
 *   <li>{@code DIR/s0.key}, {@code DIR/s0.pub}, … one identity per server, and {@code
 *       DIR/alice.key}, {@code DIR/alice.pub}, … one per client (written by {@link KeyFiles}:
 *       private files, never overwritten). Identities already in the directory are reused, so a
 *       grid restarted on the same directory has the same servers and clients;
 *   <li>{@code DIR/alice.properties}, … one {@link ClientSettings} file per client, listing the
 *       servers' actual ports and every other client as a writer; each is replaced atomically
 *       once every server listens, so a script may wait for it to appear;
 *   <li>with {@code persist}, server i's RocksDB store in {@code DIR/store/s<i>} (records
 *       survive a restart on the same directory); otherwise stores are in memory;
 *   <li>{@code DIR/s0.audit.jsonl}, … each server's audit log ({@link FileAuditLog}: one JSON
 *       line per access decision, appended to across restarts).
 *   <li>with {@code tls}, a CA ({@code DIR/ca.tls.crt}, {@code DIR/ca.tls.key}) and a
 *       certificate signed by it for every server ({@code DIR/s0.tls.crt}, for 127.0.0.1 and
 *       localhost) and client ({@code DIR/alice.tls.crt}), each with its {@code .tls.key}
 *       (reused when present, like identities); the servers then require mutual TLS, and each
 *       client configuration names its three TLS files.
 * </ul>
 *
 * <p>Every client may read, write and administer every key. Failure model: {@link #start}
 * refuses a quorum system that fails {@link QuorumCheck}, client ids that are not valid ids or
 * that clash with a server's, and a directory whose key files do not read; what was started is
 * stopped again. {@link #close()} stops every server.
 */
public final class GridDirectory implements AutoCloseable {
  private final Path directory;
  private final QuorumSystem quorums;
  private final List<KeyServer> servers = new ArrayList<>();
  private final List<ServerEndpoint> endpoints = new ArrayList<>();
  private final Map<String, Path> clientConfigs = new LinkedHashMap<>();

  private final boolean tls;

  private GridDirectory(Path directory, QuorumSystem quorums, boolean tls) {
    this.directory = directory;
    this.quorums = quorums;
    this.tls = tls;
  }

  /**
   * Starts {@code quorums.n()} servers {@code s0 … s<n-1>} on 127.0.0.1 (free ports) with the
   * identities in {@code directory} (generated where missing), then writes one configuration per
   * client.
   *
   * @throws InvalidQuorumSystemException if the quorum check refuses {@code quorums}
   * @throws IllegalArgumentException if a client id is invalid, repeated or a server's id
   * @throws IOException if a key file cannot be read or written, or a port not bound
   * @throws StoreException if a RocksDB store does not open
   */
  public static GridDirectory start(Path directory, QuorumSystem quorums, List<String> clients,
      boolean persist) throws IOException, StoreException, InvalidQuorumSystemException {
    return start(directory, quorums, clients, persist, false);
  }

  /**
   * Starts a grid as {@link #start(Path, QuorumSystem, List, boolean)} does, with mutual TLS when
   * {@code tls} (certificates made in the directory where missing).
   *
   * @throws IOException also if a TLS file in the directory does not read or check (a
   *     certificate from another CA, say)
   */
  public static GridDirectory start(Path directory, QuorumSystem quorums, List<String> clients,
      boolean persist, boolean tls)
      throws IOException, StoreException, InvalidQuorumSystemException {
    QuorumCheck.verify(quorums);
    List<String> serverIds = new ArrayList<>();
    for (int i = 0; i < quorums.n(); i++) {
      serverIds.add("s" + i);
    }
    Set<String> clientIds = new LinkedHashSet<>();
    for (String client : clients) {
      Names.checkId("client id", client);
      if (serverIds.contains(client)) {
        throw new IllegalArgumentException("client id " + client + " is a server's id (servers"
            + " are s0 … s" + (quorums.n() - 1) + ")");
      }
      if (!clientIds.add(client)) {
        throw new IllegalArgumentException("client id " + client + " is given twice");
      }
    }
    if (clientIds.isEmpty()) {
      throw new IllegalArgumentException("a grid needs at least one client");
    }
    Path dir = directory.toAbsolutePath();
    if (!Files.isDirectory(dir)) {
      if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createDirectories(dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    }
    SecureRandom random = new SecureRandom();
    Map<String, SigningKey> clientKeys = new LinkedHashMap<>();
    Map<String, VerifyingKey> clientPublic = new LinkedHashMap<>();
    for (String client : clientIds) {
      SigningKey key = identity(dir.resolve(client), random);
      clientKeys.put(client, key);
      clientPublic.put(client, key.verifyingKey());
    }
    Path ca = dir.resolve("ca");
    if (tls && !Files.exists(TlsCertificates.certificateFile(ca))) {
      TlsCertificates.writeCa(ca, "meridian local-grid CA " + dir.getFileName(),
          TlsCertificates.CA_VALIDITY, random);
    }
    GridDirectory grid = new GridDirectory(dir, quorums, tls);
    AccessPolicy policy = AccessPolicy.openTo(clientIds);
    try {
      List<SigningKey> serverKeys = new ArrayList<>();
      for (String id : serverIds) {
        serverKeys.add(identity(dir.resolve(id), random));
      }
      KeyServer.AdminSettings admin = KeyServer.AdminSettings.of(
          serverKeys.stream().map(SigningKey::verifyingKey).toList());
      for (int i = 0; i < quorums.n(); i++) {
        SigningKey key = serverKeys.get(i);
        TransportSecurity security = tls ? certificate(ca, dir.resolve(serverIds.get(i)),
            List.of("127.0.0.1", "localhost"), random) : TransportSecurity.plaintext();
        RecordStore store = persist
            ? RocksRecordStore.open(dir.resolve("store").resolve(serverIds.get(i)),
                RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE)
            : new InMemoryRecordStore();
        AuditLog audit;
        try {
          audit = FileAuditLog.open(auditLog(dir, serverIds.get(i)));
        } catch (IOException e) {
          store.close();
          throw e;
        }
        KeyServer server = KeyServer.start(
            KeyServerConfig.of(serverIds, i, quorums, key, clientPublic, policy), store,
            new InetSocketAddress("127.0.0.1", 0), KeystoreGrpcService::new, audit, security,
            admin);
        grid.servers.add(server);
        grid.endpoints.add(new ServerEndpoint(serverIds.get(i), server.address(),
            key.verifyingKey()));
      }
      List<InetSocketAddress> addresses = grid.servers.stream().map(KeyServer::address).toList();
      grid.servers.forEach(server -> server.connectServers(addresses));
      for (String client : clientIds) {
        Map<String, VerifyingKey> writers = new LinkedHashMap<>(clientPublic);
        writers.remove(client);
        TransportSecurity security = tls
            ? certificate(ca, dir.resolve(client), List.of(), random)
            : TransportSecurity.plaintext();
        ClientSettings settings = new ClientSettings(client, clientKeys.get(client), quorums,
            grid.endpoints, ClientSettings.DEFAULT_DEADLINE, writers, security);
        Path file = dir.resolve(client + ".properties");
        settings.write(file, KeyFiles.keyFile(dir.resolve(client)));
        grid.clientConfigs.put(client, file);
      }
    } catch (IOException | StoreException | RuntimeException e) {
      grid.close();
      throw e;
    }
    return grid;
  }

  /** The key in {@code PREFIX.key}, or a new one written to {@code PREFIX.key} and {@code .pub}. */
  private static SigningKey identity(Path prefix, SecureRandom random) throws IOException {
    Path keyFile = KeyFiles.keyFile(prefix);
    if (Files.exists(keyFile)) {
      SigningKey key = KeyFiles.readSigningKey(keyFile);
      Path pub = KeyFiles.publicKeyFile(prefix);
      if (Files.exists(pub) && !KeyFiles.readPublicKey(pub).equals(key.verifyingKey())) {
        throw new IOException(pub + " is not the public half of " + keyFile);
      }
      if (!Files.exists(pub)) {
        KeyFiles.writePublicKey(pub, key.verifyingKey());
      }
      return key;
    }
    SigningKey key = SigningKey.generate(random);
    KeyFiles.writeIdentity(prefix, key);
    return key;
  }

  /** Where server {@code serverId} of a grid in {@code directory} writes its audit log. */
  public static Path auditLog(Path directory, String serverId) {
    return directory.resolve(serverId + ".audit.jsonl");
  }

  /**
   * Mutual TLS with {@code PREFIX.tls.crt} and {@code .tls.key}, issued by the CA at {@code ca}
   * for {@code hosts} first if missing, trusting that CA.
   */
  private static TransportSecurity certificate(Path ca, Path prefix, List<String> hosts,
      SecureRandom random) throws IOException {
    if (!Files.exists(TlsCertificates.certificateFile(prefix))) {
      TlsCertificates.issue(ca, prefix, prefix.getFileName().toString(), hosts,
          TlsCertificates.CERTIFICATE_VALIDITY, random);
    }
    return TransportSecurity.mutualTls(TlsCertificates.certificateFile(prefix),
        TlsCertificates.privateKeyFile(prefix), TlsCertificates.certificateFile(ca));
  }

  /** The directory, absolute. */
  public Path directory() {
    return directory;
  }

  /** The quorum system. */
  public QuorumSystem quorums() {
    return quorums;
  }

  /** The servers in grid order, where they listen, with their public keys. */
  public List<ServerEndpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** Each client's configuration file, by client id, in the order the clients were given. */
  public Map<String, Path> clientConfigs() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(clientConfigs));
  }

  /** The CA certificate clients and servers trust, when the grid runs TLS. */
  public Optional<Path> trustedCa() {
    return tls ? Optional.of(TlsCertificates.certificateFile(directory.resolve("ca")))
        : Optional.empty();
  }

  /** Stops every server (and closes its store). */
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
    return "GridDirectory[" + directory + ", " + quorums.describe()
        + (tls ? ", TLS" : ", plaintext") + "]";
  }
}
