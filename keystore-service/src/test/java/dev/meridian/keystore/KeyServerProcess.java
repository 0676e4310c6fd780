package dev.meridian.keystore;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.KeyServer;
import dev.meridian.keystore.server.KeyServerConfig;
import dev.meridian.keystore.store.RocksRecordStore;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * One key server in a process of its own, for {@link KeyServerProcessTest}: reads a properties
 * file (its index, the server ids, its port, its seed, the client's public key, its store
 * directory), serves on 127.0.0.1 with a RocksDB store, prints {@code READY}, and runs until
 * killed or until its standard input closes (so it never outlives the test).
 */
public final class KeyServerProcess {
  private KeyServerProcess() {}

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
      p.load(r);
    }
    List<String> ids = Arrays.asList(p.getProperty("servers").split(","));
    int index = Integer.parseInt(p.getProperty("index"));
    HexFormat hex = HexFormat.of();
    KeyServerConfig config = KeyServerConfig.of(ids, index,
        QuorumSystems.gridCr(ids.size(), Integer.parseInt(p.getProperty("f"))),
        SigningKey.fromSeed(hex.parseHex(p.getProperty("seed"))),
        Map.of("alice", VerifyingKey.fromBytes(hex.parseHex(p.getProperty("client.alice")))),
        AccessPolicy.openTo(Set.of("alice")));
    KeyServer server = KeyServer.start(config,
        RocksRecordStore.open(Path.of(p.getProperty("store")),
            RocksRecordStore.SyncMode.PROCESS_CRASH_SAFE),
        new InetSocketAddress("127.0.0.1", Integer.parseInt(p.getProperty("port"))));
    System.out.println("READY " + server.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the parent closes our stdin or kills us
    }
    server.close();
  }
}
