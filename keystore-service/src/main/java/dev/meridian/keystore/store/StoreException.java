package dev.meridian.keystore.store;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A {@link RecordStore} operation that did not happen: the store could not be opened, or a read or
 * write failed (I/O error, corruption, store closed).
 *
 * <p>The message names the operation and the store's path, and never any key or value (records hold
 * secret shares). A failed {@link RecordStore#write} applied nothing: batches are atomic.
 */
public final class StoreException extends Exception {

  private final String operation;
  private final transient Path path;

  /**
   * @param operation what was attempted, e.g. {@code "write"}
   * @param path the store's directory, or null for a store that has none (in memory)
   * @param reason why it failed, without keys or values
   */
  public StoreException(String operation, Path path, String reason) {
    super(operation + " failed on " + where(path) + ": " + reason);
    this.operation = operation;
    this.path = path;
  }

  /**
   * @param operation what was attempted, e.g. {@code "write"}
   * @param path the store's directory, or null for a store that has none (in memory)
   * @param cause the underlying failure; its message becomes part of this one
   */
  public StoreException(String operation, Path path, Throwable cause) {
    super(operation + " failed on " + where(path) + ": " + cause.getMessage(), cause);
    this.operation = operation;
    this.path = path;
  }

  private static String where(Path path) {
    return path == null ? "the in-memory record store" : "the record store at " + path;
  }

  /** The operation that failed, e.g. {@code "open"}, {@code "write"}, {@code "scan"}. */
  public String operation() {
    return operation;
  }

  /** The store's directory; empty for a store in memory. */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }
}
