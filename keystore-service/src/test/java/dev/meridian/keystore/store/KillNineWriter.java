package dev.meridian.keystore.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link RocksRecordStoreKillTest}: opens the store, prints {@code open}, then
 * writes batches one by one until killed, printing {@code ack <i>} on stdout after each {@code
 * write} returns.
 *
 * <p>Batch {@code i} puts {@code rec/<i>} and {@code twin/<i>} with {@link #value(int)}, puts
 * {@code cur/<i>} and deletes {@code cur/<i-1>}: after any crash the store must hold, for some
 * {@code k}, exactly the records {@code 0..k}, each with its twin, and the one key {@code cur/<k>}.
 *
 * <p>Arguments: the store directory, the {@link RocksRecordStore.SyncMode}, the number of batches
 * after which to stop on its own (a bound in case the parent dies).
 */
public final class KillNineWriter {

  private KillNineWriter() {}

  static Bytes rec(int i) {
    return Bytes.utf8(String.format("rec/%08d", i));
  }

  static Bytes twin(int i) {
    return Bytes.utf8(String.format("twin/%08d", i));
  }

  static Bytes cur(int i) {
    return Bytes.utf8(String.format("cur/%08d", i));
  }

  /** A value that differs per record and is long enough to span WAL blocks now and then. */
  static byte[] value(int i) {
    return ("value-" + i + "-" + "x".repeat(i % 200)).getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    Path directory = Path.of(args[0]);
    RocksRecordStore.SyncMode mode = RocksRecordStore.SyncMode.valueOf(args[1]);
    int limit = Integer.parseInt(args[2]);
    try (RocksRecordStore store = RocksRecordStore.open(directory, mode)) {
      System.out.println("open");
      System.out.flush();
      for (int i = 0; i < limit; i++) {
        store.write(
            Map.of(rec(i), value(i), twin(i), value(i), cur(i), value(i)),
            i == 0 ? List.of() : List.of(cur(i - 1)));
        System.out.println("ack " + i);
        System.out.flush();
      }
    }
  }
}
