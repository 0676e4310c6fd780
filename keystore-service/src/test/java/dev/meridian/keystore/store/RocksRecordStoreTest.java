package dev.meridian.keystore.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.store.RocksRecordStore.SyncMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RocksRecordStoreTest extends RecordStoreContract {

  @TempDir Path directory;

  @Override
  RecordStore newStore() throws StoreException {
    return RocksRecordStore.open(directory.resolve("db"), SyncMode.PROCESS_CRASH_SAFE);
  }

  @ParameterizedTest
  @EnumSource(SyncMode.class)
  void reopenAfterCloseKeepsTheData(SyncMode mode) throws Exception {
    Path path = directory.resolve("reopen-" + mode);
    try (RocksRecordStore first = RocksRecordStore.open(path, mode)) {
      assertEquals(mode, first.syncMode());
      assertEquals(path.toAbsolutePath(), first.directory());
      first.write(Map.of(key("a"), value("1"), key("b"), value("2")), List.of());
      first.write(Map.of(key("c"), value("3")), List.of(key("a")));
    }
    try (RocksRecordStore second = RocksRecordStore.open(path, mode)) {
      assertTrue(second.get(key("a")).isEmpty());
      assertArrayEquals(value("2"), second.get(key("b")).orElseThrow());
      assertArrayEquals(value("3"), second.get(key("c")).orElseThrow());
      assertEquals(2, second.scan(key("")).size());
    }
  }

  @Test
  void aDirectoryInUseIsRefusedNamingThePath() throws Exception {
    Path path = directory.resolve("db"); // the contract's store holds it
    StoreException e =
        assertThrows(StoreException.class, () -> RocksRecordStore.open(path, SyncMode.FSYNC));
    assertEquals("open", e.operation());
    assertEquals(path.toAbsolutePath(), e.path().orElseThrow());
    assertTrue(e.getMessage().contains(path.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("lock"), e.getMessage());
    // The refused open left the holder working.
    store.write(Map.of(key("still"), value("fine")), List.of());
    assertTrue(store.get(key("still")).isPresent());
  }

  @Test
  void aPathThatCannotBeADirectoryIsRefusedNamingIt() throws Exception {
    Path file = Files.writeString(directory.resolve("plain-file"), "not a directory");
    StoreException e =
        assertThrows(
            StoreException.class,
            () -> RocksRecordStore.open(file.resolve("db"), SyncMode.PROCESS_CRASH_SAFE));
    assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
  }

  @Test
  void failureMessagesNameNoKeyOrValue() throws Exception {
    store.write(Map.of(key("tenant/alice"), value("s3cr3t")), List.of());
    store.close();
    StoreException e =
        assertThrows(
            StoreException.class,
            () -> store.write(Map.of(key("tenant/alice"), value("s3cr3t")), List.of()));
    for (String secret : new String[] {"alice", "s3cr3t", key("tenant/alice").toString()}) {
      assertFalse(e.getMessage().contains(secret), e.getMessage());
    }
    assertTrue(e.getMessage().contains(directory.resolve("db").toAbsolutePath().toString()));
  }
}
