package dev.meridian.replica;

/**
 * An operation as it was applied at this member: handed to {@link Replica#subscribe} listeners in
 * the order the member applied it (causal order).
 *
 * @param op the operation
 * @param origin who issued it, its sequence number there and its hybrid timestamp
 */
public record Delivered<O>(O op, Origin origin) {

  /** Readable and deterministic, also for byte-array operations (no identity hash codes). */
  @Override
  public String toString() {
    String what = op instanceof byte[] bytes ? bytes.length + " bytes" : String.valueOf(op);
    return "Delivered{" + what + " from " + origin + "}";
  }
}
