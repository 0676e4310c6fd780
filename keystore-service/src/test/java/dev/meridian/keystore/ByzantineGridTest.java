package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.ByzantineFaces.Kind;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ReadResult;
import dev.meridian.keystore.crypto.Envelope;
import dev.meridian.keystore.crypto.EnvelopeException;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.KeyServerCore;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.shamir.SecretScalar;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.store.Bytes;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.StoredVersion;
import io.grpc.BindableService;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Grids with Byzantine servers over real gRPC: with up to f of them every read returns the last
 * written value (never a wrong one) or fails; f colluders learn nothing; with f + 1 the client
 * says what it caught.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ByzantineGridTest {
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private LocalGrid grid;
  private final List<KeystoreClient> clients = new ArrayList<>();
  private final List<RecordStore> stores = new ArrayList<>();

  @AfterEach
  void close() {
    clients.forEach(KeystoreClient::close);
    if (grid != null) {
      grid.close();
    }
  }

  private void start(QuorumSystem quorums, Map<Integer, Function<KeyServerCore, BindableService>>
      byzantine) throws Exception {
    grid = LocalGrid.start(quorums, List.of("alice", "bob"), i -> {
      RecordStore store = new InMemoryRecordStore();
      stores.add(store);
      return store;
    }, i -> byzantine.getOrDefault(i, KeystoreGrpcService::new));
  }

  private KeystoreClient client(String id) {
    KeystoreClient c = grid.client(id, DEADLINE);
    clients.add(c);
    return c;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes, reads, overwrites and reads again, alternating two clients, many keys. */
  private void everyReadReturnsTheLastWrite() throws Exception {
    KeystoreClient alice = client("alice");
    KeystoreClient bob = client("bob");
    for (int round = 0; round < 4; round++) {
      KeystoreClient writer = round % 2 == 0 ? alice : bob;
      KeystoreClient reader = round % 2 == 0 ? bob : alice;
      for (int k = 0; k < 3; k++) {
        String key = "key-" + k;
        byte[] value = utf8("value " + round + " of " + key);
        writer.put(key, value);
        ReadResult read = reader.get(key);
        assertArrayEquals(value, read.value(), "round " + round + " " + key + ": " + read);
        assertFalse(read.faultBoundExceeded(), read.toString());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"SILENT", "SLOW", "STALE", "CORRUPT_SHARES",
      "BAD_SIGNATURES"})
  void withOneFaultyServerOfAGridOfNineEveryReadReturnsTheLastWrite(Kind kind) throws Exception {
    for (int position : new int[] {0, 4}) { // a corner and the centre
      clients.forEach(KeystoreClient::close);
      clients.clear();
      stores.clear();
      if (grid != null) {
        grid.close();
      }
      start(QuorumSystems.gridCr(9, 1), Map.of(position, ByzantineFaces.of(kind)));
      everyReadReturnsTheLastWrite();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"SILENT", "STALE", "CORRUPT_SHARES"})
  void withOneFaultyServerOfAGridOfSixteenEveryReadReturnsTheLastWrite(Kind kind)
      throws Exception {
    start(QuorumSystems.gridCr(16, 1), Map.of(5, ByzantineFaces.of(kind)));
    everyReadReturnsTheLastWrite();
  }

  @Test
  void twinsUnderOneIdentityCannotMakeAReaderReturnAStaleValue() throws Exception {
    // Server 3 is two honest twins sharing its identity: alice talks to one, bob to the other.
    start(QuorumSystems.gridCr(9, 1), Map.of(3, core -> new ByzantineFaces.Twins(core,
        new KeyServerCore(core.config(), new InMemoryRecordStore(), System::currentTimeMillis),
        Set.of("bob"))));
    everyReadReturnsTheLastWrite();
  }

  @Test
  void aCorruptingServerIsNamedInTheReadResult() throws Exception {
    start(QuorumSystems.gridCr(9, 1), Map.of(0, ByzantineFaces.of(Kind.CORRUPT_SHARES)));
    // Reads rotate over quorums; within a few, server 0's share is among the first t checked.
    readsReturnTheValueAndNameS0("fails its commitments");
  }

  @Test
  void aServerShowingANewerSharingOfAnotherSecretIsNamedAndIgnored() throws Exception {
    start(QuorumSystems.gridCr(9, 1), Map.of(0, ByzantineFaces.FakeSharing::new));
    // Its "refresh 7" sharing is tried first, being the newest; it does not commit to the
    // writer-signed C_0, so the reader names s0 and opens the writer's sharing instead.
    readsReturnTheValueAndNameS0("do not commit to the writer's secret");
  }

  /** alice writes k, then reads it (at most 12 times) until a read names s0 for {@code why}. */
  private void readsReturnTheValueAndNameS0(String why) throws Exception {
    KeystoreClient alice = client("alice");
    alice.put("k", utf8("v"));
    boolean named = false;
    for (int i = 0; i < 12 && !named; i++) {
      ReadResult read = alice.get("k");
      assertArrayEquals(utf8("v"), read.value());
      named = read.misbehaving().containsKey("s0");
      if (named) {
        assertTrue(read.misbehaving().get("s0").contains(why), read.misbehaving().toString());
      }
    }
    assertTrue(named, "server s0 was never caught");
  }

  @Test
  void fColludingServersPoolingTheirSharesLearnNothing() throws Exception {
    start(QuorumSystems.gridCr(9, 1), Map.of());
    KeystoreClient alice = client("alice");
    byte[] secret = utf8("the launch codes");
    alice.put("k", secret);
    // f = 1 colluder: everything server 2 holds for the key.
    StoredVersion stored = storedVersions(2, "k").get(0);
    RecordBody body = RecordBody.parseFrom(stored.getRecord().getBody());
    FeldmanVss vss = FeldmanVss.secp256k1();
    List<Share> pooled = List.of(Share.of(3, stored.getShare().toByteArray()));
    // Rebuilding needs t = f + 1 shares: the library refuses with fewer.
    assertThrows(IllegalArgumentException.class, () -> vss.reconstruct(pooled, 2));
    // Treating the pooled share as if the threshold were f gives a key that does not open it.
    SecretScalar guess = vss.reconstruct(pooled, 1);
    byte[] sealed = stored.getRecord().getCiphertext().toByteArray();
    assertThrows(EnvelopeException.class, () -> Envelope.open(guess.dataKey(), sealed,
        ("meridian-keystore-v1|k|" + body.getVersion().getCounter() + "|alice")
            .getBytes(StandardCharsets.UTF_8)));
    // And the ciphertext does not contain the secret in the clear.
    assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("launch"));
  }

  @Test
  void withFPlusOneCorruptingServersTheClientSaysTheBoundIsBroken() throws Exception {
    // Servers 0 and 1 corrupt every share they return: a reader checking shares in index order
    // meets both, names them, and flags that more than f misbehaved.
    start(QuorumSystems.gridCr(9, 1), Map.of(0, ByzantineFaces.of(Kind.CORRUPT_SHARES),
        1, ByzantineFaces.of(Kind.CORRUPT_SHARES)));
    KeystoreClient alice = client("alice");
    alice.put("k", utf8("v"));
    boolean flagged = false;
    for (int i = 0; i < 12 && !flagged; i++) {
      try {
        ReadResult read = alice.get("k");
        assertArrayEquals(utf8("v"), read.value()); // never a wrong value
        flagged = read.faultBoundExceeded();
      } catch (KeystoreException e) {
        assertEquals(Status.Code.DATA_LOSS, e.code(), e.getMessage());
        flagged = e.getMessage().contains("s0") && e.getMessage().contains("s1");
      }
    }
    assertTrue(flagged, "two corrupting servers were never both caught");
  }

  @Test
  void withFPlusOneForgingServersNoForgedVersionIsBelieved() throws Exception {
    // Servers 0 and 1 (one row): the seven others still hold a quorum (a column and two rows).
    start(QuorumSystems.gridCr(9, 1), Map.of(0, ByzantineFaces.of(Kind.BAD_SIGNATURES),
        1, ByzantineFaces.of(Kind.BAD_SIGNATURES)));
    KeystoreClient alice = client("alice");
    alice.put("k", utf8("v1"));
    ReadResult read = alice.get("k");
    assertArrayEquals(utf8("v1"), read.value());
    assertEquals(1, read.version().getCounter());
    // The next write is not pushed to counter 1001 by the forged records.
    assertEquals(2, alice.put("k", utf8("v2")).getCounter());
  }

  private List<StoredVersion> storedVersions(int server, String key)
      throws InvalidProtocolBufferException, dev.meridian.keystore.store.StoreException {
    Bytes prefix = Bytes.of(new byte[] {'v', 0}, key.getBytes(StandardCharsets.UTF_8),
        new byte[] {0});
    List<StoredVersion> out = new ArrayList<>();
    for (Map.Entry<Bytes, byte[]> e : stores.get(server).scan(prefix)) {
      out.add(StoredVersion.parseFrom(e.getValue()));
    }
    return out;
  }
}
