package dev.meridian.keystore.store;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/** The argument checks every {@link RecordStore#write} makes before touching storage. */
final class WriteArguments {

  private WriteArguments() {}

  /**
   * @throws NullPointerException for a null map, collection, key or value
   * @throws IllegalArgumentException if a key is both put and deleted (no key is printed)
   */
  static void check(Map<Bytes, byte[]> puts, Collection<Bytes> deletes) {
    Objects.requireNonNull(puts, "puts");
    Objects.requireNonNull(deletes, "deletes");
    for (Map.Entry<Bytes, byte[]> put : puts.entrySet()) {
      Objects.requireNonNull(put.getKey(), "a key in puts");
      Objects.requireNonNull(put.getValue(), "a value in puts");
    }
    int both = 0;
    for (Bytes delete : deletes) {
      if (puts.containsKey(Objects.requireNonNull(delete, "a key in deletes"))) {
        both++;
      }
    }
    if (both > 0) {
      throw new IllegalArgumentException(
          both + " key(s) are both put and deleted in one write; the outcome would be ambiguous");
    }
  }
}
