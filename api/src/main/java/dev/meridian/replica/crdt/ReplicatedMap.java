package dev.meridian.replica.crdt;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A map that every member may update: an observed-remove map whose keys behave like the elements
 * of an {@link OrSet} (a put wins over a concurrent remove) and whose values are last-writer-wins
 * among concurrent puts.
 *
 * <p><b>Semantics, precisely.</b> Each key holds a set of live <i>entries</i>, one per put, named
 * by the put's {@link Tag} and carrying its value and {@link Origin}.
 *
 * <ul>
 *   <li>{@code put(k, v)}, prepared by {@link #putOp} at its origin, names the entries of k the
 *       origin held then; applying it kills those and adds its own entry.
 *   <li>{@code remove(k)}, prepared by {@link #removeOp}, names the entries of k its origin held
 *       then; applying it kills those, and only those.
 *   <li>k is in the map while it has a live entry, and maps to the value of its live entry with
 *       the greatest origin in {@link Origin#LWW_ORDER}.
 * </ul>
 *
 * Equivalently: the live puts of k are those not causally followed by any put or remove of k. So
 * a put that saw earlier puts replaces them (and needs no timestamp to win); of concurrent puts,
 * all stay live and the one with the greatest origin shows (and the others show again if a remove
 * that saw only that one kills it); a remove kills only what it saw, so a concurrent put survives
 * it and the key stays.
 *
 * <p><b>Guarantee.</b> Members that have applied the same operations, each in an order consistent
 * with causality, hold the same map. Like {@link OrSet}, this relies on causal delivery. A key
 * holds one entry per concurrent put, not one per put ever made.
 *
 * <p><b>Identity and copies.</b> Keys are identified by their encoding under the key codec, not by
 * {@code equals}; keys and values are stored encoded, and every read decodes fresh copies. Iteration
 * order is the unsigned byte order of the key encodings, the same on every member.
 *
 * <p>Not thread-safe; see {@link ReplicatedState}.
 *
 * @param <K> the type of key
 * @param <V> the type of value
 */
public final class ReplicatedMap<K, V> implements ReplicatedState<ReplicatedMap.Op<K, V>> {

  /**
   * An operation on a replicated map.
   *
   * @param <K> the type of key
   * @param <V> the type of value
   */
  public sealed interface Op<K, V> permits Put, Remove {
    /** The key put or removed. */
    K key();
  }

  /**
   * Maps {@code key} to {@code value} under the tag of this op's {@link Origin}, and kills the
   * entries in {@code supersedes}: those of the key its origin had seen (see {@link #putOp}).
   *
   * @param key the key, never null
   * @param value the value, never null
   * @param supersedes the tags of the entries this put replaces; an unmodifiable sorted copy
   * @param <K> the type of key
   * @param <V> the type of value
   */
  public record Put<K, V>(K key, V value, Set<Tag> supersedes) implements Op<K, V> {
    /** @throws IllegalArgumentException if the key, the value, the set or a tag is null */
    public Put {
      requireKey(key);
      if (value == null) {
        throw new IllegalArgumentException(
            "ReplicatedMap value must not be null (remove the key instead)");
      }
      supersedes = Tag.sortedCopy(supersedes, "ReplicatedMap put: superseded tags");
    }
  }

  /**
   * Kills the entries of {@code key} named in {@code observed}, and no others: a put its origin
   * had not seen survives it.
   *
   * @param key the key, never null
   * @param observed the tags of the key's entries its origin had seen; an unmodifiable sorted copy
   * @param <K> the type of key
   * @param <V> the type of value
   */
  public record Remove<K, V>(K key, Set<Tag> observed) implements Op<K, V> {
    /** @throws IllegalArgumentException if the key, the set or a tag is null */
    public Remove {
      requireKey(key);
      observed = Tag.sortedCopy(observed, "ReplicatedMap remove: observed tags");
    }
  }

  private static void requireKey(Object key) {
    if (key == null) {
      throw new IllegalArgumentException("ReplicatedMap key must not be null");
    }
  }

  /** First byte of every encoded op; decoding refuses any other. */
  static final int VERSION = 1;

  static final int KIND_PUT = 1;
  static final int KIND_REMOVE = 2;

  /** One live put: who issued it and its value, encoded. */
  private record Entry(Origin origin, Bytes value) {}

  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private final Codec<Op<K, V>> opCodec;
  private final TreeMap<Bytes, TreeMap<Tag, Entry>> live = new TreeMap<>(); // no empty maps

  /**
   * An empty map whose keys and values travel and are stored in the given codecs' forms.
   *
   * @throws IllegalArgumentException if a codec is null
   */
  public ReplicatedMap(Codec<K> keyCodec, Codec<V> valueCodec) {
    if (keyCodec == null || valueCodec == null) {
      throw new IllegalArgumentException(
          "ReplicatedMap codecs must not be null, got key codec " + keyCodec + ", value codec "
              + valueCodec);
    }
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.opCodec = new OpCodec<>(keyCodec, valueCodec);
  }

  private Bytes key(K key) {
    requireKey(key);
    return Bytes.own(keyCodec.encode(key));
  }

  private Set<Tag> tagsOf(Bytes key) {
    TreeMap<Tag, Entry> entries = live.get(key);
    return entries == null ? Set.of() : Tag.sortedCopy(entries.keySet(), "tags");
  }

  /**
   * The operation that maps {@code key} to {@code value}, replacing the entries of the key this
   * replica holds now.
   *
   * @throws IllegalArgumentException if the key or value is null or its codec cannot encode it
   */
  public Put<K, V> putOp(K key, V value) {
    Put<K, V> op = new Put<>(key, value, tagsOf(key(key)));
    valueCodec.encode(value); // fail at the origin, not at send time
    return op;
  }

  /**
   * The operation that removes {@code key} as this replica sees it now: it names the key's entries
   * held here. If the key is absent, the operation names no entry and changes nothing anywhere.
   *
   * @throws IllegalArgumentException if the key is null or the codec cannot encode it
   */
  public Remove<K, V> removeOp(K key) {
    return new Remove<>(key, tagsOf(key(key)));
  }

  /**
   * Applies a put or a remove issued by {@code origin}.
   *
   * @throws IllegalArgumentException if {@code op} or {@code origin} is null, or a put claims to
   *     supersede its own tag
   */
  @Override
  public void apply(Op<K, V> op, Origin origin) {
    if (op == null || origin == null) {
      throw new IllegalArgumentException(
          "ReplicatedMap apply needs an op and an origin, got op=" + op + " origin=" + origin);
    }
    Bytes key = key(op.key());
    if (op instanceof Put<K, V> put) {
      Tag tag = Tag.of(origin);
      if (put.supersedes().contains(tag)) {
        throw new IllegalArgumentException(
            "ReplicatedMap put from " + origin + " supersedes its own tag " + tag);
      }
      Entry entry = new Entry(origin, Bytes.own(valueCodec.encode(put.value())));
      TreeMap<Tag, Entry> entries = live.computeIfAbsent(key, k -> new TreeMap<>());
      entries.keySet().removeAll(put.supersedes());
      entries.put(tag, entry);
    } else {
      Remove<K, V> remove = (Remove<K, V>) op;
      TreeMap<Tag, Entry> entries = live.get(key);
      if (entries != null) {
        entries.keySet().removeAll(remove.observed());
        if (entries.isEmpty()) {
          live.remove(key);
        }
      }
    }
  }

  private static Entry winner(TreeMap<Tag, Entry> entries) {
    Entry best = null;
    for (Entry e : entries.values()) {
      if (best == null || e.origin().isAfter(best.origin())) {
        best = e;
      }
    }
    return best;
  }

  /**
   * The value of {@code key} (a fresh copy), or empty when the key is absent.
   *
   * @throws IllegalArgumentException if the key is null or the codec cannot encode it
   */
  public Optional<V> get(K key) {
    TreeMap<Tag, Entry> entries = live.get(key(key));
    return entries == null
        ? Optional.empty()
        : Optional.of(valueCodec.decode(winner(entries).value().copy()));
  }

  /**
   * True when {@code key} is in the map.
   *
   * @throws IllegalArgumentException if the key is null or the codec cannot encode it
   */
  public boolean containsKey(K key) {
    return live.containsKey(key(key));
  }

  /**
   * The live entries of {@code key} by tag, each with the origin of its put (empty when absent):
   * one entry per concurrent put; {@link #get} shows the one with the greatest origin.
   *
   * @throws IllegalArgumentException if the key is null or the codec cannot encode it
   */
  public Map<Tag, Origin> entries(K key) {
    TreeMap<Tag, Entry> entries = live.get(key(key));
    TreeMap<Tag, Origin> out = new TreeMap<>();
    if (entries != null) {
      entries.forEach((tag, entry) -> out.put(tag, entry.origin()));
    }
    return Collections.unmodifiableMap(out);
  }

  /** A snapshot of the keys: unmodifiable, freshly decoded, in the order of their encodings. */
  public Set<K> keys() {
    LinkedHashSet<K> out = new LinkedHashSet<>();
    for (Bytes key : live.keySet()) {
      out.add(keyCodec.decode(key.copy()));
    }
    return Collections.unmodifiableSet(out);
  }

  /**
   * A snapshot of the whole map: unmodifiable, freshly decoded, in the order of the key encodings.
   */
  public Map<K, V> asMap() {
    LinkedHashMap<K, V> out = new LinkedHashMap<>();
    for (Map.Entry<Bytes, TreeMap<Tag, Entry>> e : live.entrySet()) {
      out.put(
          keyCodec.decode(e.getKey().copy()),
          valueCodec.decode(winner(e.getValue()).value().copy()));
    }
    return Collections.unmodifiableMap(out);
  }

  /** The number of keys. */
  public int size() {
    return live.size();
  }

  /** The whole state (encoded keys, their entries and values), for tests that compare replicas. */
  String canonicalState() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Bytes, TreeMap<Tag, Entry>> e : live.entrySet()) {
      sb.append(sb.length() > 1 ? ", " : "").append(e.getKey()).append("={");
      String sep = "";
      for (Map.Entry<Tag, Entry> en : e.getValue().entrySet()) {
        sb.append(sep).append(en.getKey()).append('@').append(en.getValue().origin().timestamp())
            .append('=').append(en.getValue().value());
        sep = ", ";
      }
      sb.append('}');
    }
    return sb.append('}').toString();
  }

  @Override
  public Codec<Op<K, V>> opCodec() {
    return opCodec;
  }

  @Override
  public String toString() {
    return "ReplicatedMap" + asMap();
  }

  /**
   * Version byte; kind byte ({@code 1} put, {@code 2} remove); the key as a length-prefixed
   * encoding; for a put, the value likewise; the superseded or observed tags.
   */
  private static final class OpCodec<K, V> implements Codec<Op<K, V>> {
    private static final String WHAT = "ReplicatedMap op";
    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;

    OpCodec(Codec<K> keyCodec, Codec<V> valueCodec) {
      this.keyCodec = keyCodec;
      this.valueCodec = valueCodec;
    }

    @Override
    public byte[] encode(Op<K, V> op) {
      if (op == null) {
        throw new IllegalArgumentException(WHAT + " to encode must not be null");
      }
      if (op instanceof Put<K, V> put) {
        return new OpWriter(VERSION, KIND_PUT)
            .writeBytes(keyCodec.encode(put.key()))
            .writeBytes(valueCodec.encode(put.value()))
            .writeTags(put.supersedes())
            .toByteArray();
      }
      Remove<K, V> remove = (Remove<K, V>) op;
      return new OpWriter(VERSION, KIND_REMOVE)
          .writeBytes(keyCodec.encode(remove.key()))
          .writeTags(remove.observed())
          .toByteArray();
    }

    @Override
    public Op<K, V> decode(byte[] bytes) {
      OpReader in = new OpReader(bytes, WHAT);
      in.readVersion(VERSION);
      int at = in.position();
      int kind = in.readByte("op kind");
      Op<K, V> op;
      if (kind == KIND_PUT) {
        K key = in.readValue(keyCodec, "key");
        V value = in.readValue(valueCodec, "value");
        op = new Put<>(key, value, in.readTags("superseded tags"));
      } else if (kind == KIND_REMOVE) {
        K key = in.readValue(keyCodec, "key");
        op = new Remove<>(key, in.readTags("observed tags"));
      } else {
        throw in.error("unknown op kind " + kind + " at byte " + at + " (1 = put, 2 = remove)");
      }
      in.end();
      return op;
    }

    @Override
    public String toString() {
      return "ReplicatedMap op codec(" + keyCodec + ", " + valueCodec + ")";
    }
  }
}
