package dev.meridian.replica.crdt;

import dev.meridian.replica.Codec;
import dev.meridian.replica.Origin;
import dev.meridian.replica.ReplicatedState;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An observed-remove set (OR-Set, Shapiro et al. 2011), op-based: every member may add and remove
 * elements, and <b>an add wins over a concurrent remove</b> of the same element.
 *
 * <p><b>How.</b> Each add is named by a unique {@link Tag} (its origin's node and sequence number),
 * and an element is in the set while it has at least one live tag. A remove, prepared at its origin
 * by {@link #removeOp}, carries the tags of the element that the origin had seen, and kills only
 * those; an add the origin had not seen (a concurrent one) keeps its tag and the element stays. An
 * add, prepared by {@link #addOp}, likewise carries the tags it supersedes, so an element added
 * again and again keeps one tag per concurrent add rather than one per add ever made.
 *
 * <p><b>Guarantee.</b> Members that have applied the same operations, each in an order consistent
 * with causality, hold the same set. Equivalently: e is in the set exactly when some add of e is
 * not causally followed by any add or remove of e; its tag is then live. This relies on causal
 * delivery: a remove must be applied after the adds whose tags it names, or it would miss them and
 * they would resurrect the element. Meridian's causal multicast guarantees that order.
 *
 * <p><b>Identity of elements.</b> Elements are identified by their encoding under the set's {@link
 * Codec}, not by {@code equals}: two elements are the same exactly when they encode to the same
 * bytes. That makes byte arrays usable as elements and keeps members on different JVMs in
 * agreement. The set stores encodings, and readers get freshly decoded copies; iteration order is
 * the unsigned byte order of the encodings, the same on every member.
 *
 * <p>Not thread-safe; see {@link ReplicatedState}.
 *
 * @param <E> the type of element
 */
public final class OrSet<E> implements ReplicatedState<OrSet.Op<E>> {

  /**
   * An operation on an OR-Set.
   *
   * @param <E> the type of element
   */
  public sealed interface Op<E> permits Add, Remove {
    /** The element added or removed. */
    E element();
  }

  /**
   * Adds {@code element} under the tag of this op's {@link Origin}, and kills the tags in {@code
   * supersedes}: those of the same element its origin had seen (see {@link #addOp}).
   *
   * @param element the element, never null
   * @param supersedes the tags replaced by this add; an unmodifiable sorted copy
   * @param <E> the type of element
   */
  public record Add<E>(E element, Set<Tag> supersedes) implements Op<E> {
    /** @throws IllegalArgumentException if the element, the set or a tag is null */
    public Add {
      requireElement(element);
      supersedes = Tag.sortedCopy(supersedes, "OrSet add: superseded tags");
    }

    /** An add that supersedes no tag: correct, but the element may carry one tag per add. */
    public Add(E element) {
      this(element, Set.of());
    }
  }

  /**
   * Removes the tags in {@code observed} from {@code element}, and no others: an add its origin
   * had not seen survives it.
   *
   * @param element the element, never null
   * @param observed the element's tags its origin had seen; an unmodifiable sorted copy
   * @param <E> the type of element
   */
  public record Remove<E>(E element, Set<Tag> observed) implements Op<E> {
    /** @throws IllegalArgumentException if the element, the set or a tag is null */
    public Remove {
      requireElement(element);
      observed = Tag.sortedCopy(observed, "OrSet remove: observed tags");
    }
  }

  private static void requireElement(Object element) {
    if (element == null) {
      throw new IllegalArgumentException("OrSet element must not be null");
    }
  }

  /** First byte of every encoded op; decoding refuses any other. */
  static final int VERSION = 1;

  static final int KIND_ADD = 1;
  static final int KIND_REMOVE = 2;

  private final Codec<E> codec;
  private final Codec<Op<E>> opCodec;
  private final TreeMap<Bytes, TreeSet<Tag>> live = new TreeMap<>(); // no empty tag sets

  /**
   * An empty set whose elements travel, are stored and are identified in {@code codec}'s form.
   *
   * @throws IllegalArgumentException if {@code codec} is null
   */
  public OrSet(Codec<E> codec) {
    if (codec == null) {
      throw new IllegalArgumentException("OrSet element codec must not be null");
    }
    this.codec = codec;
    this.opCodec = new OpCodec<>(codec);
  }

  private Bytes key(E element) {
    requireElement(element);
    return Bytes.own(codec.encode(element));
  }

  /**
   * The operation that adds {@code element}, superseding the tags of it this replica holds now.
   *
   * @throws IllegalArgumentException if {@code element} is null or the codec cannot encode it
   */
  public Add<E> addOp(E element) {
    return new Add<>(element, tagsOf(key(element)));
  }

  /**
   * The operation that removes {@code element} as this replica sees it now: it names the tags of
   * the element held here, so it undoes exactly the adds this replica has applied. If the element
   * is absent, the operation names no tag and changes nothing anywhere.
   *
   * @throws IllegalArgumentException if {@code element} is null or the codec cannot encode it
   */
  public Remove<E> removeOp(E element) {
    return new Remove<>(element, tagsOf(key(element)));
  }

  private Set<Tag> tagsOf(Bytes key) {
    TreeSet<Tag> tags = live.get(key);
    return tags == null ? Set.of() : Tag.sortedCopy(tags, "tags");
  }

  /**
   * Applies an add or a remove issued by {@code origin}.
   *
   * @throws IllegalArgumentException if {@code op} or {@code origin} is null, or an add claims to
   *     supersede its own tag (no origin can have seen an add before issuing it)
   */
  @Override
  public void apply(Op<E> op, Origin origin) {
    if (op == null || origin == null) {
      throw new IllegalArgumentException(
          "OrSet apply needs an op and an origin, got op=" + op + " origin=" + origin);
    }
    Bytes key = key(op.element());
    if (op instanceof Add<E> add) {
      Tag tag = Tag.of(origin);
      if (add.supersedes().contains(tag)) {
        throw new IllegalArgumentException(
            "OrSet add from " + origin + " supersedes its own tag " + tag);
      }
      TreeSet<Tag> tags = live.computeIfAbsent(key, k -> new TreeSet<>());
      tags.removeAll(add.supersedes());
      tags.add(tag);
    } else {
      Remove<E> remove = (Remove<E>) op;
      TreeSet<Tag> tags = live.get(key);
      if (tags != null) {
        tags.removeAll(remove.observed());
        if (tags.isEmpty()) {
          live.remove(key);
        }
      }
    }
  }

  /**
   * True when {@code element} is in the set.
   *
   * @throws IllegalArgumentException if {@code element} is null or the codec cannot encode it
   */
  public boolean contains(E element) {
    return live.containsKey(key(element));
  }

  /**
   * The live tags of {@code element} (empty when absent): the tags {@link #removeOp} would name.
   *
   * @throws IllegalArgumentException if {@code element} is null or the codec cannot encode it
   */
  public SortedSet<Tag> tags(E element) {
    TreeSet<Tag> tags = live.get(key(element));
    return Collections.unmodifiableSortedSet(tags == null ? new TreeSet<>() : new TreeSet<>(tags));
  }

  /**
   * A snapshot of the elements: an unmodifiable copy of freshly decoded elements, in the unsigned
   * byte order of their encodings.
   */
  public Set<E> elements() {
    LinkedHashSet<E> out = new LinkedHashSet<>();
    for (Bytes key : live.keySet()) {
      out.add(codec.decode(key.copy()));
    }
    return Collections.unmodifiableSet(out);
  }

  /** The number of elements. */
  public int size() {
    return live.size();
  }

  /** The whole state (encoded elements and their tags), for tests that compare replicas. */
  String canonicalState() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<Bytes, TreeSet<Tag>> e : live.entrySet()) {
      sb.append(sb.length() > 1 ? ", " : "").append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.append('}').toString();
  }

  @Override
  public Codec<Op<E>> opCodec() {
    return opCodec;
  }

  @Override
  public String toString() {
    return "OrSet" + elements();
  }

  /**
   * Version byte; kind byte ({@code 1} add, {@code 2} remove); the element as a length-prefixed
   * encoding; the superseded or observed tags.
   */
  private static final class OpCodec<E> implements Codec<Op<E>> {
    private static final String WHAT = "OrSet op";
    private final Codec<E> codec;

    OpCodec(Codec<E> codec) {
      this.codec = codec;
    }

    @Override
    public byte[] encode(Op<E> op) {
      if (op == null) {
        throw new IllegalArgumentException(WHAT + " to encode must not be null");
      }
      if (op instanceof Add<E> add) {
        return new OpWriter(VERSION, KIND_ADD)
            .writeBytes(codec.encode(add.element()))
            .writeTags(add.supersedes())
            .toByteArray();
      }
      Remove<E> remove = (Remove<E>) op;
      return new OpWriter(VERSION, KIND_REMOVE)
          .writeBytes(codec.encode(remove.element()))
          .writeTags(remove.observed())
          .toByteArray();
    }

    @Override
    public Op<E> decode(byte[] bytes) {
      OpReader in = new OpReader(bytes, WHAT);
      in.readVersion(VERSION);
      int at = in.position();
      int kind = in.readByte("op kind");
      Op<E> op;
      if (kind == KIND_ADD) {
        E element = in.readValue(codec, "element");
        op = new Add<>(element, in.readTags("superseded tags"));
      } else if (kind == KIND_REMOVE) {
        E element = in.readValue(codec, "element");
        op = new Remove<>(element, in.readTags("observed tags"));
      } else {
        throw in.error("unknown op kind " + kind + " at byte " + at + " (1 = add, 2 = remove)");
      }
      in.end();
      return op;
    }

    @Override
    public String toString() {
      return "OrSet op codec(" + codec + ")";
    }
  }
}
