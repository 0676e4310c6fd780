package dev.meridian.keystore.config;

import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.config.ConfigReader.Field;
import dev.meridian.keystore.config.ConfigReader.Listed;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.AuditException;
import dev.meridian.keystore.server.AuditLog;
import dev.meridian.keystore.server.FileAuditLog;
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.server.KeyServerConfig;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.keystore.store.RocksRecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Names;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One key server's configuration file, parsed and validated. The format ({@link
 * java.util.Properties}; relative paths resolve against the file's directory):
 *
 * <pre>{@code
 * server.id = s0                        # this server; must be in `servers`
 * listen = 0.0.0.0:7000                 # optional; default: this server's address in `servers`
 * key-file = s0.key                     # its Ed25519 seed (keystore keygen), permissions 600
 * store = /var/lib/meridian/s0          # a RocksDB directory, or `memory`
 * audit-log = /var/log/meridian/s0.audit.jsonl   # optional: one JSON line per access decision
 * quorum.kind = grid-cr                 # grid-cr | grid-mg | threshold
 * quorum.f = 1
 * servers = s0@10.0.0.1:7000, s1@10.0.0.2:7000, ...   # every server, in grid order
 * server.s0.public-key = 3b6a27bc...    # 64 hex digits, or a .pub file; one per server
 * client.alice.public-key = alice.pub   # every client the servers accept
 * acl.all.prefix =                      # a rule: keys starting with this ('' = every key)
 * acl.all.allow = alice:rw, bob:r       # who may: r (read), w (write), rw, admin
 * tls.cert = s0.tls.crt                 # optional, all three or none: this server's certificate,
 * tls.key = s0.tls.key                  #   its PKCS#8 key (permissions 600),
 * tls.ca = ca.tls.crt                   #   and the CA that clients' certificates must chain to
 * }</pre>
 *
 * <p>Without the {@code tls.*} fields the server listens in plaintext; with them it requires
 * mutual TLS ({@link TransportSecurity}) on top of the signed requests.
 *
 * <p>Guarantee: an instance is a configuration a {@link KeyServer} can run: the quorum system
 * passes {@link dev.meridian.keystore.quorum.QuorumCheck}, every server has one public key, the
 * key file is private and its public half is the one listed for this server, every client named
 * in a rule has a public key. {@link #load} refuses anything else with a {@link ConfigException}
 * naming the field, unknown fields included.
 *
 * @param serverId this server's id
 * @param listen the address to bind
 * @param signingKey this server's identity (never shown by {@link #toString()})
 * @param storeDirectory the RocksDB directory, or empty for an in-memory store
 * @param quorums the quorum system, checked
 * @param servers every server in grid order, with its address and public key
 * @param clients every accepted client's public key
 * @param policy who may read, write and administer which keys
 * @param auditLog the audit log file ({@link FileAuditLog}), or empty for none; when given, the
 *     server refuses requests it cannot record (fail-closed, see {@link AuditLog})
 * @param transportSecurity plaintext, or mutual TLS from the {@code tls.*} fields
 */
public record ServerSettings(String serverId, InetSocketAddress listen, SigningKey signingKey,
    Optional<Path> storeDirectory, QuorumSystem quorums, List<ServerEndpoint> servers,
    Map<String, VerifyingKey> clients, AccessPolicy policy, Optional<Path> auditLog,
    TransportSecurity transportSecurity) {

  /** The value of {@code store} that means "in memory". */
  public static final String MEMORY = "memory";

  static final List<Field> FIELDS = List.of(
      Field.exact("server.id"), Field.exact("listen"), Field.exact("key-file"),
      Field.exact("store"), Field.exact("audit-log"), Field.exact("quorum.kind"),
      Field.exact("quorum.f"),
      Field.exact("servers"), Field.family("server.", "<id>", ".public-key"),
      Field.family("client.", "<id>", ".public-key"), Field.family("acl.", "<rule>", ".prefix"),
      Field.family("acl.", "<rule>", ".allow"), Field.exact("tls.cert"), Field.exact("tls.key"),
      Field.exact("tls.ca"));

  /** Copies the collections and checks the cross-field rules. */
  public ServerSettings {
    Objects.requireNonNull(serverId, "serverId");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(storeDirectory, "storeDirectory");
    Objects.requireNonNull(quorums, "quorums");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(auditLog, "auditLog");
    Objects.requireNonNull(transportSecurity, "transportSecurity");
    servers = List.copyOf(servers);
    clients = Map.copyOf(clients);
    if (servers.stream().noneMatch(s -> s.id().equals(serverId))) {
      throw new IllegalArgumentException("server " + serverId + " is not among the servers");
    }
  }

  /**
   * Reads and validates a server configuration file.
   *
   * @throws ConfigException naming the file, the bad field and what is wrong
   */
  public static ServerSettings load(Path file) throws ConfigException {
    ConfigReader in = ConfigReader.load(file);
    in.checkKnown(FIELDS);
    String id = in.id("server.id", "server id");
    List<Listed> listed = in.servers("servers");
    int index = -1;
    for (int i = 0; i < listed.size(); i++) {
      if (listed.get(i).id().equals(id)) {
        index = i;
      }
    }
    if (index < 0) {
      throw in.error("server.id", id + " is not among the servers listed in `servers`");
    }
    QuorumSystem quorums = in.quorums(listed.size());
    List<ServerEndpoint> servers = endpoints(in, listed);
    String listenText = in.optional("listen");
    InetSocketAddress listen = listenText == null ? listed.get(index).address()
        : in.address("listen", listenText);

    Map<String, VerifyingKey> clients = new LinkedHashMap<>();
    for (Map.Entry<String, String> e
        : in.family(Field.family("client.", "<id>", ".public-key")).entrySet()) {
      String field = "client." + e.getKey() + ".public-key";
      if (!Names.isId(e.getKey())) {
        throw in.error(field, "client id \"" + e.getKey()
            + "\" is not 1-64 characters of [A-Za-z0-9._-]");
      }
      clients.put(e.getKey(), in.publicKey(field, e.getValue()));
    }
    if (clients.isEmpty()) {
      throw in.error("client.<id>.public-key", "no client is configured; add one line per client,"
          + " e.g. client.alice.public-key = alice.pub");
    }
    AccessPolicy policy = policy(in, clients.keySet());

    String storeText = in.required("store");
    Optional<Path> store = Optional.empty();
    if (!storeText.equals(MEMORY)) {
      Path dir = in.path(storeText);
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw in.error("store", dir + " exists and is not a directory (give a RocksDB directory,"
            + " or `memory`)");
      }
      store = Optional.of(dir);
    }

    Optional<Path> auditLog = Optional.empty();
    String auditText = in.optional("audit-log");
    if (auditText != null) {
      if (auditText.isEmpty()) {
        throw in.error("audit-log", "is empty; give a file path, or leave the field out for no"
            + " audit log");
      }
      Path auditFile = in.path(auditText);
      if (Files.isDirectory(auditFile)) {
        throw in.error("audit-log", auditFile + " is a directory; give the path of a file (it is"
            + " appended to, created if missing)");
      }
      Path parent = auditFile.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw in.error("audit-log", "directory " + parent + " does not exist");
      }
      auditLog = Optional.of(auditFile);
    }

    TransportSecurity tls = in.transportSecurity();
    SigningKey key = in.signingKey("key-file");
    if (!key.verifyingKey().equals(servers.get(index).key())) {
      key.destroy();
      throw in.error("key-file", "holds the key of " + key.verifyingKey()
          + ", but server." + id + ".public-key is " + servers.get(index).key());
    }
    return new ServerSettings(id, listen, key, store, quorums, servers, clients, policy,
        auditLog, tls);
  }

  /** Every listed server with its {@code server.<id>.public-key}; none missing, none extra. */
  static List<ServerEndpoint> endpoints(ConfigReader in, List<Listed> listed)
      throws ConfigException {
    Map<String, String> keys = in.family(Field.family("server.", "<id>", ".public-key"));
    Set<String> ids = new HashSet<>();
    List<ServerEndpoint> out = new ArrayList<>();
    for (Listed s : listed) {
      ids.add(s.id());
      String field = "server." + s.id() + ".public-key";
      String value = keys.get(s.id());
      if (value == null) {
        throw in.error(field, "is required: every server in `servers` needs its public key");
      }
      out.add(new ServerEndpoint(s.id(), s.address(), in.publicKey(field, value)));
    }
    for (String id : keys.keySet()) {
      if (!ids.contains(id)) {
        throw in.error("server." + id + ".public-key", "names a server that is not in `servers`");
      }
    }
    return out;
  }

  private static AccessPolicy policy(ConfigReader in, Set<String> clients)
      throws ConfigException {
    Map<String, String> prefixes = in.family(Field.family("acl.", "<rule>", ".prefix"));
    Map<String, String> allows = in.family(Field.family("acl.", "<rule>", ".allow"));
    Set<String> names = new LinkedHashSet<>(prefixes.keySet());
    names.addAll(allows.keySet());
    if (names.isEmpty()) {
      throw in.error("acl.<rule>.allow", "no access rule is configured, so every key would be"
          + " closed to every client; add e.g. acl.all.prefix = and acl.all.allow = alice:rw");
    }
    List<AccessPolicy.Rule> rules = new ArrayList<>();
    Map<String, String> rulesByPrefix = new LinkedHashMap<>();
    for (String name : names) {
      String prefixField = "acl." + name + ".prefix";
      String allowField = "acl." + name + ".allow";
      String prefix = prefixes.get(name);
      if (prefix == null) {
        throw in.error(prefixField, "is required with " + allowField + " (empty: every key)");
      }
      String allow = allows.get(name);
      if (allow == null || allow.isEmpty()) {
        throw in.error(allowField, "is required with " + prefixField
            + " (e.g. alice:rw, bob:r, ops:admin)");
      }
      if (!prefix.isEmpty() && !Names.isKey(prefix)) {
        throw in.error(prefixField, "\"" + prefix + "\" is not empty nor a key name (1-256"
            + " characters of [A-Za-z0-9._/:@-])");
      }
      String other = rulesByPrefix.put(prefix, name);
      if (other != null) {
        throw in.error(prefixField, "rule " + other + " has the same prefix \"" + prefix + "\"");
      }
      Set<String> readers = new LinkedHashSet<>();
      Set<String> writers = new LinkedHashSet<>();
      Set<String> admins = new LinkedHashSet<>();
      for (String grant : in.list(allowField, allow)) {
        int colon = grant.lastIndexOf(':');
        if (colon <= 0) {
          throw in.error(allowField, "entry \"" + grant + "\" is not client:rights (rights: r,"
              + " w, rw or admin)");
        }
        String client = grant.substring(0, colon).strip();
        String rights = grant.substring(colon + 1).strip();
        if (!clients.contains(client)) {
          throw in.error(allowField, "client " + client + " has no client." + client
              + ".public-key; configured clients: " + String.join(", ", clients));
        }
        switch (rights) {
          case "r" -> readers.add(client);
          case "w" -> writers.add(client);
          case "rw", "wr" -> {
            readers.add(client);
            writers.add(client);
          }
          case "admin" -> admins.add(client);
          default -> throw in.error(allowField, "rights \"" + rights + "\" of " + client
              + " are not one of r, w, rw, admin");
        }
      }
      rules.add(new AccessPolicy.Rule(prefix, readers, writers, admins));
    }
    return AccessPolicy.of(rules);
  }

  /** This server's index in {@link #servers()} (its share is at x = index + 1). */
  public int index() {
    for (int i = 0; i < servers.size(); i++) {
      if (servers.get(i).id().equals(serverId)) {
        return i;
      }
    }
    throw new AssertionError(serverId);
  }

  /** The configuration a {@link KeyServer} runs, with the defaults of {@link KeyServerConfig}. */
  public KeyServerConfig keyServerConfig() {
    return KeyServerConfig.of(servers.stream().map(ServerEndpoint::id).toList(), index(),
        quorums, signingKey, clients, policy);
  }

  /**
   * Opens the audit log (if any) and the store, and starts serving on {@link #listen()}, taking
   * part in agreement on admin actions with the other servers (500 ms rounds: their clocks must
   * agree, e.g. by NTP, to well within that).
   *
   * @throws AuditException if the audit log cannot be opened (the message names the file)
   * @throws StoreException if the RocksDB store does not open (the message names the path)
   * @throws IOException if the address cannot be bound
   */
  public KeyServer start() throws StoreException, IOException {
    AuditLog audit;
    if (auditLog.isPresent()) {
      try {
        audit = FileAuditLog.open(auditLog.get());
      } catch (IOException e) {
        throw new AuditException(e.getMessage(), e);
      }
    } else {
      audit = AuditLog.none();
    }
    RecordStore store;
    try {
      store = storeDirectory.isPresent()
          ? RocksRecordStore.open(storeDirectory.get(),
              RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE)
          : new InMemoryRecordStore();
    } catch (StoreException | RuntimeException e) {
      audit.close();
      throw e;
    }
    KeyServer server = KeyServer.start(keyServerConfig(), store, listen,
        KeystoreGrpcService::new, audit, transportSecurity,
        KeyServer.AdminSettings.of(servers.stream().map(ServerEndpoint::key).toList()));
    // Admin actions: agreement with the other servers, at the addresses the file lists (they
    // may start later: channels connect when they come up).
    server.connectServers(servers.stream().map(ServerEndpoint::address).toList());
    return server;
  }

  /** Without the signing key. */
  @Override
  public String toString() {
    return "ServerSettings[" + serverId + " on " + listen + ", " + quorums.describe() + ", "
        + clients.size() + " clients, store " + storeDirectory.map(Path::toString).orElse(MEMORY)
        + auditLog.map(p -> ", audit log " + p).orElse("")
        + (transportSecurity.isTls() ? ", TLS" : ", plaintext") + "]";
  }
}
