package dev.meridian.replica.crdt;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.util.Optional;

/**
 * A last-writer-wins register: holds one value, and of concurrent writes keeps the one whose
 * {@link Origin} is greatest in {@link Origin#LWW_ORDER} (hybrid timestamp, then node id to break
 * a tie between equal timestamps).
 *
 * <p><b>Guarantee.</b> Members that have applied the same writes hold the same value: the value of
 * the write with the greatest origin among them, whatever order they were applied in (taking a
 * maximum commutes). Because origins carry hybrid logical timestamps, a write that causally
 * follows another (its issuer had seen the other) always wins over it. Of two concurrent writes,
 * one is lost; that is the point of a register, and the reason to use {@link OrSet} or {@link
 * ReplicatedMap} when concurrent updates must all survive.
 *
 * <p><b>Failure model.</b> The winner among concurrent writes follows the hybrid clocks, so a node
 * whose clock runs ahead wins more often; it cannot run ahead by more than the hybrid clock's
 * maximum offset. Two origins are never equal (their {@code (node, sequence)} is unique), so there
 * is always exactly one winner. Applying the same write twice is harmless, but the runtime applies
 * each write exactly once anyway.
 *
 * <p>The value is stored in encoded form: {@link #get()} decodes a fresh copy each time, so callers
 * can never change the register's state through a value they hold. Not thread-safe; see {@link
 * ReplicatedState}.
 *
 * @param <V> the type of value held
 */
public final class LwwRegister<V> implements ReplicatedState<LwwRegister.Op<V>> {

  /**
   * An operation on a register.
   *
   * @param <V> the type of value held
   */
  public sealed interface Op<V> permits Set {}

  /**
   * Writes {@code value}; whether it wins is decided by the write's {@link Origin}.
   *
   * @param value the value to write, never null
   * @param <V> the type of value held
   */
  public record Set<V>(V value) implements Op<V> {
    /** @throws IllegalArgumentException if {@code value} is null */
    public Set {
      if (value == null) {
        throw new IllegalArgumentException(
            "LwwRegister value must not be null (an unset register reads as Optional.empty())");
      }
    }
  }

  /** First byte of every encoded op; decoding refuses any other. */
  static final int VERSION = 1;

  static final int KIND_SET = 1;

  private final Codec<V> codec;
  private final Codec<Op<V>> opCodec;
  private Origin writer; // null until the first write
  private Bytes value; // the winning value, encoded

  /**
   * An unset register whose values travel and are stored in {@code codec}'s form.
   *
   * @throws IllegalArgumentException if {@code codec} is null
   */
  public LwwRegister(Codec<V> codec) {
    if (codec == null) {
      throw new IllegalArgumentException("LwwRegister value codec must not be null");
    }
    this.codec = codec;
    this.opCodec = new OpCodec<>(codec);
  }

  /**
   * The operation that writes {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is null or the codec cannot encode it, so
   *     that a bad value fails at its origin rather than at send time
   */
  public Set<V> setOp(V value) {
    Set<V> op = new Set<>(value);
    codec.encode(value);
    return op;
  }

  /**
   * Keeps the op's value if {@code origin} is after the current writer's origin.
   *
   * @throws IllegalArgumentException if {@code op} or {@code origin} is null
   */
  @Override
  public void apply(Op<V> op, Origin origin) {
    if (op == null || origin == null) {
      throw new IllegalArgumentException(
          "LwwRegister apply needs an op and an origin, got op=" + op + " origin=" + origin);
    }
    Set<V> set = (Set<V>) op; // the only kind there is
    if (writer == null || origin.isAfter(writer)) {
      value = Bytes.own(codec.encode(set.value()));
      writer = origin;
    }
  }

  /** The current value (a fresh copy), or empty if no write has been applied. */
  public Optional<V> get() {
    return value == null ? Optional.empty() : Optional.of(codec.decode(value.copy()));
  }

  /** The origin of the write that holds the register, or empty if none has been applied. */
  public Optional<Origin> writer() {
    return Optional.ofNullable(writer);
  }

  @Override
  public Codec<Op<V>> opCodec() {
    return opCodec;
  }

  @Override
  public String toString() {
    return "LwwRegister(" + (writer == null ? "unset" : get().get() + " by " + writer) + ")";
  }

  /** Version byte, kind byte {@code 1}, the value as a length-prefixed encoding. */
  private static final class OpCodec<V> implements Codec<Op<V>> {
    private static final String WHAT = "LwwRegister op";
    private final Codec<V> codec;

    OpCodec(Codec<V> codec) {
      this.codec = codec;
    }

    @Override
    public byte[] encode(Op<V> op) {
      if (op == null) {
        throw new IllegalArgumentException(WHAT + " to encode must not be null");
      }
      Set<V> set = (Set<V>) op;
      return new OpWriter(VERSION, KIND_SET).writeBytes(codec.encode(set.value())).toByteArray();
    }

    @Override
    public Op<V> decode(byte[] bytes) {
      OpReader in = new OpReader(bytes, WHAT);
      in.readVersion(VERSION);
      int at = in.position();
      int kind = in.readByte("op kind");
      if (kind != KIND_SET) {
        throw in.error("unknown op kind " + kind + " at byte " + at + " (1 = set)");
      }
      V value = in.readValue(codec, "value");
      in.end();
      return new Set<>(value);
    }

    @Override
    public String toString() {
      return "LwwRegister op codec(" + codec + ")";
    }
  }
}
