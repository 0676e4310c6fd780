package dev.meridian.membership;

import dev.meridian.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A view: the members of a group as every member of it agrees them to be, numbered. Views are
 * installed one after another, with ids 1, 2, 3, …; the membership layer guarantees that members
 * who install the same view id install the same view, and that at most one <em>primary</em> view
 * exists per id (a new view needs a majority of the previous one — {@link #isMajorityOf}).
 *
 * <p>Members are listed oldest first: the order in which they joined, kept across views. The
 * oldest member is the {@link #coordinator()}; when it leaves, the next oldest takes over.
 *
 * <p>Immutable; equal when id and member list are equal.
 *
 * @param id the view number, {@code >= 1}
 * @param members the members, oldest first, without duplicates, not empty
 */
public record View(long id, List<NodeId> members) {

  /** @throws IllegalArgumentException naming what is wrong */
  public View {
    if (id < 1) {
      throw new IllegalArgumentException("view id must be >= 1, got " + id);
    }
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("a view needs at least one member, got " + members);
    }
    members = List.copyOf(members); // also refuses null members
    if (new HashSet<>(members).size() != members.size()) {
      throw new IllegalArgumentException("view " + id + " lists a member twice: " + members);
    }
  }

  /** The first view of a group founded by {@code founders} (oldest first). */
  public static View initial(List<NodeId> founders) {
    return new View(1, founders);
  }

  /** The oldest member, who leads view changes. */
  public NodeId coordinator() {
    return members.get(0);
  }

  public boolean contains(NodeId node) {
    return members.contains(node);
  }

  public int size() {
    return members.size();
  }

  /**
   * Whether {@code survivors} hold a strict majority of this view's members: what a next view
   * needs to be primary. Two disjoint sets cannot both be majorities, so two sides of a partition
   * cannot both go on.
   */
  public boolean isMajorityOf(Set<NodeId> survivors) {
    int present = 0;
    for (NodeId m : members) {
      if (survivors.contains(m)) {
        present++;
      }
    }
    return 2 * present > members.size();
  }

  /**
   * The next view: this one's members without {@code removed}, keeping their order, then {@code
   * joined} in the order given, under id + 1.
   *
   * @throws IllegalArgumentException if nobody would be left, or a joiner is already a member
   */
  public View next(Set<NodeId> removed, List<NodeId> joined) {
    List<NodeId> next = new ArrayList<>();
    for (NodeId m : members) {
      if (!removed.contains(m)) {
        next.add(m);
      }
    }
    for (NodeId j : joined) {
      if (members.contains(j) && !removed.contains(j)) {
        throw new IllegalArgumentException(j + " joins view " + (id + 1)
            + " but is already a member of view " + id);
      }
      next.add(j);
    }
    return new View(id + 1, next);
  }

  @Override
  public String toString() {
    return "View#" + id + members;
  }
}
