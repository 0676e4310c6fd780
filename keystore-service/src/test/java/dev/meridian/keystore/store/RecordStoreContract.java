package dev.meridian.keystore.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link RecordStore} must do; a subclass per implementation supplies the store. */
abstract class RecordStoreContract {

  RecordStore store;

  /** A fresh, empty store. */
  abstract RecordStore newStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static Bytes key(String text) {
    return Bytes.utf8(text);
  }

  static byte[] value(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static Bytes hex(String hex) {
    return new Bytes(HexFormat.of().parseHex(hex));
  }

  @Test
  void roundTrip() throws Exception {
    assertTrue(store.get(key("a")).isEmpty());
    store.write(Map.of(key("a"), value("1"), key("b"), new byte[0]), List.of());
    assertArrayEquals(value("1"), store.get(key("a")).orElseThrow());
    assertArrayEquals(new byte[0], store.get(key("b")).orElseThrow());
    store.write(Map.of(key("a"), value("2")), List.of(key("b"), key("never-there")));
    assertArrayEquals(value("2"), store.get(key("a")).orElseThrow());
    assertTrue(store.get(key("b")).isEmpty());
    store.write(Map.of(), List.of()); // nothing to do, fine
  }

  @Test
  void valuesAreCopiedInAndOut() throws Exception {
    byte[] mine = value("secret");
    store.write(Map.of(key("k"), mine), List.of());
    mine[0] = 'X';
    byte[] read = store.get(key("k")).orElseThrow();
    assertArrayEquals(value("secret"), read);
    read[0] = 'Y';
    assertArrayEquals(value("secret"), store.get(key("k")).orElseThrow());
    store.scan(key("")).get(0).getValue()[0] = 'Z';
    assertArrayEquals(value("secret"), store.get(key("k")).orElseThrow());
  }

  @Test
  void scanIsInUnsignedOrderAndStopsAtThePrefix() throws Exception {
    Map<Bytes, byte[]> puts = new LinkedHashMap<>();
    for (String k : new String[] {"80", "7f", "ff", "00", "0100", "01", "01ff", "0180", "02"}) {
      puts.put(hex(k), value(k));
    }
    store.write(puts, List.of());
    assertEquals(
        List.of("00", "01", "0100", "0180", "01ff", "02", "7f", "80", "ff"), keys(hex("")));
    assertEquals(List.of("01", "0100", "0180", "01ff"), keys(hex("01")));
    assertEquals(List.of("7f"), keys(hex("7f")));
    assertEquals(List.of("80"), keys(hex("80")));
    assertEquals(List.of(), keys(hex("03")));
    assertEquals(List.of(), keys(hex("ffff")));
    Map.Entry<Bytes, byte[]> entry = store.scan(hex("0180")).get(0);
    assertEquals(hex("0180"), entry.getKey());
    assertArrayEquals(value("0180"), entry.getValue());
  }

  private List<String> keys(Bytes prefix) throws StoreException {
    List<String> keys = new ArrayList<>();
    for (Map.Entry<Bytes, byte[]> entry : store.scan(prefix)) {
      keys.add(entry.getKey().toString());
    }
    return keys;
  }

  /**
   * A writer moves two twin keys and a single "current" key forward in one batch each time (puts
   * and a delete); a reader scanning concurrently must never see the twins differ or other than one
   * current key.
   */
  @Test
  void batchesAreAtomicForConcurrentReaders() throws Exception {
    store.write(
        Map.of(key("twin/a"), value("0"), key("twin/b"), value("0"), key("cur/0"), value("0")),
        List.of());
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> violation = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                while (!done.get() && violation.get() == null) {
                  List<Map.Entry<Bytes, byte[]>> all = store.scan(key(""));
                  Map<String, String> seen = new TreeMap<>();
                  for (Map.Entry<Bytes, byte[]> e : all) {
                    seen.put(
                        new String(e.getKey().value(), StandardCharsets.UTF_8),
                        new String(e.getValue(), StandardCharsets.UTF_8));
                  }
                  long current = seen.keySet().stream().filter(k -> k.startsWith("cur/")).count();
                  if (!seen.get("twin/a").equals(seen.get("twin/b")) || current != 1) {
                    violation.set(seen.toString());
                  }
                }
              } catch (StoreException e) {
                violation.set(e.toString());
              }
            },
            "scanner");
    reader.start();
    for (int i = 1; i <= 2_000; i++) {
      store.write(
          Map.of(
              key("twin/a"), value(Integer.toString(i)),
              key("twin/b"), value(Integer.toString(i)),
              key("cur/" + i), value(Integer.toString(i))),
          List.of(key("cur/" + (i - 1))));
    }
    done.set(true);
    reader.join(30_000);
    assertEquals(null, violation.get());
    assertEquals(
        List.of("cur/2000"),
        store.scan(key("cur/")).stream()
            .map(e -> new String(e.getKey().value(), StandardCharsets.UTF_8))
            .toList());
  }

  /** Random batches against a TreeMap model; the seed is in every message. */
  @Test
  void behavesLikeASortedMap() throws Exception {
    long seed = 0x5_7012EL;
    Random random = new Random(seed);
    TreeMap<Bytes, byte[]> model = new TreeMap<>();
    for (int step = 0; step < 1_500; step++) {
      Map<Bytes, byte[]> puts = new TreeMap<>();
      List<Bytes> deletes = new ArrayList<>();
      int size = random.nextInt(5);
      for (int i = 0; i < size; i++) {
        Bytes k = randomKey(random);
        if (random.nextInt(3) == 0) {
          if (!puts.containsKey(k)) {
            deletes.add(k);
          }
        } else if (!deletes.contains(k)) {
          byte[] v = new byte[random.nextInt(40)];
          random.nextBytes(v);
          puts.put(k, v);
        }
      }
      store.write(puts, deletes);
      deletes.forEach(model::remove);
      model.putAll(puts);
      String where = "seed=" + seed + " step=" + step;
      Bytes probe = randomKey(random);
      assertArrayEquals(model.get(probe), store.get(probe).orElse(null), where + " get " + probe);
      if (step % 50 == 0) {
        Bytes prefix =
            random.nextBoolean()
                ? new Bytes(new byte[0])
                : new Bytes(new byte[] {probe.value()[0]});
        List<Map.Entry<Bytes, byte[]>> scanned = store.scan(prefix);
        List<Bytes> expectedKeys =
            model.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        assertEquals(
            expectedKeys,
            scanned.stream().map(Map.Entry::getKey).toList(),
            where + " scan " + prefix);
        for (Map.Entry<Bytes, byte[]> e : scanned) {
          assertArrayEquals(
              model.get(e.getKey()), e.getValue(), where + " scan value " + e.getKey());
        }
      }
    }
  }

  /** Short keys over bytes that straddle the sign bit, so order bugs show. */
  private static Bytes randomKey(Random random) {
    byte[] choices = {0x00, 0x01, 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff};
    byte[] k = new byte[1 + random.nextInt(3)];
    for (int i = 0; i < k.length; i++) {
      k[i] = choices[random.nextInt(choices.length)];
    }
    return new Bytes(k);
  }

  @Test
  void aKeyBothPutAndDeletedIsRefusedWithoutNamingIt() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> store.write(Map.of(key("sensitive"), value("v")), Set.of(key("sensitive"))));
    assertFalse(e.getMessage().contains("sensitive"), e.getMessage());
    assertFalse(e.getMessage().contains(key("sensitive").toString()), e.getMessage());
    assertTrue(store.get(key("sensitive")).isEmpty());
  }

  @Test
  void nullsAreRefused() {
    assertThrows(NullPointerException.class, () -> store.write(null, List.of()));
    assertThrows(NullPointerException.class, () -> store.write(Map.of(), null));
    Map<Bytes, byte[]> nullValue = new TreeMap<>();
    nullValue.put(key("k"), null);
    assertThrows(NullPointerException.class, () -> store.write(nullValue, List.of()));
    List<Bytes> nullKey = new ArrayList<>();
    nullKey.add(null);
    assertThrows(NullPointerException.class, () -> store.write(Map.of(), nullKey));
    assertThrows(NullPointerException.class, () -> store.get(null));
    assertThrows(NullPointerException.class, () -> store.scan(null));
  }

  @Test
  void afterCloseEveryOperationFailsNamingIt() throws Exception {
    store.write(Map.of(key("k"), value("v")), List.of());
    store.close();
    assertDoesNotThrow(store::close);
    StoreException e =
        assertThrows(
            StoreException.class, () -> store.write(Map.of(key("k"), value("w")), List.of()));
    assertEquals("write", e.operation());
    assertTrue(
        e.getMessage().contains("write") && e.getMessage().contains("closed"), e.getMessage());
    assertEquals("get", assertThrows(StoreException.class, () -> store.get(key("k"))).operation());
    assertEquals("scan", assertThrows(StoreException.class, () -> store.scan(key(""))).operation());
  }
}
