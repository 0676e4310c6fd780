package dev.meridian.replica.crdt;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.math.BigInteger;

/**
 * A counter that every member may increment and decrement (PN-counter semantics, op-based).
 *
 * <p><b>Guarantee.</b> Members that have applied the same operations read the same {@link
 * #exactValue()}: the sum of every applied delta, whatever order they were applied in. Addition
 * commutes, so causal delivery is more than this counter needs; it converges under any delivery
 * order that applies each operation exactly once.
 *
 * <p><b>Overflow.</b> The sum is kept exactly (in 128 bits), so {@link #apply} never throws and
 * never wraps. Checking each step with {@code Math.addExact} would not do: whether an intermediate
 * sum overflows depends on the order of application ({@code MAX_VALUE + 1 - 1} overflows, {@code
 * MAX_VALUE - 1 + 1} does not), so replicas would disagree on whether an operation failed. Instead
 * {@link #value()} throws {@link ArithmeticException} while the exact sum is outside the range of
 * {@code long}, identically on every member that applied the same operations.
 *
 * <p>Not thread-safe; see {@link ReplicatedState}.
 */
public final class ReplicatedCounter implements ReplicatedState<ReplicatedCounter.Op> {

  /** An operation on a counter. */
  public sealed interface Op permits Add {}

  /**
   * Adds {@code delta} (negative to subtract) to the counter.
   *
   * @param delta any long; {@link Long#MIN_VALUE} included
   */
  public record Add(long delta) implements Op {}

  /** First byte of every encoded op; decoding refuses any other. */
  static final int VERSION = 1;

  static final int KIND_ADD = 1;

  /** The op codec: version byte, kind byte {@code 1}, the delta as a zigzag varint. */
  public static final Codec<Op> OP_CODEC = new OpCodec();

  // The exact sum as a 128-bit two's complement number: high * 2^64 + unsigned(low).
  private long high;
  private long low;

  /** A counter at 0. */
  public ReplicatedCounter() {}

  /**
   * The operation that adds {@code amount}.
   *
   * @throws IllegalArgumentException if {@code amount} is negative (use {@link #decrementOp})
   */
  public static Add incrementOp(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException(
          "increment amount must be >= 0, got " + amount + "; use decrementOp to subtract");
    }
    return new Add(amount);
  }

  /**
   * The operation that subtracts {@code amount}.
   *
   * @throws IllegalArgumentException if {@code amount} is negative (use {@link #incrementOp});
   *     this includes {@link Long#MIN_VALUE}, whose negation does not exist as a long
   */
  public static Add decrementOp(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException(
          "decrement amount must be >= 0, got " + amount + "; use incrementOp to add");
    }
    return new Add(-amount);
  }

  /**
   * Adds the op's delta.
   *
   * @throws IllegalArgumentException if {@code op} or {@code origin} is null
   */
  @Override
  public void apply(Op op, Origin origin) {
    if (op == null || origin == null) {
      throw new IllegalArgumentException(
          "counter apply needs an op and an origin, got op=" + op + " origin=" + origin);
    }
    Add add = (Add) op; // the only kind there is
    long delta = add.delta();
    long sumLow = low + delta;
    long carry = Long.compareUnsigned(sumLow, low) < 0 ? 1 : 0;
    high = high + (delta >> 63) + carry; // delta >> 63 sign-extends it to 128 bits
    low = sumLow;
  }

  /**
   * The counter's value.
   *
   * @throws ArithmeticException if the exact sum does not fit in a long (see {@link
   *     #exactValue()})
   */
  public long value() {
    if (high != (low >> 63)) {
      throw new ArithmeticException(
          "counter value " + exactValue() + " is outside the range of long; read exactValue()");
    }
    return low;
  }

  /** The exact sum of every applied delta, which may lie outside the range of long. */
  public BigInteger exactValue() {
    return BigInteger.valueOf(high).shiftLeft(64).add(new BigInteger(Long.toUnsignedString(low)));
  }

  @Override
  public Codec<Op> opCodec() {
    return OP_CODEC;
  }

  @Override
  public String toString() {
    return "ReplicatedCounter(" + exactValue() + ")";
  }

  private static final class OpCodec implements Codec<Op> {
    private static final String WHAT = "ReplicatedCounter op";

    @Override
    public byte[] encode(Op op) {
      if (op == null) {
        throw new IllegalArgumentException(WHAT + " to encode must not be null");
      }
      Add add = (Add) op;
      return new OpWriter(VERSION, KIND_ADD).writeZigZag(add.delta()).toByteArray();
    }

    @Override
    public Op decode(byte[] bytes) {
      OpReader in = new OpReader(bytes, WHAT);
      in.readVersion(VERSION);
      int at = in.position();
      int kind = in.readByte("op kind");
      if (kind != KIND_ADD) {
        throw in.error("unknown op kind " + kind + " at byte " + at + " (1 = add)");
      }
      long delta = in.readZigZag("delta");
      in.end();
      return new Add(delta);
    }

    @Override
    public String toString() {
      return "ReplicatedCounter.OP_CODEC";
    }
  }
}
