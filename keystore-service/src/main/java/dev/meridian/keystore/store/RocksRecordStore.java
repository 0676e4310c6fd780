package dev.meridian.keystore.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link RecordStore} in a RocksDB database in one directory.
 *
 * <p><b>Guarantees</b>: a {@link #write} is one RocksDB {@code WriteBatch}, atomic also across a
 * crash, and always goes through the write-ahead log (it is never disabled). How durable a returned
 * write is depends on the {@link SyncMode}. {@link #scan} reads one consistent snapshot. Only one
 * store (in any process) has a directory open at a time: RocksDB locks it.
 *
 * <p><b>Failure model</b>: opening a directory that another store holds, in this process or
 * another, fails with a {@link StoreException} naming the path; so do I/O errors and corruption
 * found on open or on a read or write. Operations after {@link #close} throw {@link StoreException}
 * rather than touch freed native memory: a read-write lock makes close wait for operations in
 * progress. Thread-safe; reads and writes run concurrently.
 */
public final class RocksRecordStore implements RecordStore {

  /** How far a returned {@link #write} is durable. */
  public enum SyncMode {
    /**
     * The write is in the write-ahead log, handed to the operating system but not fsync'd: survives
     * kill -9 of this JVM (the kernel still writes the file), not power loss or a kernel crash,
     * which may lose the last writes (never a part of one batch).
     */
    PROCESS_CRASH_SAFE,
    /**
     * The log is fsync'd before the write returns ({@code WriteOptions.setSync(true)}): survives
     * power loss too, on a disk that honours fsync. Costs a disk flush per write.
     */
    FSYNC
  }

  private final Path directory;
  private final SyncMode mode;
  private final Options options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock

  private RocksRecordStore(
      Path directory, SyncMode mode, Options options, WriteOptions writeOptions, RocksDB db) {
    this.directory = directory;
    this.mode = mode;
    this.options = options;
    this.writeOptions = writeOptions;
    this.db = db;
  }

  /**
   * Opens the store in {@code directory}, creating the directory and an empty database if missing,
   * and recovering the write-ahead log if the last process using it died.
   *
   * @throws StoreException naming the path if the native library does not load, the directory
   *     cannot be created, another store holds it, or RocksDB finds it corrupt
   */
  public static RocksRecordStore open(Path directory, SyncMode mode) throws StoreException {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(mode, "mode");
    Path path = directory.toAbsolutePath();
    try {
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new StoreException("open", path, "cannot create the directory: " + e);
    }
    try {
      RocksDB.loadLibrary();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new StoreException("open", path, "the RocksDB native library does not load: " + e);
    }
    Options options = new Options().setCreateIfMissing(true);
    WriteOptions writeOptions = new WriteOptions().setSync(mode == SyncMode.FSYNC);
    try {
      RocksDB db = RocksDB.open(options, path.toString());
      return new RocksRecordStore(path, mode, options, writeOptions, db);
    } catch (RocksDBException e) {
      writeOptions.close();
      options.close();
      String hint =
          e.getMessage() != null && e.getMessage().contains("lock")
              ? " (is another process, or another open store in this one, using this directory?)"
              : "";
      throw new StoreException("open", path, e.getMessage() + hint);
    }
  }

  /** The store's directory, absolute. */
  public Path directory() {
    return directory;
  }

  /** How durable writes are. */
  public SyncMode syncMode() {
    return mode;
  }

  @Override
  public void write(Map<Bytes, byte[]> puts, Collection<Bytes> deletes) throws StoreException {
    WriteArguments.check(puts, deletes);
    if (puts.isEmpty() && deletes.isEmpty()) {
      return;
    }
    lock.readLock().lock();
    try {
      checkOpen("write");
      try (WriteBatch batch = new WriteBatch()) {
        for (Bytes key : deletes) {
          batch.delete(key.array());
        }
        for (Map.Entry<Bytes, byte[]> put : puts.entrySet()) {
          batch.put(put.getKey().array(), put.getValue());
        }
        db.write(writeOptions, batch);
      } catch (RocksDBException e) {
        throw new StoreException("write", directory, e);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Optional<byte[]> get(Bytes key) throws StoreException {
    Objects.requireNonNull(key, "key");
    lock.readLock().lock();
    try {
      checkOpen("get");
      return Optional.ofNullable(db.get(key.array())); // a fresh array from JNI
    } catch (RocksDBException e) {
      throw new StoreException("get", directory, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public List<Map.Entry<Bytes, byte[]>> scan(Bytes prefix) throws StoreException {
    Objects.requireNonNull(prefix, "prefix");
    lock.readLock().lock();
    try {
      checkOpen("scan");
      List<Map.Entry<Bytes, byte[]>> entries = new ArrayList<>();
      byte[] start = prefix.array();
      try (ReadOptions readOptions = new ReadOptions();
          RocksIterator iterator = db.newIterator(readOptions)) {
        for (iterator.seek(start); iterator.isValid(); iterator.next()) {
          byte[] key = iterator.key();
          if (!Bytes.startsWith(key, start)) {
            break;
          }
          entries.add(Map.entry(new Bytes(key), iterator.value()));
        }
        iterator.status(); // an iterator stops early on an I/O error: tell it from the end
      } catch (RocksDBException e) {
        throw new StoreException("scan", directory, e);
      }
      return entries;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Closes the database, then its options; idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try (options;
          writeOptions;
          db) {
        // closed in reverse order: the database first, then what it was opened with
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void checkOpen(String operation) throws StoreException {
    if (closed) {
      throw new StoreException(operation, directory, "the store is closed");
    }
  }

  @Override
  public String toString() {
    return "RocksRecordStore[" + directory + ", " + mode + "]";
  }
}
