package dev.meridian.replica.crdt;

import dev.meridian.replica.Codec;
import dev.meridian.replica.ConvergenceHarness.History;
import dev.meridian.replica.ConvergenceHarness.Issued;
import dev.meridian.replica.ConvergenceHarness.Subject;
import dev.meridian.replica.Origin;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The CRDTs as harness subjects: random operations prepared with the public factories, the whole
 * state as the value to compare, and a specification written in terms of the causal history
 * rather than the implementation's tags.
 */
final class CrdtSubjects {
  private CrdtSubjects() {}

  // ---------------------------------------------------------------- counter

  static final Subject<ReplicatedCounter, ReplicatedCounter.Op> COUNTER =
      new Subject<>() {
        @Override
        public String name() {
          return "ReplicatedCounter";
        }

        @Override
        public ReplicatedCounter newReplica() {
          return new ReplicatedCounter();
        }

        @Override
        public ReplicatedCounter.Op prepare(ReplicatedCounter local, SplittableRandom random) {
          int r = random.nextInt(10);
          if (r < 4) {
            return ReplicatedCounter.incrementOp(random.nextInt(100));
          } else if (r < 8) {
            return ReplicatedCounter.decrementOp(random.nextInt(100));
          } else if (r == 8) { // huge amounts: intermediate sums leave the range of long
            return ReplicatedCounter.incrementOp(Long.MAX_VALUE - random.nextInt(3));
          } else {
            return ReplicatedCounter.decrementOp(Long.MAX_VALUE - random.nextInt(3));
          }
        }

        @Override
        public Object observe(ReplicatedCounter state) {
          return state.exactValue();
        }

        @Override
        public String checkSpec(ReplicatedCounter state, History<ReplicatedCounter.Op> history) {
          BigInteger sum = BigInteger.ZERO;
          for (Issued<ReplicatedCounter.Op> issued : history.ops()) {
            sum = sum.add(BigInteger.valueOf(((ReplicatedCounter.Add) issued.op()).delta()));
          }
          return sum.equals(state.exactValue())
              ? null
              : "sum of deltas is " + sum + " but the counter reads " + state.exactValue();
        }
      };

  // ---------------------------------------------------------------- register

  static final Subject<LwwRegister<String>, LwwRegister.Op<String>> REGISTER =
      new Subject<>() {
        @Override
        public String name() {
          return "LwwRegister";
        }

        @Override
        public LwwRegister<String> newReplica() {
          return new LwwRegister<>(Codec.utf8());
        }

        @Override
        public LwwRegister.Op<String> prepare(LwwRegister<String> local, SplittableRandom random) {
          return local.setOp("v" + random.nextInt(6));
        }

        @Override
        public Object observe(LwwRegister<String> state) {
          return Arrays.asList(state.get(), state.writer());
        }

        @Override
        public String checkSpec(LwwRegister<String> state, History<LwwRegister.Op<String>> history) {
          Issued<LwwRegister.Op<String>> last = null;
          for (Issued<LwwRegister.Op<String>> issued : history.ops()) {
            if (last == null || issued.origin().isAfter(last.origin())) {
              last = issued;
            }
          }
          if (last == null) {
            return state.get().isEmpty() ? null : "no write, yet the register holds " + state;
          }
          String expected = ((LwwRegister.Set<String>) last.op()).value();
          return Optional.of(expected).equals(state.get())
                  && Optional.of(last.origin()).equals(state.writer())
              ? null
              : "greatest write is " + last + " but the register is " + state;
        }
      };

  // ---------------------------------------------------------------- OR-Set

  static final Subject<OrSet<String>, OrSet.Op<String>> OR_SET =
      orSet("OrSet<String>", Codec.utf8(), random -> List.of("a", "b", "c", "", "é").get(
          random.nextInt(5)), element -> element);

  static final Subject<OrSet<byte[]>, OrSet.Op<byte[]>> OR_SET_OF_BYTES =
      orSet("OrSet<byte[]>", Codec.bytes(), random -> {
        byte[] element = new byte[random.nextInt(3)];
        for (int i = 0; i < element.length; i++) {
          element[i] = (byte) (random.nextBoolean() ? 0 : 0xFF);
        }
        return element;
      }, element -> HexFormat.of().formatHex(element));

