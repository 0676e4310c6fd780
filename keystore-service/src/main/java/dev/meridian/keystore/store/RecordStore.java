package dev.meridian.keystore.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A durable, ordered map from byte-string keys to byte-array values: where a key server keeps its
 * signed records and shares.
 *
 * <p><b>Guarantees</b>: each {@link #write} is atomic (all of its puts and deletes become visible
 * together, or none do, also across a crash) and durable when it returns, to the degree of the
 * implementation (see {@link RocksRecordStore.SyncMode}: at least a {@code kill -9} of this JVM).
 * Reads see every write that returned before they started. Keys are ordered unsigned
 * lexicographically (see {@link Bytes}). Keys and values are opaque; values are copied in and out,
 * so callers may reuse their arrays. Implementations are thread-safe.
 *
 * <p><b>Failure model</b>: storage failures (I/O errors, corruption, use after {@link #close})
 * raise {@link StoreException}, whose message names the operation and path but no key or value.
 * Programming errors raise unchecked exceptions: {@code null} arguments {@link
 * NullPointerException}, a key both put and deleted in one write {@link IllegalArgumentException}.
 * The store does not defend against a malicious local disk; records are signed and checked above
 * it.
 */
public interface RecordStore extends AutoCloseable {

  /**
   * Atomically (one batch) writes {@code puts} and removes {@code deletes}; durable on return:
   * survives kill -9 of this JVM (for power loss see {@link RocksRecordStore.SyncMode}). Keys and
   * values are opaque bytes. Deleting an absent key is not an error.
   *
   * @throws StoreException if the batch could not be written; then none of it was
   * @throws IllegalArgumentException if a key is in both {@code puts} and {@code deletes}
   */
  void write(Map<Bytes, byte[]> puts, Collection<Bytes> deletes) throws StoreException;

  /** The value stored under {@code key} (a fresh copy), or empty. */
  Optional<byte[]> get(Bytes key) throws StoreException;

  /**
   * Every entry whose key starts with {@code prefix}, in unsigned lexicographic key order, as of
   * one point in time (a write is either wholly in the result or not at all). The empty prefix
   * scans everything.
   */
  List<Map.Entry<Bytes, byte[]>> scan(Bytes prefix) throws StoreException;

  /**
   * Releases the store (for RocksDB: its lock on the directory). Idempotent; later operations throw
   * {@link StoreException}. Waits for operations in progress to finish.
   */
  @Override
  void close();
}
