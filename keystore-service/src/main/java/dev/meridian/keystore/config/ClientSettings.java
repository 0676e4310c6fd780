package dev.meridian.keystore.config;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.config.ConfigReader.Field;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Names;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One client's configuration file, parsed and validated. The format ({@link
 * java.util.Properties}; relative paths resolve against the file's directory):
 *
 * <pre>{@code
 * client.id = alice                     # as the servers know it (their client.<id>.public-key)
 * key-file = alice.key                  # its Ed25519 seed (keystore keygen), permissions 600
 * quorum.kind = grid-cr                 # grid-cr | grid-mg | threshold, as the servers run
 * quorum.f = 1
 * servers = s0@10.0.0.1:7000, s1@10.0.0.2:7000, ...   # every server, in grid order
 * server.s0.public-key = 3b6a27bc...    # 64 hex digits, or a .pub file; one per server
 * deadline-ms = 5000                    # optional: deadline of every call (default 5000)
 * writer.bob.public-key = bob.pub       # optional: other clients whose records this one reads
 * tls.cert = alice.tls.crt              # optional, all three or none: this client's certificate,
 * tls.key = alice.tls.key               #   its PKCS#8 key (permissions 600),
 * tls.ca = ca.tls.crt                   #   and the CA that servers' certificates must chain to
 * }</pre>
 *
 * <p>Without the {@code tls.*} fields the client dials in plaintext; with them, mutual TLS
 * ({@link TransportSecurity}), and every request is still signed as without.
 *
 * <p>Guarantee: an instance is a configuration a {@link KeystoreClient} can run: the quorum
 * system passes {@link dev.meridian.keystore.quorum.QuorumCheck}, every server has one public
 * key, and the key file is private. {@link #load} refuses anything else with a {@link
 * ConfigException} naming the field, unknown fields included. Whether the servers know this
 * client is only learnt by calling them ({@code UNAUTHENTICATED} if they do not).
 *
 * @param clientId this client's id
 * @param signingKey its identity (never shown by {@link #toString()})
 * @param quorums the quorum system, checked
 * @param servers every server in grid order, with its address and public key
 * @param deadline the deadline of every call
 * @param writers other clients whose records this client verifies when it reads
 * @param transportSecurity plaintext, or mutual TLS from the {@code tls.*} fields
 */
public record ClientSettings(String clientId, SigningKey signingKey, QuorumSystem quorums,
    List<ServerEndpoint> servers, Duration deadline, Map<String, VerifyingKey> writers,
    TransportSecurity transportSecurity) {

  /** Deadline when {@code deadline-ms} is absent. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);

  static final List<Field> FIELDS = List.of(
      Field.exact("client.id"), Field.exact("key-file"), Field.exact("quorum.kind"),
      Field.exact("quorum.f"), Field.exact("servers"),
      Field.family("server.", "<id>", ".public-key"), Field.exact("deadline-ms"),
      Field.family("writer.", "<id>", ".public-key"), Field.exact("tls.cert"),
      Field.exact("tls.key"), Field.exact("tls.ca"));

  /** Copies the collections and checks the cross-field rules. */
  public ClientSettings {
    Names.checkId("client id", clientId);
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(quorums, "quorums");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(transportSecurity, "transportSecurity");
    servers = List.copyOf(servers);
    writers = Map.copyOf(writers);
    if (servers.size() != quorums.n()) {
      throw new IllegalArgumentException(servers.size() + " servers but the quorum system has n = "
          + quorums.n());
    }
  }

  /** Settings without TLS (plaintext). */
  public ClientSettings(String clientId, SigningKey signingKey, QuorumSystem quorums,
      List<ServerEndpoint> servers, Duration deadline, Map<String, VerifyingKey> writers) {
    this(clientId, signingKey, quorums, servers, deadline, writers,
        TransportSecurity.plaintext());
  }

  /**
   * Reads and validates a client configuration file.
   *
   * @throws ConfigException naming the file, the bad field and what is wrong
   */
  public static ClientSettings load(Path file) throws ConfigException {
    ConfigReader in = ConfigReader.load(file);
    in.checkKnown(FIELDS);
    String id = in.id("client.id", "client id");
    List<ConfigReader.Listed> listed = in.servers("servers");
    QuorumSystem quorums = in.quorums(listed.size());
    List<ServerEndpoint> servers = ServerSettings.endpoints(in, listed);
    String deadlineText = in.optional("deadline-ms");
    Duration deadline = deadlineText == null ? DEFAULT_DEADLINE
        : Duration.ofMillis(in.integer("deadline-ms", deadlineText, 1, 600_000));
    Map<String, VerifyingKey> writers = new LinkedHashMap<>();
    for (Map.Entry<String, String> e
        : in.family(Field.family("writer.", "<id>", ".public-key")).entrySet()) {
      String field = "writer." + e.getKey() + ".public-key";
      if (!Names.isId(e.getKey())) {
        throw in.error(field, "client id \"" + e.getKey()
            + "\" is not 1-64 characters of [A-Za-z0-9._-]");
      }
      writers.put(e.getKey(), in.publicKey(field, e.getValue()));
    }
    TransportSecurity tls = in.transportSecurity();
    SigningKey key = in.signingKey("key-file");
    VerifyingKey own = writers.get(id);
    if (own != null && !own.equals(key.verifyingKey())) {
      key.destroy();
      throw in.error("writer." + id + ".public-key", "is this client's own id, but not the"
          + " public half of key-file (leave it out: a client always knows its own key)");
    }
    return new ClientSettings(id, key, quorums, servers, deadline, writers, tls);
  }

  /** A client with these settings; the caller closes it. */
  public KeystoreClient connect() {
    KeystoreClient.Builder builder = KeystoreClient.builder()
        .clientId(clientId)
        .signingKey(signingKey)
        .servers(servers)
        .quorums(quorums)
        .deadline(deadline)
        // Servers started from config files agree in rounds of this length, so an admin request
        // goes to its f + 1 first proposers only (KeystoreClient.Builder#adminRound).
        .adminRound(dev.meridian.keystore.server.KeyServer.AdminSettings.DEFAULT_ROUND)
        .transportSecurity(transportSecurity);
    writers.forEach(builder::writer);
    return builder.build();
  }

  /**
   * Writes these settings to {@code file} (replacing it atomically, so a reader sees the old file
   * or the whole new one), naming {@code keyFile} as the key file: relative to the file's
   * directory when it lies inside it (so are the TLS files). Public keys are written inline, in
   * hex.
   */
  public void write(Path file, Path keyFile) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    String keyName = relative(dir, keyFile);
    StringBuilder text = new StringBuilder();
    text.append("# Key service client configuration (README \"Running the key service\").\n");
    text.append("client.id = ").append(clientId).append('\n');
    text.append("key-file = ").append(keyName).append('\n');
    text.append("quorum.kind = ").append(quorums.kind().label()).append('\n');
    text.append("quorum.f = ").append(quorums.f()).append('\n');
    text.append("servers = ");
    for (int i = 0; i < servers.size(); i++) {
      ServerEndpoint s = servers.get(i);
      text.append(i == 0 ? "" : ", ").append(s.id()).append('@').append(hostPort(s.address()));
    }
    text.append('\n');
    for (ServerEndpoint s : servers) {
      text.append("server.").append(s.id()).append(".public-key = ")
          .append(KeyFiles.hex(s.key())).append('\n');
    }
    text.append("deadline-ms = ").append(deadline.toMillis()).append('\n');
    writers.forEach((id, k) -> text.append("writer.").append(id).append(".public-key = ")
        .append(KeyFiles.hex(k)).append('\n'));
    if (transportSecurity.isTls()) {
      text.append("tls.cert = ").append(relative(dir, transportSecurity.certificate().get()))
          .append('\n');
      text.append("tls.key = ").append(relative(dir, transportSecurity.privateKey().get()))
          .append('\n');
      text.append("tls.ca = ").append(relative(dir, transportSecurity.trustedCa().get()))
          .append('\n');
    }
    Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** {@code file} relative to {@code dir} when it lies inside it, else absolute. */
  private static String relative(Path dir, Path file) {
    Path f = file.toAbsolutePath();
    return f.startsWith(dir) ? dir.relativize(f).toString() : f.toString();
  }

  /** {@code host:port}, IPv6 hosts in brackets, by IP address (no lookup). */
  static String hostPort(InetSocketAddress address) {
    String host = address.getAddress() != null ? address.getAddress().getHostAddress()
        : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Without the signing key. */
  @Override
  public String toString() {
    return "ClientSettings[" + clientId + ", " + quorums.describe() + ", deadline "
        + deadline.toMillis() + " ms, " + writers.size() + " other writers"
        + (transportSecurity.isTls() ? ", TLS" : ", plaintext") + "]";
  }
}