  /**
   * @param identity maps an element to a value whose equals is the element's identity (the codec
   *     decides identity; for arrays, their contents)
   */
  static <E> Subject<OrSet<E>, OrSet.Op<E>> orSet(
      String name, Codec<E> codec, Function<SplittableRandom, E> elements,
      Function<E, Object> identity) {
    return new Subject<>() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public OrSet<E> newReplica() {
        return new OrSet<>(codec);
      }

      @Override
      public OrSet.Op<E> prepare(OrSet<E> local, SplittableRandom random) {
        E element = elements.apply(random);
        return random.nextInt(100) < 55 ? local.addOp(element) : local.removeOp(element);
      }

      @Override
      public Object observe(OrSet<E> state) {
        List<Object> visible = new ArrayList<>();
        state.elements().forEach(e -> visible.add(identity.apply(e)));
        return Arrays.asList(state.canonicalState(), visible);
      }

      /**
       * e is in the set exactly when some add of e is not causally followed by any operation on
       * e; the tags of those adds are e's live tags.
       */
      @Override
      public String checkSpec(OrSet<E> state, History<OrSet.Op<E>> history) {
        Map<Object, E> byIdentity = new TreeMap<>(Comparator.BY_STRING);
        Map<Object, TreeSet<Tag>> expected = new TreeMap<>(Comparator.BY_STRING);
        for (Issued<OrSet.Op<E>> a : history.ops()) {
          Object id = identity.apply(a.op().element());
          byIdentity.put(id, a.op().element());
          if (!(a.op() instanceof OrSet.Add)) {
            continue;
          }
          boolean followed = false;
          for (Issued<OrSet.Op<E>> b : history.ops()) {
            followed |= history.happenedBefore(a, b) && identity.apply(b.op().element()).equals(id);
          }
          if (!followed) {
            expected.computeIfAbsent(id, k -> new TreeSet<>()).add(Tag.of(a.origin()));
          }
        }
        for (Map.Entry<Object, E> e : byIdentity.entrySet()) {
          TreeSet<Tag> want = expected.getOrDefault(e.getKey(), new TreeSet<>());
          if (!want.equals(state.tags(e.getValue()))) {
            return "element " + e.getKey() + " should have live tags " + want + " but has "
                + state.tags(e.getValue());
          }
          if (state.contains(e.getValue()) != !want.isEmpty()) {
            return "contains(" + e.getKey() + ") is " + state.contains(e.getValue());
          }
        }
        return state.size() == expected.size()
            ? null
            : "set has " + state.size() + " elements, expected " + expected.keySet();
      }
    };
  }

  /** Orders identity values by their string form (they are strings or hex strings). */
  private enum Comparator implements java.util.Comparator<Object> {
    BY_STRING;

    @Override
    public int compare(Object a, Object b) {
      return a.toString().compareTo(b.toString());
    }
  }

  // ---------------------------------------------------------------- map

  static final Subject<ReplicatedMap<String, Long>, ReplicatedMap.Op<String, Long>> MAP =
      new Subject<>() {
        @Override
        public String name() {
          return "ReplicatedMap<String, Long>";
        }

        @Override
        public ReplicatedMap<String, Long> newReplica() {
          return new ReplicatedMap<>(Codec.utf8(), Codec.int64());
        }

        @Override
        public ReplicatedMap.Op<String, Long> prepare(
            ReplicatedMap<String, Long> local, SplittableRandom random) {
          String key = "k" + random.nextInt(4);
          if (random.nextInt(100) < 60) {
            long value = random.nextBoolean() ? random.nextInt(10) : random.nextLong();
            return local.putOp(key, value);
          }
          return local.removeOp(key);
        }

        @Override
        public Object observe(ReplicatedMap<String, Long> state) {
          return Arrays.asList(state.canonicalState(), state.asMap());
        }

        /**
         * The live puts of k are those not causally followed by any operation on k; k is present
         * when there is one, with the value of the live put of greatest origin.
         */
        @Override
        public String checkSpec(
            ReplicatedMap<String, Long> state, History<ReplicatedMap.Op<String, Long>> history) {
          TreeMap<String, TreeMap<Tag, Origin>> liveEntries = new TreeMap<>();
          TreeMap<String, Issued<ReplicatedMap.Op<String, Long>>> winners = new TreeMap<>();
          TreeSet<String> keys = new TreeSet<>();
          for (Issued<ReplicatedMap.Op<String, Long>> a : history.ops()) {
            String key = a.op().key();
            keys.add(key);
            if (!(a.op() instanceof ReplicatedMap.Put)) {
              continue;
            }
            boolean followed = false;
            for (Issued<ReplicatedMap.Op<String, Long>> b : history.ops()) {
              followed |= history.happenedBefore(a, b) && b.op().key().equals(key);
            }
            if (!followed) {
              liveEntries.computeIfAbsent(key, k -> new TreeMap<>())
                  .put(Tag.of(a.origin()), a.origin());
              Issued<ReplicatedMap.Op<String, Long>> w = winners.get(key);
              if (w == null || a.origin().isAfter(w.origin())) {
                winners.put(key, a);
              }
            }
          }
          for (String key : keys) {
            Map<Tag, Origin> want = liveEntries.getOrDefault(key, new TreeMap<>());
            if (!want.equals(state.entries(key))) {
              return "key " + key + " should have live entries " + want + " but has "
                  + state.entries(key);
            }
            Optional<Long> value = Optional.ofNullable(winners.get(key))
                .map(w -> ((ReplicatedMap.Put<String, Long>) w.op()).value());
            if (!value.equals(state.get(key))) {
              return "key " + key + " should map to " + value + " but maps to " + state.get(key);
            }
          }
          return Objects.equals(state.keys(), winners.keySet())
              ? null
              : "keys are " + state.keys() + ", expected " + winners.keySet();
        }
      };
}
