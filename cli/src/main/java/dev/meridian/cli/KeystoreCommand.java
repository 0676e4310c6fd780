package dev.meridian.cli;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ReadResult;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.client.ServerProbe;
import dev.meridian.keystore.client.ServerStats;
import dev.meridian.keystore.config.ClientSettings;
import dev.meridian.keystore.config.ConfigException;
import dev.meridian.keystore.config.GridDirectory;
import dev.meridian.keystore.config.KeyFiles;
import dev.meridian.keystore.config.ServerSettings;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.InvalidQuorumSystemException;
import dev.meridian.keystore.quorum.QuorumCheck;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.AuditException;
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.tls.TlsCertificates;
import dev.meridian.keystore.wire.Names;
import dev.meridian.keystore.wire.Versions;
import dev.meridian.proto.v1.OperationStats;
import dev.meridian.proto.v1.AclRule;
import dev.meridian.proto.v1.StatsBody;
import dev.meridian.proto.v1.Version;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./meridian keystore …}: identities, one server from a configuration file, a whole local
 * grid, and a client's put, get, delete and status. Exit status: 0 on success; 1 when the
 * operation failed (a configuration file refused, a key not found, no quorum, a server refusing,
 * a file that would be overwritten); 2 on a usage error. Failures print one line on stderr
 * naming what failed; no private key or secret value is ever printed except the value {@code
 * get} was asked for.
 */
@Command(name = "keystore", mixinStandardHelpOptions = true,
    description = {
      "The Byzantine-tolerant key service: identities, servers, a local grid, and a client.",
      "Configuration files are java.util.Properties; README \"Running the key service\" shows"
          + " both formats. Exit status: 0 ok, 1 the operation failed (bad config file, key not"
          + " found, no quorum, refused), 2 usage error.",
      "grant and revoke change the access rules at run time: the servers order them by"
          + " Byzantine agreement (Dolev-Strong), so every correct server holds the same rules.",
      "TLS: keygen --ca makes a CA, keygen --tls-ca a certificate it signs; tls.cert, tls.key"
          + " and tls.ca in a config file turn on mutual TLS (README \"TLS\"). local-grid runs"
          + " TLS unless --plaintext."
    },
    subcommands = {
      KeystoreCommand.Keygen.class,
      KeystoreCommand.Serve.class,
      KeystoreCommand.LocalGridCommand.class,
      KeystoreCommand.Put.class,
      KeystoreCommand.Get.class,
      KeystoreCommand.Delete.class,
      KeystoreCommand.Grant.class,
      KeystoreCommand.Revoke.class,
      KeystoreCommand.Refresh.class,
      KeystoreCommand.Handoff.class,
      KeystoreCommand.StatusCommand.class,
    })
