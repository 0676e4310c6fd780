package dev.meridian.keystore.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.tls.TlsCertificates;
import java.time.Duration;
import java.util.List;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Server and client configuration files: good files load with every field as written, and each
 * kind of bad field is refused with a message naming the field and what is wrong.
 */
class SettingsTest {
  @TempDir Path dir;
  private final SecureRandom random = new SecureRandom(new byte[] {7});
  private final Map<String, SigningKey> keys = new LinkedHashMap<>();

  @BeforeEach
  void identities() throws IOException {
    for (String id : new String[] {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
        "alice", "bob"}) {
      SigningKey key = SigningKey.generate(random);
      KeyFiles.writeIdentity(dir.resolve(id), key);
      keys.put(id, key);
    }
  }

  private Map<String, String> server() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("server.id", "s4");
    p.put("key-file", "s4.key");
    p.put("store", "memory");
    p.put("quorum.kind", "grid-cr");
    p.put("quorum.f", "1");
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      servers.append(i == 0 ? "" : ", ").append("s").append(i).append("@127.0.0.1:")
          .append(17000 + i);
    }
    p.put("servers", servers.toString());
    for (int i = 0; i < 9; i++) {
      // half inline hex, half .pub files, to cover both forms
      p.put("server.s" + i + ".public-key", i % 2 == 0
          ? KeyFiles.hex(keys.get("s" + i).verifyingKey()) : "s" + i + ".pub");
    }
    p.put("client.alice.public-key", "alice.pub");
    p.put("client.bob.public-key", KeyFiles.hex(keys.get("bob").verifyingKey()));
    p.put("acl.all.prefix", "");
    p.put("acl.all.allow", "alice:rw, bob:r");
    p.put("acl.ops.prefix", "ops/");
    p.put("acl.ops.allow", "bob:admin");
    return p;
  }

  private Map<String, String> client() {
    Map<String, String> p = server();
    p.keySet().removeIf(k -> k.startsWith("acl.") || k.startsWith("client.")
        || k.equals("server.id") || k.equals("store"));
    p.put("client.id", "alice");
    p.put("key-file", "alice.key");
    p.put("deadline-ms", "2500");
    p.put("writer.bob.public-key", "bob.pub");
    return p;
  }

  private Path write(String name, Map<String, String> fields) throws IOException {
    StringBuilder text = new StringBuilder("# test\n");
    fields.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void aGoodServerFileLoadsAsWritten() throws Exception {
    ServerSettings s = ServerSettings.load(write("s4.properties", server()));
    assertEquals("s4", s.serverId());
    assertEquals(4, s.index());
    assertEquals(17004, s.listen().getPort(), "listen defaults to the server's own entry");
    assertEquals(QuorumSystem.Kind.GRID_CR, s.quorums().kind());
    assertEquals(9, s.quorums().n());
    assertEquals(1, s.quorums().f());
    assertEquals(keys.get("s3").verifyingKey(), s.servers().get(3).key());
    assertEquals(keys.get("alice").verifyingKey(), s.clients().get("alice"));
    assertTrue(s.storeDirectory().isEmpty());
    assertTrue(s.policy().allows("alice", AccessPolicy.Right.WRITE, "x"));
    assertFalse(s.policy().allows("bob", AccessPolicy.Right.WRITE, "x"));
    assertTrue(s.policy().allows("bob", AccessPolicy.Right.WRITE, "ops/x"));
    assertFalse(s.policy().allows("alice", AccessPolicy.Right.READ, "ops/x"));
    assertEquals(keys.get("s4").verifyingKey(), s.keyServerConfig().signingKey().verifyingKey());
    assertFalse(s.toString().contains(hexSeed("s4")), "toString shows the seed");
  }

  @Test
  void aServerListensWhereItsFileSaysAndStoresInADirectory() throws Exception {
    Map<String, String> p = server();
    p.put("listen", "127.0.0.1:18004");
    p.put("store", "data/s4");
    ServerSettings s = ServerSettings.load(write("s4.properties", p));
    assertEquals(18004, s.listen().getPort());
    assertEquals(dir.resolve("data/s4"), s.storeDirectory().orElseThrow());
  }

  @Test
  void anAuditLogIsOptionalAndMustBeAFileInAnExistingDirectory() throws Exception {
    assertTrue(ServerSettings.load(write("s4.properties", server())).auditLog().isEmpty());
    Map<String, String> p = server();
    p.put("audit-log", "s4.audit.jsonl");
    ServerSettings s = ServerSettings.load(write("s4.properties", p));
    assertEquals(dir.resolve("s4.audit.jsonl"), s.auditLog().orElseThrow());
    assertTrue(s.toString().contains("audit log"), s.toString());
    for (String bad : new String[] {".", "no-such-dir/s4.audit.jsonl", "  # none"}) {
      p.put("audit-log", bad);
      Path file = write("s4.properties", p);
      ConfigException e = assertThrows(ConfigException.class, () -> ServerSettings.load(file));
      assertEquals("audit-log", e.field(), e.getMessage());
    }
  }

  @Test
  void valuesMayEndInAComment() throws Exception {
    Map<String, String> p = server();
    p.put("store", "memory            # or a RocksDB directory");
    p.put("acl.all.prefix", "       # every key");
    p.put("quorum.f", "1\t# the largest grid-cr allows at n = 9");
    ServerSettings s = ServerSettings.load(write("s4.properties", p));
    assertTrue(s.storeDirectory().isEmpty());
    assertEquals(1, s.quorums().f());
    assertTrue(s.policy().allows("alice", AccessPolicy.Right.WRITE, "x"));
  }

  @Test
  void aGoodClientFileLoadsAsWritten() throws Exception {
    ClientSettings c = ClientSettings.load(write("alice.properties", client()));
    assertEquals("alice", c.clientId());
    assertEquals(keys.get("alice").verifyingKey(), c.signingKey().verifyingKey());
    assertEquals(9, c.servers().size());
    assertEquals(2500, c.deadline().toMillis());
    assertEquals(Map.of("bob", keys.get("bob").verifyingKey()), c.writers());
    assertFalse(c.toString().contains(hexSeed("alice")));
  }

  @Test
  void aWrittenClientFileLoadsBackTheSame() throws Exception {
    ClientSettings c = ClientSettings.load(write("alice.properties", client()));
    Path copy = dir.resolve("copy.properties");
    c.write(copy, dir.resolve("alice.key"));
    String text = Files.readString(copy);
    assertTrue(text.contains("key-file = alice.key"), text);
    assertFalse(text.contains(hexSeed("alice")), "a client file holds the private key");
    ClientSettings back = ClientSettings.load(copy);
    assertEquals(c.servers(), back.servers());
    assertEquals(c.writers(), back.writers());
    assertEquals(c.quorums().describe(), back.quorums().describe());
    assertEquals(c.deadline(), back.deadline());
  }

  /** A client file without the optional fields gets the defaults. */
  @Test
  void optionalClientFieldsDefault() throws Exception {
    Map<String, String> p = client();
    p.remove("deadline-ms");
    p.remove("writer.bob.public-key");
    ClientSettings c = ClientSettings.load(write("alice.properties", p));
    assertEquals(ClientSettings.DEFAULT_DEADLINE, c.deadline());
    assertTrue(c.writers().isEmpty());
  }

  // --- bad fields ----------------------------------------------------------------------------

  private static Arguments bad(String kind, String field, String expected,
      Consumer<Map<String, String>> change) {
    return Arguments.of(kind, field, expected, change);
  }

  static Stream<Arguments> badServerFields() {
    return Stream.of(
        bad("unknown field", "quorum.kinds", "known fields: server.id, listen",
            p -> p.put("quorum.kinds", "grid-cr")),
        bad("missing", "store", "is required", p -> p.remove("store")),
        bad("empty", "quorum.kind", "is empty", p -> p.put("quorum.kind", " ")),
        bad("bad id", "server.id", "is not 1-64 characters", p -> p.put("server.id", "s 4")),
        bad("id not listed", "server.id", "not among the servers",
            p -> p.put("server.id", "s9")),
        bad("entry without @", "servers", "is not id@host:port",
            p -> p.put("servers", p.get("servers").replace("s3@", "s3="))),
        bad("address without port", "servers", "is not host:port",
            p -> p.put("servers", p.get("servers").replace("127.0.0.1:17003", "127.0.0.1"))),
        bad("port not a number", "servers", "port \"x\"",
            p -> p.put("servers", p.get("servers").replace(":17003", ":x"))),
        bad("port out of range", "servers", "not in [1, 65535]",
            p -> p.put("servers", p.get("servers").replace(":17003", ":70000"))),
        bad("address twice", "servers", "listed twice",
            p -> p.put("servers", p.get("servers").replace(":17003", ":17002"))),
        bad("empty entry", "servers", "empty entry",
            p -> p.put("servers", p.get("servers") + ",")),
        bad("bad listen", "listen", "is not host:port", p -> p.put("listen", "7000")),
        bad("unknown kind", "quorum.kind", "expected grid-cr, grid-mg or threshold",
            p -> p.put("quorum.kind", "majority")),
        bad("f not a number", "quorum.f", "must be an integer", p -> p.put("quorum.f", "one")),
        bad("f negative", "quorum.f", "must be an integer in [0,", p -> p.put("quorum.f", "-1")),
        bad("f beyond the construction", "quorum.f", "out of range for grid-cr",
            p -> p.put("quorum.f", "3")),
        bad("quorum check refuses", "quorum.f", "largest f grid-cr allows at n=9 is 1",
            p -> p.put("quorum.f", "2")),
        bad("not a square", "servers", "needs a square number",
            p -> p.put("servers", p.get("servers").replaceFirst(", s8@[^,]*$", ""))),
        bad("server key missing", "server.s7.public-key", "is required",
            p -> p.remove("server.s7.public-key")),
        bad("server key for no server", "server.s9.public-key", "not in `servers`",
            p -> p.put("server.s9.public-key", "s8.pub")),
        bad("key neither hex nor file", "server.s2.public-key", "neither 64 hex digits",
            p -> p.put("server.s2.public-key", "abcd")),
        bad("key not on the curve", "server.s2.public-key", "is not valid",
            p -> p.put("server.s2.public-key", "01" + "00".repeat(31))),
        bad("key file missing", "key-file", "no such key file", p -> p.put("key-file", "x.key")),
        bad("key file of another server", "key-file", "but server.s4.public-key is",
            p -> p.put("key-file", "s3.key")),
        bad("store is a file", "store", "is not a directory", p -> p.put("store", "s0.pub")),
        bad("no client", "client.<id>.public-key", "no client is configured",
            p -> p.keySet().removeIf(k -> k.startsWith("client."))),
        bad("bad client key", "client.bob.public-key", "neither 64 hex digits",
            p -> p.put("client.bob.public-key", "nope")),
        bad("no rule", "acl.<rule>.allow", "no access rule",
            p -> p.keySet().removeIf(k -> k.startsWith("acl."))),
        bad("rule without allow", "acl.ops.allow", "is required",
            p -> p.remove("acl.ops.allow")),
        bad("rule without prefix", "acl.ops.prefix", "is required",
            p -> p.remove("acl.ops.prefix")),
        bad("rule for an unknown client", "acl.all.allow", "carol has no client.carol.public-key",
            p -> p.put("acl.all.allow", "alice:rw, carol:r")),
        bad("bad rights", "acl.all.allow", "are not one of r, w, rw, admin",
            p -> p.put("acl.all.allow", "alice:rwx")),
        bad("grant without rights", "acl.all.allow", "is not client:rights",
            p -> p.put("acl.all.allow", "alice")),
        bad("same prefix twice", "acl.ops.prefix", "has the same prefix",
            p -> p.put("acl.ops.prefix", "")),
        bad("bad prefix", "acl.ops.prefix", "nor a key name",
            p -> p.put("acl.ops.prefix", "ops dir/")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badServerFields")
  void aBadServerFieldIsRefusedByName(String kind, String field, String expected,
      Consumer<Map<String, String>> change) throws IOException {
    Map<String, String> p = server();
    change.accept(p);
    Path file = write("s4.properties", p);
    ConfigException e = assertThrows(ConfigException.class, () -> ServerSettings.load(file));
    assertRefused(e, file, field, expected);
  }

  static Stream<Arguments> badClientFields() {
    return Stream.of(
        bad("a server field", "store", "unknown field; known fields: client.id",
            p -> p.put("store", "memory")),
        bad("missing id", "client.id", "is required", p -> p.remove("client.id")),
        bad("bad deadline", "deadline-ms", "must be an integer in [1, 600000]",
            p -> p.put("deadline-ms", "0")),
        bad("bad writer key", "writer.bob.public-key", "neither 64 hex digits",
            p -> p.put("writer.bob.public-key", "bob.public")),
        bad("own writer key differs", "writer.alice.public-key", "own id",
            p -> p.put("writer.alice.public-key", "bob.pub")),
        bad("threshold f too large", "quorum.f", "out of range for threshold",
            p -> {
              p.put("quorum.kind", "threshold");
              p.put("quorum.f", "5");
            }),
        bad("key file missing", "key-file", "is required", p -> p.remove("key-file")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badClientFields")
  void aBadClientFieldIsRefusedByName(String kind, String field, String expected,
      Consumer<Map<String, String>> change) throws IOException {
    Map<String, String> p = client();
    change.accept(p);
    Path file = write("alice.properties", p);
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertRefused(e, file, field, expected);
  }

  @Test
  void aFieldGivenTwiceIsRefused() throws IOException {
    Path file = write("alice.properties", client());
    Files.writeString(file, Files.readString(file) + "quorum.f = 1\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertRefused(e, file, "quorum.f", "more than once");
  }

  @Test
  void aMissingFileIsRefused() {
    Path file = dir.resolve("nope.properties");
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertEquals(file + ": no such file", e.getMessage());
  }

  @Test
  void aKeyFileOthersMayReadIsRefused() throws IOException {
    Path key = dir.resolve("alice.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Path file = write("alice.properties", client());
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertRefused(e, file, "key-file", "chmod 600");
  }

  @Test
  void aBadKeyFileIsDescribedWithoutItsContent() throws IOException {
    Path key = dir.resolve("alice.key");
    String secretLooking = hexSeed("alice").substring(0, 62) + "zz";
    Files.writeString(key, secretLooking + "\n");
    Path file = write("alice.properties", client());
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertRefused(e, file, "key-file", "other characters");
    assertFalse(e.getMessage().contains(secretLooking.substring(0, 16)), e.getMessage());
  }

  @Test
  void keyFilesArePrivateAndNeverOverwritten() throws IOException {
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("alice.key"))));
    String before = Files.readString(dir.resolve("alice.key"));
    assertThrows(FileAlreadyExistsException.class,
        () -> KeyFiles.writeIdentity(dir.resolve("alice"), SigningKey.generate(random)));
    assertEquals(before, Files.readString(dir.resolve("alice.key")));
    assertEquals(keys.get("alice").verifyingKey(),
        KeyFiles.readSigningKey(dir.resolve("alice.key")).verifyingKey());
    assertEquals(keys.get("alice").verifyingKey(),
        KeyFiles.readPublicKey(dir.resolve("alice.pub")));
  }

  // --- TLS fields ----------------------------------------------------------------------------

  /** A CA and certificates for s4 and alice in {@code dir}, as {@code keystore keygen} makes. */
  private void tlsFiles() throws IOException {
    TlsCertificates.writeCa(dir.resolve("ca"), "test CA", Duration.ofDays(2), random);
    TlsCertificates.issue(dir.resolve("ca"), dir.resolve("s4"), "s4", List.of("127.0.0.1"),
        Duration.ofDays(1), random);
    TlsCertificates.issue(dir.resolve("ca"), dir.resolve("alice"), "alice", List.of(),
        Duration.ofDays(1), random);
  }

  private static Map<String, String> withTls(Map<String, String> p, String id) {
    p.put("tls.cert", id + ".tls.crt");
    p.put("tls.key", id + ".tls.key");
    p.put("tls.ca", "ca.tls.crt");
    return p;
  }

  @Test
  void withoutTlsFieldsTransportIsPlaintextWithThemMutualTls() throws Exception {
    tlsFiles();
    assertFalse(ServerSettings.load(write("plain.properties", server())).transportSecurity()
        .isTls());
    ServerSettings s = ServerSettings.load(write("s4.properties", withTls(server(), "s4")));
    assertTrue(s.transportSecurity().isTls());
    assertEquals(dir.resolve("s4.tls.crt"), s.transportSecurity().certificate().orElseThrow());
    assertTrue(s.toString().contains("TLS"), s.toString());
    ClientSettings c = ClientSettings.load(write("alice.properties", withTls(client(), "alice")));
    assertEquals(dir.resolve("ca.tls.crt"), c.transportSecurity().trustedCa().orElseThrow());
  }

  @Test
  void aWrittenClientFileKeepsItsTlsFields() throws Exception {
    tlsFiles();
    ClientSettings c = ClientSettings.load(write("alice.properties", withTls(client(), "alice")));
    Path copy = dir.resolve("copy.properties");
    c.write(copy, dir.resolve("alice.key"));
    String text = Files.readString(copy);
    assertTrue(text.contains("tls.key = alice.tls.key"), text);
    assertFalse(text.contains("BEGIN"), "a client file holds PEM");
    ClientSettings back = ClientSettings.load(copy);
    assertEquals(c.transportSecurity().certificate(), back.transportSecurity().certificate());
    assertEquals(c.transportSecurity().privateKey(), back.transportSecurity().privateKey());
    assertEquals(c.transportSecurity().trustedCa(), back.transportSecurity().trustedCa());
  }

  @Test
  void badTlsFieldsAreRefusedByName() throws Exception {
    tlsFiles();
    TlsCertificates.writeCa(dir.resolve("other"), "other CA", Duration.ofDays(2), random);
    Files.writeString(dir.resolve("junk.crt"), "junk\n");
    record Case(String field, String expected, Consumer<Map<String, String>> change) {}
    List<Case> cases = List.of(
        new Case("tls.key", "is required once any TLS field is given",
            p -> p.remove("tls.key")),
        new Case("tls.cert", "is required once any TLS field is given", p -> {
          p.remove("tls.cert");
          p.remove("tls.ca");
        }),
        new Case("tls.ca", "is empty", p -> p.put("tls.ca", "")),
        new Case("tls.cert", "no such certificate file", p -> p.put("tls.cert", "nope.crt")),
        new Case("tls.ca", "is not a PEM certificate file", p -> p.put("tls.ca", "junk.crt")),
        new Case("tls.key", "is not the private key of", p -> p.put("tls.key", "alice.tls.key")),
        new Case("tls.cert", "is not signed by", p -> p.put("tls.ca", "other.tls.crt")),
        new Case("tls.key", "holds no unencrypted PKCS#8", p -> p.put("tls.key", "s4.tls.crt")));
    for (Case c : cases) {
      Map<String, String> p = withTls(server(), "s4");
      c.change().accept(p);
      Path file = write("s4.properties", p);
      if (p.getOrDefault("tls.key", "").endsWith(".crt")) {
        Files.setPosixFilePermissions(dir.resolve(p.get("tls.key")),
            PosixFilePermissions.fromString("rw-------"));
      }
      ConfigException e = assertThrows(ConfigException.class, () -> ServerSettings.load(file),
          c.toString());
      assertRefused(e, file, c.field(), c.expected());
      assertFalse(e.getMessage().contains("MII"), "PEM content in: " + e.getMessage());
    }
    Files.setPosixFilePermissions(dir.resolve("alice.tls.key"),
        PosixFilePermissions.fromString("rw-r-----"));
    Path file = write("alice.properties", withTls(client(), "alice"));
    ConfigException e = assertThrows(ConfigException.class, () -> ClientSettings.load(file));
    assertRefused(e, file, "tls.key", "chmod 600");
  }

  private static void assertRefused(ConfigException e, Path file, String field,
      String expected) {
    assertEquals(field, e.field(), e::getMessage);
    assertTrue(e.getMessage().startsWith(file + ": " + field + ": "), e::getMessage);
    assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: "
        + e.getMessage());
  }

  private String hexSeed(String id) {
    return HexFormat.of().formatHex(keys.get(id).seed());
  }
}
