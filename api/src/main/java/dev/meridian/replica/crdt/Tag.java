package dev.meridian.replica.crdt;

import dev.meridian.NodeId;
import dev.meridian.replica.Origin;
import java.util.Collection;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The unique name of one add or put: the {@code (node, sequence)} of its {@link Origin}. Unique in
 * a group's whole history because node ids are incarnation-unique and sequence numbers never
 * repeat within a node. Removes name the tags they observed, and only those tags die, which is
 * what makes an observed-remove CRDT's concurrent add win over a concurrent remove.
 *
 * <p>Tags order by node id, then sequence; encodings list them in that order.
 *
 * @param node the node that issued the add or put
 * @param sequence its sequence number at that node, from 1
 */
public record Tag(NodeId node, long sequence) implements Comparable<Tag> {

  /** @throws IllegalArgumentException if {@code node} is null or {@code sequence < 1} */
  public Tag {
    if (node == null) {
      throw new IllegalArgumentException("tag node must not be null");
    }
    if (sequence < 1) {
      throw new IllegalArgumentException(
          "tag sequence number must be >= 1, got " + sequence + " (node " + node + ")");
    }
  }

  /**
   * The tag of the operation issued by {@code origin}.
   *
   * @throws IllegalArgumentException if {@code origin} is null
   */
  public static Tag of(Origin origin) {
    if (origin == null) {
      throw new IllegalArgumentException("origin must not be null");
    }
    return new Tag(origin.node(), origin.sequence());
  }

  @Override
  public int compareTo(Tag other) {
    int c = node.compareTo(other.node);
    return c != 0 ? c : Long.compare(sequence, other.sequence);
  }

  /** Readable form {@code node/sequence}, e.g. {@code n1/7}. */
  @Override
  public String toString() {
    return node + "/" + sequence;
  }

  /**
   * An unmodifiable sorted copy of {@code tags}, for op records.
   *
   * @throws IllegalArgumentException naming {@code field} if the collection or a tag is null
   */
  static SortedSet<Tag> sortedCopy(Collection<Tag> tags, String field) {
    if (tags == null) {
      throw new IllegalArgumentException(field + " must not be null (use an empty set)");
    }
    TreeSet<Tag> copy = new TreeSet<>();
    for (Tag tag : tags) {
      if (tag == null) {
        throw new IllegalArgumentException(field + " must not contain null");
      }
      copy.add(tag);
    }
    return Collections.unmodifiableSortedSet(copy);
  }
}