public final class KeystoreCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "missing subcommand: one of keygen, serve, local-grid, put, get, delete, grant, revoke,"
            + " refresh, handoff, status");
  }

  /** Prints {@code keystore NAME: message} on stderr and returns exit status 1. */
  static int failed(CommandLine cmd, String message) {
    PrintWriter err = cmd.getErr();
    err.println("keystore " + cmd.getCommandName() + ": " + message);
    err.flush();
    return 1;
  }

  /**
   * Runs until Ctrl-C / SIGTERM (a shutdown hook stops {@code running} cleanly) or, with {@code
   * seconds}, until that much time has passed or the thread is interrupted.
   */
  static void runUntilStopped(PrintWriter out, AutoCloseable running, Long seconds) {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "keystore-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (seconds == null) {
        stop.await();
      } else {
        stop.await(seconds, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        running.close();
      } catch (Exception e) {
        out.println("stopping: " + e.getMessage());
      }
      out.println("stopped");
      out.flush();
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it returns as soon as stopped is counted down
      }
    }
  }

  static void checkSeconds(CommandLine cmd, Long seconds) {
    if (seconds != null && (seconds < 1 || seconds > 365L * 24 * 3600)) {
      throw new ParameterException(cmd, "--for must be in [1, 31536000] seconds, got " + seconds);
    }
  }

  // ---------------------------------------------------------------- keygen

  @Command(name = "keygen", mixinStandardHelpOptions = true,
      description = {
        "Generate an Ed25519 identity (a client's or a server's): PREFIX.key holds the private"
            + " seed (hex, permissions 600), PREFIX.pub the public key (hex). Prints the public"
            + " key and both paths; never the private key. Refuses to overwrite any file (exit"
            + " 1).",
        "With --ca: make a TLS certificate authority instead: PREFIX.tls.crt (its certificate,"
            + " PEM) and PREFIX.tls.key (its ECDSA P-256 key, PKCS#8 PEM, permissions 600).",
        "With --tls-ca CA: also make a TLS certificate for the identity, signed by the CA at"
            + " prefix CA: PREFIX.tls.crt and PREFIX.tls.key, named after PREFIX's file name,"
            + " for the --host names (a server needs the addresses clients dial; a client needs"
            + " none). An existing PREFIX.key is kept, so a certificate can be added to an"
            + " identity made before."
      })
  static final class Keygen implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "PREFIX",
        description = "Where to write: PREFIX.key and PREFIX.pub, e.g. keys/alice.")
    Path prefix;

    @Option(names = "--ca", description = "Make a TLS certificate authority at PREFIX instead"
        + " of an identity.")
    boolean ca;

    @Option(names = "--tls-ca", paramLabel = "CA",
        description = "Also make a TLS certificate signed by the CA at prefix CA (made with"
            + " --ca): CA.tls.crt and CA.tls.key must exist.")
    Path tlsCa;

    @Option(names = "--host", paramLabel = "HOST", split = ",",
        description = "With --tls-ca: an IP address or DNS name the certificate is good for"
            + " (repeatable or comma-separated), e.g. --host 10.0.0.1,ks0.example.org.")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--days", paramLabel = "DAYS",
        description = "Validity of a TLS certificate (default: 3650 for a CA, 365 otherwise;"
            + " never past the CA's own).")
    Integer days;

    @Override
    public Integer call() {
      CommandLine cmd = spec.commandLine();
      if (prefix.getFileName() == null) {
        throw new ParameterException(cmd, "--out must name a file prefix, got " + prefix);
      }
      if (ca && tlsCa != null) {
        throw new ParameterException(cmd, "--ca makes a CA; --tls-ca makes a certificate signed"
            + " by one: give one of them");
      }
      if (!hosts.isEmpty() && tlsCa == null) {
        throw new ParameterException(cmd, "--host needs --tls-ca (it names the hosts of a TLS"
            + " certificate)");
      }
      if (days != null && (days < 1 || days > 36500)) {
        throw new ParameterException(cmd, "--days must be in [1, 36500], got " + days);
      }
      if (days != null && !ca && tlsCa == null) {
        throw new ParameterException(cmd, "--days needs --ca or --tls-ca (an Ed25519 identity"
            + " does not expire)");
      }
      try {
        Path parent = prefix.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
      } catch (IOException e) {
        return failed(cmd, "cannot create the directory of " + prefix + ": " + e);
      }
      if (ca) {
        return makeCa(cmd);
      }
      PrintWriter out = cmd.getOut();
      if (tlsCa != null) {
        // Checked before the identity is written, so a failure leaves nothing half made.
        Path caCert = TlsCertificates.certificateFile(tlsCa);
        if (!Files.exists(caCert)) {
          return failed(cmd, "no CA certificate " + caCert + " (make one with keygen --ca --out "
              + tlsCa + ")");
        }
        for (String host : hosts) {
          try {
            TlsCertificates.checkHost(host);
          } catch (IllegalArgumentException e) {
            throw new ParameterException(cmd, "--host: " + e.getMessage());
          }
        }
        for (Path p : List.of(TlsCertificates.certificateFile(prefix),
            TlsCertificates.privateKeyFile(prefix))) {
          if (Files.exists(p)) {
            return failed(cmd, "refusing to overwrite " + p);
          }
        }
      }
      if (tlsCa != null && Files.exists(KeyFiles.keyFile(prefix))) {
        out.println("identity: keeping " + KeyFiles.keyFile(prefix).toAbsolutePath());
      } else if (identity(cmd) != 0) {
        return 1;
      }
      return tlsCa == null ? 0 : certificate(cmd);
    }

    private int makeCa(CommandLine cmd) {
      String name = "meridian CA " + prefix.getFileName();
      try {
        TlsCertificates.writeCa(prefix, name, days == null ? TlsCertificates.CA_VALIDITY
            : Duration.ofDays(days), new SecureRandom());
      } catch (FileAlreadyExistsException e) {
        return failed(cmd, "refusing to overwrite " + e.getFile());
      } catch (IOException e) {
        return failed(cmd, "cannot write the CA: " + e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      out.println("CA certificate: " + TlsCertificates.certificateFile(prefix).toAbsolutePath()
          + " (give it to every server and client as tls.ca)");
      out.println("CA private key: " + TlsCertificates.privateKeyFile(prefix).toAbsolutePath()
          + " (keep it secret and off the servers; permissions 600)");
      out.flush();
      return 0;
    }

    private int certificate(CommandLine cmd) {
      String name = prefix.getFileName().toString();
      try {
        TlsCertificates.issue(tlsCa, prefix, name, hosts, days == null
            ? TlsCertificates.CERTIFICATE_VALIDITY : Duration.ofDays(days), new SecureRandom());
      } catch (FileAlreadyExistsException e) {
        return failed(cmd, "refusing to overwrite " + e.getFile());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(cmd, "--host: " + e.getMessage());
      } catch (IOException e) {
        return failed(cmd, "cannot make the TLS certificate: " + e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      out.println("TLS certificate: " + TlsCertificates.certificateFile(prefix).toAbsolutePath()
          + " (CN=" + name + (hosts.isEmpty() ? "" : ", for " + String.join(", ", hosts))
          + "; tls.cert)");
      out.println("TLS private key: " + TlsCertificates.privateKeyFile(prefix).toAbsolutePath()
          + " (keep it secret; permissions 600; tls.key)");
      out.flush();
      return 0;
    }

    private int identity(CommandLine cmd) {
      SigningKey key = SigningKey.generate(new SecureRandom());
      try {
        KeyFiles.writeIdentity(prefix, key);
      } catch (FileAlreadyExistsException e) {
        return failed(cmd, "refusing to overwrite " + e.getFile());
      } catch (IOException e) {
        return failed(cmd, "cannot write " + KeyFiles.keyFile(prefix) + " and .pub: " + e);
      } finally {
        key.destroy();
      }
      PrintWriter out = cmd.getOut();
      out.println("public key: " + KeyFiles.hex(key.verifyingKey()));
      out.println("private key: " + KeyFiles.keyFile(prefix).toAbsolutePath()
          + " (keep it secret; permissions 600)");
      out.println("public key file: " + KeyFiles.publicKeyFile(prefix).toAbsolutePath());
      out.flush();
      return 0;
    }
  }

  // ---------------------------------------------------------------- serve

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run one key server from a server configuration file until Ctrl-C or"
          + " SIGTERM (which stop it cleanly: calls in progress finish, the store is closed)."
          + " Prints one line when it listens.")
  static final class Serve implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "The server's configuration file.")
    Path config;

    @Option(names = "--for", paramLabel = "SECONDS",
        description = "Stop by itself after this many seconds (for scripts and tests).")
    Long seconds;

    @Override
    public Integer call() {
      CommandLine cmd = spec.commandLine();
      checkSeconds(cmd, seconds);
      ServerSettings settings;
      try {
        settings = ServerSettings.load(config);
      } catch (ConfigException e) {
        return failed(cmd, e.getMessage());
      }
      KeyServer server;
      try {
        server = settings.start();
      } catch (StoreException e) {
        return failed(cmd, "store: " + e.getMessage());
      } catch (AuditException e) {
        return failed(cmd, "audit-log: " + e.getMessage());
      } catch (IOException e) {
        return failed(cmd, "cannot listen on " + settings.listen() + ": " + e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      out.println("keystore server " + settings.serverId() + " listening on "
          + hostPort(server.address()) + " (" + settings.quorums().describe() + ", "
          + settings.clients().size() + " clients, store "
          + settings.storeDirectory().map(Path::toString).orElse("in memory")
          + settings.auditLog().map(p -> ", audit log " + p).orElse(", no audit log") + ", "
          + (settings.transportSecurity().isTls() ? "mutual TLS" : "plaintext") + ")");
      out.flush();
      runUntilStopped(out, server, seconds);
      return 0;
    }
  }

  // ---------------------------------------------------------------- local-grid

  @Command(name = "local-grid", mixinStandardHelpOptions = true,
      description = {
        "Run a whole grid in this process: SIZE x SIZE servers s0, s1, ... on 127.0.0.1 (free"
            + " ports) with generated identities and in-memory stores; every client may read and"
            + " write every key. Writes each identity (NAME.key, NAME.pub) and one client"
            + " configuration per client (CLIENT.properties) to DIR, and each server's audit log"
            + " (s<i>.audit.jsonl, one JSON line per access decision), then prints the commands"
            + " that use them. Runs until Ctrl-C, or for --for seconds.",
        "TLS unless --plaintext: a CA (DIR/ca.tls.crt, .tls.key) and a certificate from it for"
            + " every server and client (NAME.tls.crt, NAME.tls.key); the servers require mutual"
            + " TLS and the client configurations name their TLS files.",
        "Identities already in DIR are reused; client configurations are rewritten (the ports"
            + " change)."
      })
  static final class LocalGridCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--size", required = true, paramLabel = "S",
        description = "Side of the grid: S x S servers (for threshold too).")
    int size;

    @Option(names = "--dir", paramLabel = "DIR",
        description = "Where to write identities and client configs (created if missing;"
            + " default: a temporary directory deleted when the grid stops).")
    Path dir;

    @Option(names = "--clients", paramLabel = "IDS", split = ",", defaultValue = "alice,bob",
        description = "The clients, comma-separated (default: ${DEFAULT-VALUE}).")
    List<String> clients;

    @Option(names = "--quorum", paramLabel = "KIND", defaultValue = "grid-cr",
        description = "grid-cr, grid-mg or threshold (default: ${DEFAULT-VALUE}).")
    String quorum;

    @Option(names = "--f", paramLabel = "F",
        description = "Byzantine servers tolerated (default: the largest the kind allows at"
            + " S x S, as the quorum check finds it).")
    Integer f;

    @Option(names = "--persist",
        description = "Store in RocksDB under DIR/store (needs --dir); a grid restarted on the"
            + " same DIR and size reads what it stored.")
    boolean persist;

    @Option(names = "--for", paramLabel = "SECONDS",
        description = "Stop by itself after this many seconds (for scripts and CI).")
    Long seconds;

    @Option(names = "--plaintext",
        description = "No TLS: plaintext gRPC, no certificates made.")
    boolean plaintext;

    @Option(names = "--like", paramLabel = "DIR",
        description = "Take the clients' identities (NAME.key, NAME.pub) and the TLS CA from"
            + " the local grid in DIR, with new server identities: a grid that the one in DIR"
            + " can hand its secrets over to (keystore handoff).")
    Path like;

    @Override
    public Integer call() throws IOException {
      CommandLine cmd = spec.commandLine();
      checkSeconds(cmd, seconds);
      if (size < 1 || size > 10) {
        throw new ParameterException(cmd, "--size must be in [1, 10], got " + size);
      }
      if (persist && dir == null) {
        throw new ParameterException(cmd, "--persist needs --dir (where the stores live)");
      }
      for (String client : clients) {
        if (!Names.isId(client)) {
          throw new ParameterException(cmd, "--clients: client id \"" + client
              + "\" is not 1-64 characters of [A-Za-z0-9._-]");
        }
      }
      QuorumSystem.Kind kind;
      try {
        kind = QuorumSystem.Kind.fromLabel(quorum);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(cmd, "--quorum: " + e.getMessage());
      }
      int n = size * size;
      int largest = QuorumSystems.largestF(kind, n);
      int chosenF = f != null ? f : largest;
      if (chosenF < 0) {
        throw new ParameterException(cmd, kind.label() + " at n=" + n
            + " tolerates no fault at all; try a larger --size");
      }
      QuorumSystem quorums;
      try {
        quorums = QuorumSystems.of(kind, n, chosenF);
        QuorumCheck.verify(quorums);
      } catch (IllegalArgumentException | InvalidQuorumSystemException e) {
        throw new ParameterException(cmd, "--f " + chosenF + ": " + e.getMessage()
            + "; the largest f " + kind.label() + " allows at n=" + n + " is " + largest);
      }
      boolean temporary = dir == null;
      Path where = temporary ? Files.createTempDirectory("meridian-grid-") : dir;
      GridDirectory grid;
      try {
        if (like != null) {
          copyIdentities(like, where);
        }
        grid = GridDirectory.start(where, quorums, clients, persist, !plaintext);
      } catch (IllegalArgumentException e) {
        deleteIfTemporary(temporary, where);
        throw new ParameterException(cmd, "--clients: " + e.getMessage());
      } catch (IOException | StoreException | InvalidQuorumSystemException e) {
        deleteIfTemporary(temporary, where);
        return failed(cmd, e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      out.println("local grid: " + n + " servers on 127.0.0.1, " + quorums.describe());
      out.println("f = " + chosenF + (f == null ? " (the largest " + kind.label()
          + " allows at n = " + n + ")" : "") + ", t = " + quorums.t() + ", quorum size "
          + quorums.quorumSize() + ", epoch 0");
      for (ServerEndpoint server : grid.endpoints()) {
        out.println("  " + server.id() + " " + hostPort(server.address()));
      }
      out.println("stores: " + (persist ? "RocksDB under " + grid.directory().resolve("store")
          : "in memory (gone when the grid stops)"));
      out.println("audit logs: " + GridDirectory.auditLog(grid.directory(), "s<i>")
          + " (one JSON line per access decision)");
      out.println("identities and client configs: " + grid.directory()
          + (temporary ? " (temporary: deleted when the grid stops)" : ""));
      out.println(grid.trustedCa().map(ca -> "transport: mutual TLS; CA certificate " + ca
          + " (each NAME.tls.crt/.tls.key is signed by it; requests are still signed with"
          + " NAME.key)").orElse("transport: plaintext (--plaintext)"));
      out.println("connect with:");
      for (Map.Entry<String, Path> e : grid.clientConfigs().entrySet()) {
        String config = e.getValue().toString();
        out.println("  ./meridian keystore put --config " + config + " greeting hello");
        out.println("  ./meridian keystore get --config " + config + " greeting");
        out.println("  ./meridian keystore delete --config " + config + " greeting");
        out.println("  ./meridian keystore status --config " + config);
      }
      out.println(seconds == null ? "running; Ctrl-C stops the grid"
          : "running for " + seconds + " s");
      out.flush();
      runUntilStopped(out, () -> {
        grid.close();
        deleteIfTemporary(temporary, where);
      }, seconds);
      return 0;
    }

    private static void deleteIfTemporary(boolean temporary, Path dir) {
      if (!temporary) {
        return;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort: a temporary directory
      }
    }

    /**
     * Copies the clients' key files and the CA's files from {@code from} into {@code to} (made if
     * missing), never over a file {@code to} has.
     *
     * @throws IOException naming a file that is missing in {@code from}
     */
    private void copyIdentities(Path from, Path to) throws IOException {
      if (!Files.isDirectory(from)) {
        throw new IOException("--like " + from + " is not a directory");
      }
      if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
        throw new IOException("--like names the grid's own directory " + to);
      }
      Files.createDirectories(to);
      List<String> files = new ArrayList<>();
      for (String client : clients) {
        files.add(client + ".key");
        files.add(client + ".pub");
      }
      if (!plaintext) {
        files.add("ca.tls.crt");
        files.add("ca.tls.key");
      }
      for (String name : files) {
        Path source = from.resolve(name);
        if (!Files.exists(source)) {
          throw new IOException("--like " + from + " has no " + name + " (is it a local grid's"
              + " directory with the same --clients" + (plaintext ? "" : " and TLS") + "?)");
        }
        if (!Files.exists(to.resolve(name))) {
          Files.copy(source, to.resolve(name), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  // ---------------------------------------------------------------- client commands

  /** What every client command shares: its configuration file, and the client it makes. */
  abstract static class ClientCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "The client's configuration file.")
    Path config;

    /** Runs the operation; a config, service or argument failure becomes exit status 1. */
    @Override
    public final Integer call() {
      CommandLine cmd = spec.commandLine();
      ClientSettings settings;
      try {
        settings = ClientSettings.load(config);
      } catch (ConfigException e) {
        return failed(cmd, e.getMessage());
      }
      try {
        return run(cmd, settings);
      } catch (KeystoreException e) {
        return failed(cmd, e.getMessage());
      } catch (io.grpc.StatusRuntimeException e) {
        Status status = Status.fromThrowable(e);
        return failed(cmd, status.getCode() + ": " + status.getDescription());
      } catch (IOException e) {
        return failed(cmd, e.toString());
      } finally {
        settings.signingKey().destroy();
      }
    }

    abstract int run(CommandLine cmd, ClientSettings settings)
        throws KeystoreException, IOException;

    static String checkedKey(CommandLine cmd, String key) {
      if (!Names.isKey(key)) {
        throw new ParameterException(cmd, "KEY \"" + key
            + "\" is not 1-256 characters of [A-Za-z0-9._/:@-]");
      }
      return key;
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Store a value under KEY (a new version): VALUE as UTF-8 text, or the bytes"
          + " of --value-file (- for standard input; better for secrets, which a command line"
          + " shows to other users and the shell history). 1 byte to 60 KiB.")
  static final class Put extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY", description = "The key: 1-256 characters of"
        + " [A-Za-z0-9._/:@-].")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE",
        description = "The value, as UTF-8 text.")
    String value;

    @Option(names = "--value-file", paramLabel = "PATH",
        description = "Read the value from this file (- for standard input).")
    String valueFile;

    @Override
    int run(CommandLine cmd, ClientSettings settings) throws KeystoreException, IOException {
      checkedKey(cmd, key);
      if ((value == null) == (valueFile == null)) {
        throw new ParameterException(cmd, "give the value either as VALUE or with --value-file,"
            + " not " + (value == null ? "neither" : "both"));
      }
      byte[] bytes = value != null ? value.getBytes(StandardCharsets.UTF_8)
          : valueFile.equals("-") ? System.in.readAllBytes()
          : Files.readAllBytes(Path.of(valueFile));
      if (bytes.length == 0 || bytes.length > 60 * 1024) {
        return failed(cmd, "the value must be 1 byte to 60 KiB, was " + bytes.length
            + " bytes");
      }
      try (KeystoreClient client = settings.connect()) {
        Version version = client.put(key, bytes);
        cmd.getOut().println("stored " + key + " as version " + Versions.show(version));
        cmd.getOut().flush();
        return 0;
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Print the value of KEY (UTF-8 text; --out FILE for any bytes). Exit 1 when"
          + " it has no value. Servers caught misbehaving on the way are named on stderr.")
  static final class Get extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Option(names = "--out", paramLabel = "FILE",
        description = "Write the value's bytes to this new file (permissions 600) instead.")
    Path outFile;

    @Override
    int run(CommandLine cmd, ClientSettings settings) throws KeystoreException, IOException {
      checkedKey(cmd, key);
      ReadResult result;
      try (KeystoreClient client = settings.connect()) {
        result = client.get(key);
      }
      PrintWriter err = cmd.getErr();
      result.misbehaving().forEach((server, what) ->
          err.println("keystore get: server " + server + " misbehaved: " + what));
      if (result.faultBoundExceeded()) {
        err.println("keystore get: more than f = " + settings.quorums().f() + " servers"
            + " misbehaved: the fault bound is exceeded and the value may not be the last one"
            + " written");
      }
      err.flush();
      byte[] value = result.value();
      try {
        if (outFile != null) {
          Files.createFile(outFile, java.nio.file.attribute.PosixFilePermissions
              .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString(
                  "rw-------")));
          Files.write(outFile, value, StandardOpenOption.TRUNCATE_EXISTING);
          cmd.getOut().println("wrote " + value.length + " bytes of " + key + " (version "
              + Versions.show(result.version()) + ") to " + outFile);
        } else {
          String text;
          try {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(value)).toString();
          } catch (CharacterCodingException e) {
            return failed(cmd, "the value of " + key + " is " + value.length + " bytes that are"
                + " not UTF-8 text; use --out FILE");
          }
          cmd.getOut().println(text);
        }
        cmd.getOut().flush();
        return 0;
      } catch (FileAlreadyExistsException e) {
        return failed(cmd, "refusing to overwrite " + outFile);
      } finally {
        Arrays.fill(value, (byte) 0);
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete KEY: a signed tombstone version; later reads find no value.")
  static final class Delete extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Override
    int run(CommandLine cmd, ClientSettings settings) throws KeystoreException {
      checkedKey(cmd, key);
      try (KeystoreClient client = settings.connect()) {
        Version version = client.delete(key);
        cmd.getOut().println("deleted " + key + " (tombstone version " + Versions.show(version)
            + ")");
        cmd.getOut().flush();
        return 0;
      }
    }
  }

  /** What grant and revoke share: which right, on which keys, for whom. */
  abstract static class AclCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "CLIENT", description = "The client the right is"
        + " given to or taken from (it must be configured at the servers).")
    String client;

    @Parameters(index = "1", paramLabel = "RIGHT", description = "r (read), w (write) or admin"
        + " (read, write and change the rules under the prefix).")
    String right;

    @Option(names = "--prefix", paramLabel = "PREFIX", defaultValue = "",
        description = "The keys the right covers: those starting with PREFIX (default: every"
            + " key).")
    String prefix;

    abstract boolean grant();

    @Override
    final int run(CommandLine cmd, ClientSettings settings) throws KeystoreException {
      if (!Names.isId(client)) {
        throw new ParameterException(cmd, "CLIENT \"" + client
            + "\" is not 1-64 characters of [A-Za-z0-9._-]");
      }
      if (!prefix.isEmpty()) {
        checkedKey(cmd, prefix);
      }
      AccessPolicy.Right r = switch (right) {
        case "r" -> AccessPolicy.Right.READ;
        case "w" -> AccessPolicy.Right.WRITE;
        case "admin" -> AccessPolicy.Right.ADMIN;
        default -> throw new ParameterException(cmd, "RIGHT must be r, w or admin, was \""
            + right + "\"");
      };
      try (KeystoreClient keystore = settings.connect()) {
        long sequence = grant() ? keystore.grant(prefix, client, r)
            : keystore.revoke(prefix, client, r);
        cmd.getOut().println((grant() ? "granted " : "revoked ") + right
            + (grant() ? " to " : " from ") + client + " on "
            + (prefix.isEmpty() ? "every key" : "keys starting with " + prefix)
            + " (admin action " + sequence + ", agreed by the servers)");
        cmd.getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "grant", mixinStandardHelpOptions = true,
      description = "Give CLIENT a RIGHT on the keys under --prefix. This client must administer"
          + " that prefix. Takes effect at every correct server once agreed (about a second).")
  static final class Grant extends AclCommand {
    @Override
    boolean grant() {
      return true;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Take a RIGHT on the keys under --prefix from CLIENT (a rule for exactly that"
          + " prefix changes; one is added if none exists, copying the rule that decided before)."
          + " An admin of the prefix still reads and writes it: revoke admin first.")
  static final class Revoke extends AclCommand {
    @Override
    boolean grant() {
      return false;
    }
  }

  @Command(name = "refresh", mixinStandardHelpOptions = true,
      description = "Start a proactive share refresh (needs the admin right on every key): the"
          + " servers agree to run it, deal each other sharings of zero, agree which dealings are"
          + " valid, and move every share to a new polynomial of the same secret. Returns once"
          + " the servers decided to run it; they apply it within seconds (status"
          + " --metrics shows the last refresh each server applied). Reads and writes go on.")
  static final class Refresh extends ClientCommand {
    @Override
    int run(CommandLine cmd, ClientSettings settings) throws KeystoreException {
      try (KeystoreClient keystore = settings.connect()) {
        long sequence = keystore.refresh();
        cmd.getOut().println("share refresh decided (admin action " + sequence + ", agreed by"
            + " the servers); they apply it within a few seconds");
        cmd.getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "handoff", mixinStandardHelpOptions = true,
      description = "Move every stored secret to another grid, re-shared with its threshold (a"
          + " reconfiguration: servers added, removed or replaced, another f; needs the admin"
          + " right on"
          + " every key in both grids). The new grid (--to) first agrees to take them over;"
          + " then this grid (--config) agrees to hand them over and stops taking writes; its"
          + " servers re-deal their shares to the new servers, which agree which dealings are"
          + " valid and combine them into shares of new sharings of the same secrets. No secret"
          + " passes through this client. Waits until n - f servers of the new grid report the"
          + " intake complete (exit 0), or --wait-seconds (exit 1). Afterwards point clients at"
          + " the new grid, then stop the old servers and delete their stores.")
  static final class Handoff extends ClientCommand {
    @Option(names = "--to", required = true, paramLabel = "FILE",
        description = "A client configuration file for the new grid (its servers, keys, quorum"
            + " kind and f); the client there must administer every key too.")
    Path to;

    @Option(names = "--keep-rules",
        description = "Leave the new grid's access rules as they are. By default the new grid"
            + " takes this grid's rules (as f + 1 of its servers report them), grants and"
            + " revokes included.")
    boolean keepRules;

    @Option(names = "--wait-seconds", defaultValue = "90", paramLabel = "S",
        description = "How long to wait for the new grid to complete the intake (1-3600;"
            + " default ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Override
    int run(CommandLine cmd, ClientSettings settings) throws KeystoreException {
      if (waitSeconds < 1 || waitSeconds > 3600) {
        throw new ParameterException(cmd, "--wait-seconds must be 1-3600, was " + waitSeconds);
      }
      ClientSettings next;
      try {
        next = ClientSettings.load(to);
      } catch (ConfigException e) {
        return failed(cmd, "--to: " + e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      try (KeystoreClient from = settings.connect(); KeystoreClient into = next.connect()) {
        List<AclRule> rules = List.of();
        if (!keepRules) {
          Optional<List<AclRule>> agreed = rules(settings);
          if (agreed.isEmpty()) {
            return failed(cmd, "fewer than f + 1 = " + (settings.quorums().f() + 1) + " servers"
                + " of this grid report the same access rules (down, or the rules are changing);"
                + " try again, or pass --keep-rules");
          }
          rules = agreed.get();
        }
        long[] before = intakes(next);
        for (int i = 0; i < before.length; i++) {
          before[i] = Math.max(0, before[i]); // silent now: any intake it completes is this one
        }
        into.acceptHandoff(from.gridSpec(), rules);
        out.println("the new grid (" + next.servers().size() + " servers) agreed to take over"
            + (keepRules ? ", keeping its access rules" : ", with this grid's " + rules.size()
                + " access rule(s)"));
        out.flush();
        from.handOff(into.gridSpec());
        out.println("this grid agreed to hand over; it takes no more writes");
        out.flush();
        QuorumSystem q = next.quorums();
        long until = System.nanoTime() + waitSeconds * 1_000_000_000L;
        int done = 0;
        while (true) {
          long[] now = intakes(next);
          done = 0;
          for (int i = 0; i < now.length; i++) {
            if (now[i] > before[i]) {
              done++;
            }
          }
          if (done >= q.n() - q.f() || System.nanoTime() > until) {
            break;
          }
          try {
            Thread.sleep(1_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        if (done < q.n() - q.f()) {
          return failed(cmd, "only " + done + " of " + q.n() + " new servers completed the"
              + " intake within " + waitSeconds + " s (n - f = " + (q.n() - q.f()) + " needed);"
              + " see their logs; this grid still serves reads");
        }
        out.println("handoff complete: " + done + " of " + q.n() + " new servers hold the"
            + " secrets; point clients at " + to + ", then stop this grid's servers and delete"
            + " their stores (until then their shares still open every secret)");
        out.flush();
        return 0;
      } finally {
        next.signingKey().destroy();
      }
    }

    /** The access rules that at least f + 1 of {@code grid}'s servers report alike. */
    private static Optional<List<AclRule>> rules(ClientSettings grid) {
      Map<List<AclRule>, Integer> seen = new java.util.HashMap<>();
      for (ServerStats.Reply r : ServerStats.fetch(grid.servers(), grid.clientId(),
          grid.signingKey(), grid.deadline(), grid.transportSecurity())) {
        r.stats().ifPresent(stats -> seen.merge(stats.getRulesList(), 1, Integer::sum));
      }
      return seen.entrySet().stream().filter(e -> e.getValue() >= grid.quorums().f() + 1)
          .map(Map.Entry::getKey).findFirst();
    }

    /** Each new server's last completed intake; -1 where it does not answer (yet). */
    private static long[] intakes(ClientSettings grid) {
      List<ServerStats.Reply> replies = ServerStats.fetch(grid.servers(), grid.clientId(),
          grid.signingKey(), grid.deadline(), grid.transportSecurity());
      long[] out = new long[replies.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = replies.get(i).stats().map(StatsBody::getIntakesCompleted).orElse(-1L);
      }
      return out;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Ask every server to open a session (signed; its answer is checked against"
          + " its public key) and print, per server, whether it answers, the round trip and"
          + " what its gRPC health service reports (unsigned: SERVING, or NOT_SERVING while it"
          + " shuts down); then the quorum system (kind, n, f, t, quorum size) and the share"
          + " epoch. Exit 0 when the servers that answer hold a quorum, else 1 (--metrics does"
          + " not change it).")
  static final class StatusCommand extends ClientCommand {
    @Option(names = "--metrics",
        description = "Also ask every server for its metrics (needs the admin right on some key"
            + " prefix; the answer is signed and checked) and print one line per server:"
            + " requests answered and refused and p50/p99 latency per operation, refusals by"
            + " reason, audit-log failures.")
    boolean metrics;

    @Override
    int run(CommandLine cmd, ClientSettings settings) {
      List<ServerProbe.Reply> replies = ServerProbe.probe(settings.servers(),
          settings.clientId(), settings.signingKey(), settings.deadline(),
          settings.transportSecurity());
      PrintWriter out = cmd.getOut();
      BitSet answering = new BitSet();
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < replies.size(); i++) {
        ServerProbe.Reply r = replies.get(i);
        String ms = String.format(Locale.ROOT, "%.1f ms", r.roundTripMicros() / 1000.0);
        String where = r.server().id() + " " + hostPort(r.server().address());
        switch (r.outcome()) {
          case ANSWERED -> {
            answering.set(i);
            lines.add(where + " answers in " + ms + " (identity verified); health "
                + r.health());
          }
          case REFUSED -> lines.add(where + " refuses this client after " + ms + ": "
              + r.detail());
          case UNVERIFIED -> lines.add(where + " answers in " + ms + " but its signature does"
              + " not verify against server." + r.server().id() + ".public-key");
          case SILENT -> lines.add(where + " does not answer (" + r.detail() + ", after " + ms
              + "); health " + r.health());
          default -> throw new AssertionError(r.outcome());
        }
      }
      lines.forEach(out::println);
      QuorumSystem q = settings.quorums();
      out.println("transport: " + (settings.transportSecurity().isTls() ? "mutual TLS"
          : "plaintext"));
      out.println("quorum: " + q.kind().label() + " n=" + q.n() + " f=" + q.f() + " t=" + q.t()
          + " quorum size " + q.quorumSize() + (metrics ? ""
              : "; share refresh epochs: see --metrics"));
      boolean quorum = q.containsQuorum(answering);
      out.println(answering.cardinality() + " of " + q.n() + " servers answer: "
          + (quorum ? "a quorum is available" : "NO quorum is available"));
      if (metrics) {
        for (ServerStats.Reply r : ServerStats.fetch(settings.servers(), settings.clientId(),
            settings.signingKey(), settings.deadline(), settings.transportSecurity())) {
          out.println(r.server().id() + " metrics: " + r.stats().map(KeystoreCommand::metricsLine)
              .orElse("not available (" + r.problem() + ")"));
        }
      }
      out.flush();
      return quorum ? 0 : 1;
    }
  }

  /**
   * One server's metrics on one line: the operations it has seen, then refusals by reason and
   * audit-log failures, e.g. {@code read 12 ok 1 refused p50 0.4 ms p99 1.9 ms; write ...;
   * refusals: denied 1; audit failures 0}.
   */
  static String metricsLine(StatsBody stats) {
    List<String> parts = new ArrayList<>();
    for (OperationStats op : stats.getOperationsList()) {
      if (op.getOk() + op.getRejected() > 0) {
        parts.add(op.getOperation() + " " + op.getOk() + " ok " + op.getRejected() + " refused"
            + " p50 " + millis(op.getP50Micros()) + " p99 " + millis(op.getP99Micros()));
      }
    }
    if (parts.isEmpty()) {
      parts.add("no requests yet");
    }
    List<String> refusals = stats.getRejectionsList().stream()
        .filter(r -> r.getCount() > 0)
        .map(r -> r.getReason() + " " + r.getCount())
        .toList();
    parts.add("refusals: " + (refusals.isEmpty() ? "none" : String.join(", ", refusals)));
    parts.add("audit failures " + stats.getAuditFailures());
    parts.add("share refresh " + stats.getShareRefreshes());
    if (stats.getIntakesCompleted() > 0) {
      parts.add("intake " + stats.getIntakesCompleted() + " completed");
    }
    if (!stats.getHandedOffTo().isEmpty()) {
      parts.add("handed off to " + stats.getHandedOffTo() + " (no writes)");
    }
    return String.join("; ", parts);
  }

  private static String millis(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  /** {@code host:port} by IP address. */
  static String hostPort(java.net.InetSocketAddress address) {
    String host = address.getAddress() != null ? address.getAddress().getHostAddress()
        : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
