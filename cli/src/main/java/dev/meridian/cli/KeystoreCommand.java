package dev.meridian.cli;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ReadResult;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.client.ServerProbe;
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
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.wire.Names;
import dev.meridian.keystore.wire.Versions;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
      "Not available yet: grant and revoke (ACL changes go through Byzantine agreement, issue 8"
          + " section 1; until then edit the acl.* fields of every server's config and restart"
          + " it), and TLS (traffic is plaintext gRPC: use it on 127.0.0.1 or a trusted network)."
    },
    subcommands = {
      KeystoreCommand.Keygen.class,
      KeystoreCommand.Serve.class,
      KeystoreCommand.LocalGridCommand.class,
      KeystoreCommand.Put.class,
      KeystoreCommand.Get.class,
      KeystoreCommand.Delete.class,
      KeystoreCommand.StatusCommand.class,
    })
public final class KeystoreCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "missing subcommand: one of keygen, serve, local-grid, put, get, delete, status");
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
      description = "Generate an Ed25519 identity (a client's or a server's): PREFIX.key holds"
          + " the private seed (hex, permissions 600), PREFIX.pub the public key (hex). Prints"
          + " the public key and both paths; never the private key. Refuses to overwrite"
          + " either file (exit 1).")
  static final class Keygen implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "PREFIX",
        description = "Where to write: PREFIX.key and PREFIX.pub, e.g. keys/alice.")
    Path prefix;

    @Override
    public Integer call() {
      CommandLine cmd = spec.commandLine();
      if (prefix.getFileName() == null) {
        throw new ParameterException(cmd, "--out must name a file prefix, got " + prefix);
      }
      SigningKey key = SigningKey.generate(new SecureRandom());
      try {
        Path parent = prefix.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
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
      } catch (IOException e) {
        return failed(cmd, "cannot listen on " + settings.listen() + ": " + e.getMessage());
      }
      PrintWriter out = cmd.getOut();
      out.println("keystore server " + settings.serverId() + " listening on "
          + hostPort(server.address()) + " (" + settings.quorums().describe() + ", "
          + settings.clients().size() + " clients, store "
          + settings.storeDirectory().map(Path::toString).orElse("in memory") + ")");
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
            + " configuration per client (CLIENT.properties) to DIR, then prints the commands"
            + " that use them. Runs until Ctrl-C, or for --for seconds.",
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
        grid = GridDirectory.start(where, quorums, clients, persist);
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
      out.println("identities and client configs: " + grid.directory()
          + (temporary ? " (temporary: deleted when the grid stops)" : ""));
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

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Ask every server to open a session (signed; its answer is checked against"
          + " its public key) and print, per server, whether it answers and the round trip;"
          + " then the quorum system (kind, n, f, t, quorum size) and the share epoch. Exit 0"
          + " when the servers that answer hold a quorum, else 1.")
  static final class StatusCommand extends ClientCommand {
    @Override
    int run(CommandLine cmd, ClientSettings settings) {
      List<ServerProbe.Reply> replies = ServerProbe.probe(settings.servers(),
          settings.clientId(), settings.signingKey(), settings.deadline());
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
            lines.add(where + " answers in " + ms + " (identity verified)");
          }
          case REFUSED -> lines.add(where + " refuses this client after " + ms + ": "
              + r.detail());
          case UNVERIFIED -> lines.add(where + " answers in " + ms + " but its signature does"
              + " not verify against server." + r.server().id() + ".public-key");
          case SILENT -> lines.add(where + " does not answer (" + r.detail() + ", after " + ms
              + ")");
          default -> throw new AssertionError(r.outcome());
        }
      }
      lines.forEach(out::println);
      QuorumSystem q = settings.quorums();
      out.println("quorum: " + q.kind().label() + " n=" + q.n() + " f=" + q.f() + " t=" + q.t()
          + " quorum size " + q.quorumSize() + "; epoch 0 (no share refresh yet)");
      boolean quorum = q.containsQuorum(answering);
      out.println(answering.cardinality() + " of " + q.n() + " servers answer: "
          + (quorum ? "a quorum is available" : "NO quorum is available"));
      out.flush();
      return quorum ? 0 : 1;
    }
  }

  /** {@code host:port} by IP address. */
  static String hostPort(java.net.InetSocketAddress address) {
    String host = address.getAddress() != null ? address.getAddress().getHostAddress()
        : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
