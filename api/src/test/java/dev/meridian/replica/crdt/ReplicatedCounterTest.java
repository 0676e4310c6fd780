package dev.meridian.replica.crdt;

import static dev.meridian.replica.CodecAssertions.assertDecodeFails;
import static dev.meridian.replica.CodecAssertions.assertFuzzSafe;
import static dev.meridian.replica.CodecAssertions.assertRoundTrip;
import static dev.meridian.replica.CodecAssertions.assertStrictVersioned;
import static dev.meridian.replica.CodecAssertions.hex;
import static dev.meridian.replica.crdt.Origins.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.replica.Codec;
import dev.meridian.replica.ConvergenceHarness;
import dev.meridian.replica.ConvergenceHarness.Subject;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReplicatedCounterTest {

  private static final Codec<ReplicatedCounter.Op> CODEC = ReplicatedCounter.OP_CODEC;

  @Test
  void startsAtZeroAndSumsDeltas() {
    ReplicatedCounter c = new ReplicatedCounter();
    assertEquals(0, c.value());
    c.apply(ReplicatedCounter.incrementOp(5), at("a", 1, 1));
    c.apply(ReplicatedCounter.decrementOp(7), at("b", 1, 1));
    c.apply(new ReplicatedCounter.Add(-3), at("a", 2, 2));
    assertEquals(-5, c.value());
    assertEquals(BigInteger.valueOf(-5), c.exactValue());
    assertEquals("ReplicatedCounter(-5)", c.toString());
  }

  @Test
  void factoriesRefuseNegativeAmountsNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReplicatedCounter.incrementOp(-4));
    assertTrue(e.getMessage().contains("-4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ReplicatedCounter.decrementOp(Long.MIN_VALUE));
    assertTrue(e.getMessage().contains(Long.toString(Long.MIN_VALUE)), e.getMessage());
    assertEquals(new ReplicatedCounter.Add(-Long.MAX_VALUE),
        ReplicatedCounter.decrementOp(Long.MAX_VALUE));
    assertEquals(new ReplicatedCounter.Add(0), ReplicatedCounter.incrementOp(0));
  }

  @Test
  void applyRefusesNulls() {
    ReplicatedCounter c = new ReplicatedCounter();
    assertThrows(IllegalArgumentException.class, () -> c.apply(null, at("a", 1, 1)));
    assertThrows(IllegalArgumentException.class,
        () -> c.apply(ReplicatedCounter.incrementOp(1), null));
  }

  /**
   * Why apply must not use Math.addExact: with MAX + 1 - 1 one order overflows in the middle and
   * the other does not. The counter ends at MAX in both orders, and reads fail only while the exact
   * sum is out of range.
   */
  @Test
  void overflowDoesNotDependOnApplyOrder() {
    ReplicatedCounter.Op[] ops = {
      ReplicatedCounter.incrementOp(Long.MAX_VALUE),
      ReplicatedCounter.incrementOp(1),
      ReplicatedCounter.decrementOp(1)
    };
    ReplicatedCounter x = new ReplicatedCounter();
    x.apply(ops[0], at("a", 1, 1));
    x.apply(ops[1], at("b", 1, 1));
    ArithmeticException e = assertThrows(ArithmeticException.class, x::value);
    assertTrue(e.getMessage().contains("9223372036854775808"), e.getMessage());
    x.apply(ops[2], at("c", 1, 1));
    assertEquals(Long.MAX_VALUE, x.value());

    ReplicatedCounter y = new ReplicatedCounter();
    y.apply(ops[0], at("a", 1, 1));
    y.apply(ops[2], at("c", 1, 1));
    y.apply(ops[1], at("b", 1, 1));
    assertEquals(Long.MAX_VALUE, y.value());
  }

  @Test
  void exactValueGoesFarBeyondLong() {
    ReplicatedCounter c = new ReplicatedCounter();
    BigInteger expected = BigInteger.ZERO;
    for (int i = 0; i < 10; i++) {
      c.apply(new ReplicatedCounter.Add(Long.MIN_VALUE), at("a", i + 1, i));
      expected = expected.add(BigInteger.valueOf(Long.MIN_VALUE));
    }
    assertEquals(expected, c.exactValue());
    assertThrows(ArithmeticException.class, c::value);
    for (int i = 0; i < 10; i++) {
      c.apply(new ReplicatedCounter.Add(Long.MAX_VALUE), at("b", i + 1, i));
      expected = expected.add(BigInteger.valueOf(Long.MAX_VALUE));
    }
    assertEquals(expected, c.exactValue());
    assertEquals(-10, c.value());
  }

  @Test
  void exactValueMatchesBigIntegerOnRandomDeltas() {
    long seed = 0xC0_0A7E5L;
    SplittableRandom random = new SplittableRandom(seed);
    ReplicatedCounter c = new ReplicatedCounter();
    BigInteger expected = BigInteger.ZERO;
    for (int i = 0; i < 2_000; i++) {
      long delta = random.nextInt(3) == 0 ? random.nextLong() : random.nextInt(1000) - 500;
      c.apply(new ReplicatedCounter.Add(delta), at("a", i + 1, i));
      expected = expected.add(BigInteger.valueOf(delta));
      assertEquals(expected, c.exactValue(), "seed=" + seed + " step " + i);
      boolean fits = expected.bitLength() < 64;
      if (fits) {
        assertEquals(expected.longValueExact(), c.value(), "seed=" + seed + " step " + i);
      } else {
        assertThrows(ArithmeticException.class, c::value, "seed=" + seed + " step " + i);
      }
    }
  }

  // ---------------------------------------------------------------- codec

  @Test
  void exactBytes() {
    assertEquals("01 01 00", hex(CODEC.encode(new ReplicatedCounter.Add(0))));
    assertEquals("01 01 01", hex(CODEC.encode(new ReplicatedCounter.Add(-1))));
    assertEquals("01 01 02", hex(CODEC.encode(new ReplicatedCounter.Add(1))));
    assertEquals("01 01 ac 02", hex(CODEC.encode(new ReplicatedCounter.Add(150))));
    assertEquals("01 01 ff ff ff ff ff ff ff ff ff 01",
        hex(CODEC.encode(new ReplicatedCounter.Add(Long.MIN_VALUE))));
  }

  @Test
  void roundTrips() {
    for (long d : new long[] {0, 1, -1, 63, -64, 64, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertRoundTrip(CODEC, new ReplicatedCounter.Add(d));
    }
    long seed = 0xC0_DEC0L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 1_000; i++) {
      long d = random.nextLong() >> random.nextInt(64);
      ReplicatedCounter.Add op = new ReplicatedCounter.Add(d);
      assertEquals(op, CODEC.decode(CODEC.encode(op)), "seed=" + seed + " delta " + d);
    }
  }

  @Test
  void refusesTruncatedVersionAndTrailingBytes() {
    assertStrictVersioned(CODEC, CODEC.encode(new ReplicatedCounter.Add(Long.MIN_VALUE)));
    assertStrictVersioned(CODEC, CODEC.encode(new ReplicatedCounter.Add(0)));
  }

  @Test
  void refusesUnknownKindAndBadVarints() {
    assertDecodeFails(CODEC, hex("01 02 00"), "unknown op kind 2 at byte 1");
    assertDecodeFails(CODEC, hex("01 00 00"), "unknown op kind 0");
    assertDecodeFails(CODEC, hex("01 01 80 00"), "delta at byte 2 is not minimally encoded");
    assertDecodeFails(CODEC, hex("01 01 ff ff ff ff ff ff ff ff ff 02"), "does not fit in 64 bits");
    assertDecodeFails(CODEC, hex("01 01 ff ff ff ff ff ff ff ff ff 81 00"), "64 bits");
  }

  @Test
  void fuzzedEncodingsAreRefusedOrCanonical() {
    assertFuzzSafe(CODEC, CODEC.encode(new ReplicatedCounter.Add(-123456789)), 11, 2_000);
  }

  @Test
  void encodeRefusesNull() {
    assertThrows(IllegalArgumentException.class, () -> CODEC.encode(null));
  }

  // ---------------------------------------------------------------- why not addExact

  /** A counter as first proposed: apply checks each step with Math.addExact. */
  static final class AddExactCounter implements ReplicatedState<ReplicatedCounter.Op> {
    long value;

    @Override
    public void apply(ReplicatedCounter.Op op, Origin origin) {
      value = Math.addExact(value, ((ReplicatedCounter.Add) op).delta());
    }

    @Override
    public Codec<ReplicatedCounter.Op> opCodec() {
      return CODEC;
    }
  }

  @Test
  void theHarnessCatchesACounterThatChecksOverflowPerStep() {
    Subject<AddExactCounter, ReplicatedCounter.Op> broken = new Subject<>() {
      @Override
      public String name() {
        return "add-exact counter (broken on purpose)";
      }

      @Override
      public AddExactCounter newReplica() {
        return new AddExactCounter();
      }

      @Override
      public ReplicatedCounter.Op prepare(AddExactCounter local, SplittableRandom random) {
        return CrdtSubjects.COUNTER.prepare(null, random); // the same ops the real one converges on
      }

      @Override
      public Object observe(AddExactCounter state) {
        return state.value;
      }
    };
    long first = ConvergenceHarness.firstSeed();
    int count = ConvergenceHarness.seedCount();
    String failure = null;
    for (long seed = first; seed < first + count && failure == null; seed++) {
      failure = ConvergenceHarness.run(broken, seed).failure().orElse(null);
    }
    assertTrue(failure != null && failure.contains("ArithmeticException"),
        "seeds " + first + ".." + (first + count - 1) + ": expected an overflow in some apply"
            + " order, got " + failure);
  }
}
