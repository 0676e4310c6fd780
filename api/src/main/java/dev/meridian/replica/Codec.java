package dev.meridian.replica;

/**
 * Turns values of type {@code T} into bytes and back, for sending operations between members and
 * for keeping replicated state independent of the objects callers hold.
 *
 * <p><b>Contract</b> every codec must meet, and that Meridian relies on for convergence:
 *
 * <ul>
 *   <li><i>Deterministic:</i> equal values encode to equal bytes, on every member and every JVM.
 *       The CRDTs in {@link dev.meridian.replica.crdt} identify elements and keys by their
 *       encoding, so two values are "the same element" exactly when their encodings are equal.
 *   <li><i>Round trip:</i> {@code decode(encode(x))} equals {@code x} (for arrays: has the same
 *       contents), and re-encoding a decoded value gives the same bytes.
 *   <li><i>Strict:</i> {@link #decode} throws {@link IllegalArgumentException} naming what is wrong
 *       for any input it does not accept, and never any other exception; it never returns null.
 *   <li><i>Thread-safe:</i> a codec may be used from several threads at once.
 * </ul>
 *
 * @param <T> the type of value encoded
 */
public interface Codec<T> {

  /**
   * The bytes of {@code value}. The caller owns the returned array.
   *
   * @throws IllegalArgumentException if {@code value} is null or cannot be encoded, naming why
   */
  byte[] encode(T value);

  /**
   * The value whose encoding is {@code bytes}. Does not keep a reference to {@code bytes}.
   *
   * @throws IllegalArgumentException if {@code bytes} is null or not an encoding this codec
   *     produces, naming what is wrong
   */
  T decode(byte[] bytes);

  /** Byte arrays as themselves; both directions return a fresh copy, so neither side aliases. */
  static Codec<byte[]> bytes() {
    return StandardCodecs.Bytes.INSTANCE;
  }

  /**
   * Strings as UTF-8. Encoding refuses strings that are not valid UTF-16 (an unpaired surrogate
   * has no UTF-8 form, and replacing it would break the round trip); decoding refuses malformed
   * UTF-8 (overlong forms, encoded surrogates, truncated sequences) instead of replacing it.
   */
  static Codec<String> utf8() {
    return StandardCodecs.Utf8.INSTANCE;
  }

  /** Longs as exactly 8 bytes, big-endian two's complement; any other length is refused. */
  static Codec<Long> int64() {
    return StandardCodecs.Int64.INSTANCE;
  }
}
