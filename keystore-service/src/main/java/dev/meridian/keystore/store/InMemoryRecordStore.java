package dev.meridian.keystore.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link RecordStore} in a sorted map, for tests and simulations: the same semantics as {@link
 * RocksRecordStore} (atomic batches, unsigned key order, copies in and out, {@link StoreException}
 * after {@link #close}), without durability, since nothing survives the JVM. Thread-safe: every
 * operation holds the store's monitor.
 */
public final class InMemoryRecordStore implements RecordStore {

  private final NavigableMap<Bytes, byte[]> entries = new TreeMap<>();
  private boolean closed;

  /** An empty store. */
  public InMemoryRecordStore() {}

  @Override
  public synchronized void write(Map<Bytes, byte[]> puts, Collection<Bytes> deletes)
      throws StoreException {
    WriteArguments.check(puts, deletes);
    checkOpen("write");
    for (Bytes key : deletes) {
      entries.remove(key);
    }
    for (Map.Entry<Bytes, byte[]> put : puts.entrySet()) {
      entries.put(put.getKey(), put.getValue().clone());
    }
  }

  @Override
  public synchronized Optional<byte[]> get(Bytes key) throws StoreException {
    Objects.requireNonNull(key, "key");
    checkOpen("get");
    byte[] value = entries.get(key);
    return value == null ? Optional.empty() : Optional.of(value.clone());
  }

  @Override
  public synchronized List<Map.Entry<Bytes, byte[]>> scan(Bytes prefix) throws StoreException {
    Objects.requireNonNull(prefix, "prefix");
    checkOpen("scan");
    List<Map.Entry<Bytes, byte[]>> result = new ArrayList<>();
    for (Map.Entry<Bytes, byte[]> entry : entries.tailMap(prefix, true).entrySet()) {
      if (!entry.getKey().startsWith(prefix)) {
        break;
      }
      result.add(Map.entry(entry.getKey(), entry.getValue().clone()));
    }
    return result;
  }

  /** Drops the contents; idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    entries.clear();
  }

  private void checkOpen(String operation) throws StoreException {
    if (closed) {
      throw new StoreException(operation, null, "the store is closed");
    }
  }
}
