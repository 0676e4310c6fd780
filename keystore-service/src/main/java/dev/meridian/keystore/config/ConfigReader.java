package dev.meridian.keystore.config;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.InvalidQuorumSystemException;
import dev.meridian.keystore.quorum.QuorumCheck;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.tls.TlsFileException;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Names;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the fields of one configuration file, turning every problem into a {@link
 * ConfigException} that names the file and the field. Relative paths resolve against the file's
 * directory. Besides the {@link Properties} comment lines, a value may end in a comment: white
 * space, {@code #}, and anything after it are dropped.
 */
final class ConfigReader {
  /** A field the format knows: its name as shown to users, and the pattern of its names. */
  record Field(String shown, Pattern pattern) {
    static Field exact(String name) {
      return new Field(name, Pattern.compile(Pattern.quote(name)));
    }

    /** {@code before<id>after}, e.g. {@code server.<id>.public-key}. */
    static Field family(String before, String placeholder, String after) {
      return new Field(before + placeholder + after,
          Pattern.compile(Pattern.quote(before) + "(.+)" + Pattern.quote(after)));
    }
  }

  private static final Pattern TRAILING_COMMENT = Pattern.compile("\\s+#.*$|^#.*$");

  private final Properties properties;
  private final Path baseDirectory;
  private final String source;

  ConfigReader(Properties properties, Path baseDirectory, String source) {
    this.properties = properties;
    this.baseDirectory = baseDirectory;
    this.source = source;
  }

  /** Loads {@code file} as UTF-8 properties, refusing a field given twice. */
  static ConfigReader load(Path file) throws ConfigException {
    String source = file.toString();
    Set<String> twice = new TreeSet<>();
    Properties properties = new Properties() {
      private static final long serialVersionUID = 1L;

      @Override
      public synchronized Object put(Object key, Object value) {
        if (containsKey(key)) {
          twice.add((String) key);
        }
        return super.put(key, value);
      }
    };
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException(source, null, "no such file");
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(source, null, "cannot be read: " + e.getMessage());
    }
    if (!twice.isEmpty()) {
      throw new ConfigException(source, twice.iterator().next(), "is given more than once");
    }
    Path dir = file.toAbsolutePath().getParent();
    return new ConfigReader(properties, dir, source);
  }

  ConfigException error(String field, String problem) {
    return new ConfigException(source, field, problem);
  }

  /** Refuses any field that matches none of {@code known}, listing the known ones. */
  void checkKnown(List<Field> known) throws ConfigException {
    for (String name : new TreeSet<>(properties.stringPropertyNames())) {
      boolean matches = known.stream().anyMatch(f -> f.pattern().matcher(name).matches());
      if (!matches) {
        throw error(name, "unknown field; known fields: "
            + String.join(", ", known.stream().map(Field::shown).toList()));
      }
    }
  }

  /** The value of {@code field} without a trailing comment, trimmed; null if absent. */
  private String value(String field) {
    String value = properties.getProperty(field);
    return value == null ? null : TRAILING_COMMENT.matcher(value).replaceFirst("").strip();
  }

  /** The trimmed value of a field that must be present and non-empty. */
  String required(String field) throws ConfigException {
    String value = value(field);
    if (value == null) {
      throw error(field, "is required");
    }
    if (value.isEmpty()) {
      throw error(field, "is empty");
    }
    return value;
  }

  /** The trimmed value of a field, or null if it is absent. */
  String optional(String field) {
    return value(field);
  }

  /** Every field of a family, by the id it names, in name order. */
  Map<String, String> family(Field family) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : new TreeSet<>(properties.stringPropertyNames())) {
      Matcher m = family.pattern().matcher(name);
      if (m.matches()) {
        out.put(m.group(1), value(name));
      }
    }
    return out;
  }

  String id(String field, String what) throws ConfigException {
    String value = required(field);
    if (!Names.isId(value)) {
      throw error(field, what + " \"" + value + "\" is not 1-64 characters of [A-Za-z0-9._-]");
    }
    return value;
  }

  int integer(String field, String value, int min, int max) throws ConfigException {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw error(field, "must be an integer in [" + min + ", " + max + "], was \"" + value + "\"");
  }

  /** {@code host:port} ({@code [v6]:port} for IPv6), resolved now. */
  InetSocketAddress address(String field, String value) throws ConfigException {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw error(field, "address \"" + value + "\" is not host:port");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw error(field, "address \"" + value + "\" is not host:port (write an IPv6 host as"
          + " [::1]:7000)");
    }
    String portText = value.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw error(field, "port \"" + portText + "\" of \"" + value + "\" is not a number");
    }
    if (port < 1 || port > 65535) {
      throw error(field, "port " + port + " of \"" + value + "\" is not in [1, 65535]");
    }
    if (host.isEmpty()) {
      throw error(field, "address \"" + value + "\" has no host");
    }
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw error(field, "host \"" + host + "\" of \"" + value + "\" does not resolve");
    }
    return address;
  }

  /** A path, relative to the configuration file's directory unless absolute. */
  Path path(String value) {
    Path p = Path.of(value);
    return p.isAbsolute() || baseDirectory == null ? p : baseDirectory.resolve(p);
  }

  /** A public key: 64 hex digits, or the path of a {@code .pub} file holding them. */
  VerifyingKey publicKey(String field, String value) throws ConfigException {
    if (value.isEmpty()) {
      throw error(field, "is empty");
    }
    try {
      if (KeyFiles.isPublicKeyHex(value)) {
        return KeyFiles.parsePublicKey(value);
      }
      Path file = path(value);
      if (!Files.isRegularFile(file)) {
        throw error(field, "is neither 64 hex digits nor a readable public-key file (" + file
            + " does not exist)");
      }
      return KeyFiles.readPublicKey(file);
    } catch (IllegalArgumentException | IOException e) {
      throw error(field, e.getMessage());
    }
  }

  /** The signing key in the file a field names. */
  SigningKey signingKey(String field) throws ConfigException {
    Path file = path(required(field));
    try {
      return KeyFiles.readSigningKey(file);
    } catch (NoSuchFileException e) {
      throw error(field, "no such key file: " + file);
    } catch (IOException | IllegalArgumentException e) {
      throw error(field, e.getMessage());
    }
  }

  /**
   * The transport security of {@code tls.cert}, {@code tls.key} and {@code tls.ca}: plaintext
   * when none is given, mutual TLS when all three are; any other combination, a file that does
   * not read or check, is refused naming the field.
   */
  TransportSecurity transportSecurity() throws ConfigException {
    String cert = optional("tls.cert");
    String key = optional("tls.key");
    String ca = optional("tls.ca");
    if (cert == null && key == null && ca == null) {
      return TransportSecurity.plaintext();
    }
    String[][] fields = {{"tls.cert", cert}, {"tls.key", key}, {"tls.ca", ca}};
    for (String[] f : fields) {
      if (f[1] == null) {
        throw error(f[0], "is required once any TLS field is given (TLS needs all three:"
            + " tls.cert, tls.key, tls.ca; give none for plaintext)");
      }
      if (f[1].isEmpty()) {
        throw error(f[0], "is empty");
      }
    }
    try {
      return TransportSecurity.mutualTls(path(cert), path(key), path(ca));
    } catch (TlsFileException e) {
      String field = switch (e.part()) {
        case CERTIFICATE -> "tls.cert";
        case PRIVATE_KEY -> "tls.key";
        case TRUSTED_CA -> "tls.ca";
      };
      throw error(field, e.getMessage());
    }
  }

  /** A server as listed in {@code servers}: {@code id@host:port}. */
  record Listed(String id, InetSocketAddress address) {}

  /** The {@code servers} field: {@code id@host:port} entries separated by commas, grid order. */
  List<Listed> servers(String field) throws ConfigException {
    List<Listed> out = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    Set<InetSocketAddress> addresses = new LinkedHashSet<>();
    for (String entry : list(field, required(field))) {
      int at = entry.indexOf('@');
      if (at < 0) {
        throw error(field, "entry \"" + entry + "\" is not id@host:port");
      }
      String id = entry.substring(0, at).strip();
      if (!Names.isId(id)) {
        throw error(field, "server id \"" + id + "\" is not 1-64 characters of [A-Za-z0-9._-]");
      }
      if (!ids.add(id)) {
        throw error(field, "server id " + id + " is listed twice");
      }
      InetSocketAddress address = address(field, entry.substring(at + 1).strip());
      if (!addresses.add(address)) {
        throw error(field, "address " + entry.substring(at + 1).strip() + " is listed twice");
      }
      out.add(new Listed(id, address));
    }
    return out;
  }

  /** A comma-separated list; empty entries are an error. */
  List<String> list(String field, String value) throws ConfigException {
    List<String> out = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String entry = part.strip();
      if (entry.isEmpty()) {
        throw error(field, "has an empty entry in \"" + value + "\"");
      }
      out.add(entry);
    }
    return out;
  }

  /**
   * The quorum system of {@code quorum.kind} and {@code quorum.f} over {@code n} servers,
   * checked by {@link QuorumCheck}.
   */
  QuorumSystem quorums(int n) throws ConfigException {
    QuorumSystem.Kind kind;
    try {
      kind = QuorumSystem.Kind.fromLabel(required("quorum.kind"));
    } catch (IllegalArgumentException e) {
      throw error("quorum.kind", e.getMessage());
    }
    int f = integer("quorum.f", required("quorum.f"), 0, 1000);
    if (kind != QuorumSystem.Kind.THRESHOLD) {
      int side = (int) Math.round(Math.sqrt(n));
      if (side * side != n) {
        throw error("servers", "lists " + n + " servers, but " + kind.label() + " needs a"
            + " square number of them (s x s)");
      }
    }
    QuorumSystem system;
    try {
      system = QuorumSystems.of(kind, n, f);
    } catch (IllegalArgumentException e) {
      throw error("quorum.f", e.getMessage());
    }
    try {
      QuorumCheck.verify(system);
    } catch (InvalidQuorumSystemException e) {
      int largest = QuorumSystems.largestF(kind, n);
      throw error("quorum.f", "refused by the quorum check: " + e.getMessage()
          + (largest >= 0 ? "; the largest f " + kind.label() + " allows at n=" + n + " is "
              + largest : ""));
    }
    return system;
  }
}
