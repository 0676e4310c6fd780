/**
 * Durable record storage for a key server: the {@link dev.meridian.keystore.store.RecordStore}
 * contract (atomic, ordered, durable batches of opaque bytes), its RocksDB implementation and an
 * in-memory one for tests.
 */
package dev.meridian.keystore.store;
