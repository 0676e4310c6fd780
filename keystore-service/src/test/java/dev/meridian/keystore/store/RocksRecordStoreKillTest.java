package dev.meridian.keystore.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.meridian.keystore.store.RocksRecordStore.SyncMode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Durability under SIGKILL: a child JVM ({@link KillNineWriter}) writes batches and acknowledges
 * each on stdout after {@code write} returns; the parent kills it with {@code destroyForcibly()} in
 * mid-stream, reopens the store and checks that every acknowledged batch is there, whole, and that
 * no batch is there in part.
 */
class RocksRecordStoreKillTest {

  private static final int ACKS_BEFORE_KILL = 300;
  private static final long DEADLINE_SECONDS = 60;

  @TempDir Path directory;

  @ParameterizedTest
  @EnumSource(SyncMode.class)
  @Timeout(value = 2 * DEADLINE_SECONDS, unit = TimeUnit.SECONDS)
  void everyAcknowledgedWriteSurvivesKillNine(SyncMode mode) throws Exception {
    Path store = directory.resolve("db");
    Path stderr = directory.resolve("child-stderr.txt");
    List<String> command = new ArrayList<>();
    command.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("-Xmx128m");
    // RocksDB unpacks its native library into java.io.tmpdir; a killed JVM never deletes it.
    command.add("-Djava.io.tmpdir=" + Files.createDirectories(directory.resolve("tmp")));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillNineWriter.class.getName());
    command.add(store.toString());
    command.add(mode.name());
    command.add("1000000");
    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> pump(child, lines), "child-stdout");
    reader.setDaemon(true);
    reader.start();
    int acknowledged = -1;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
      boolean opened = false;
      while (acknowledged + 1 < ACKS_BEFORE_KILL) {
        long left = deadline - System.nanoTime();
        String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
        if (line == null || line.equals(EOF)) {
          fail(
              "child gave "
                  + (acknowledged + 1)
                  + " acks in time, then "
                  + (line == null ? "nothing" : "exited " + child.waitFor())
                  + "; stderr:\n"
                  + Files.readString(stderr));
        }
        if (line.equals("open")) {
          opened = true;
          // The child holds the directory: a second process may not open it.
          StoreException refused =
              assertThrows(StoreException.class, () -> RocksRecordStore.open(store, mode));
          assertTrue(
              refused.getMessage().contains(store.toAbsolutePath().toString()),
              refused.getMessage());
        } else {
          acknowledged = ack(line, acknowledged);
        }
      }
      assertTrue(opened);
    } finally {
      child.destroyForcibly(); // SIGKILL on Unix
      assertTrue(child.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS), "child did not die");
    }
    // Acks already in the pipe when the child died were acknowledged too.
    for (String line; !(line = lines.take()).equals(EOF); ) {
      acknowledged = ack(line, acknowledged);
    }
    assertTrue(child.exitValue() != 0, "the child finished instead of being killed");

    try (RocksRecordStore reopened = RocksRecordStore.open(store, SyncMode.FSYNC)) {
      List<Map.Entry<Bytes, byte[]>> records = reopened.scan(Bytes.utf8("rec/"));
      List<Map.Entry<Bytes, byte[]>> twins = reopened.scan(Bytes.utf8("twin/"));
      List<Map.Entry<Bytes, byte[]>> current = reopened.scan(Bytes.utf8("cur/"));
      String where =
          mode + ": acknowledged 0.." + acknowledged + ", found " + records.size() + " records";
      assertTrue(records.size() >= acknowledged + 1, where);
      assertEquals(records.size(), twins.size(), where + " and " + twins.size() + " twins");
      for (int i = 0; i < records.size(); i++) {
        assertEquals(KillNineWriter.rec(i), records.get(i).getKey(), where);
        assertArrayEquals(KillNineWriter.value(i), records.get(i).getValue(), where + " rec " + i);
        assertEquals(KillNineWriter.twin(i), twins.get(i).getKey(), where);
        assertArrayEquals(KillNineWriter.value(i), twins.get(i).getValue(), where + " twin " + i);
      }
      assertEquals(1, current.size(), where + ": cur/ keys " + current);
      assertEquals(KillNineWriter.cur(records.size() - 1), current.get(0).getKey(), where);
    }
  }

  private static final String EOF = "\0eof";

  private static void pump(Process child, BlockingQueue<String> lines) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the child is gone; whatever it printed before is in the queue
    } finally {
      lines.add(EOF);
    }
  }

  /** Acks come in order 0, 1, 2, ...; returns the new highest. */
  private static int ack(String line, int previous) {
    assertEquals("ack " + (previous + 1), line, "unexpected line from the child");
    return previous + 1;
  }
}
