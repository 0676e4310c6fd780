package dev.meridian.membership;

import dev.meridian.NodeId;
import java.util.List;
import java.util.Set;

/**
 * What a {@link MembershipListener} learns when a view is installed: the view, and how it differs
 * from the one before at this member.
 *
 * @param view the view just installed
 * @param joined members new in this view, in age order
 * @param left members of the previous view that are not in this one (crashed, suspected or left)
 * @param suspected those of {@code left} that were removed on suspicion rather than by a graceful
 *     leave; a suspicion can be wrong, and a wrongly removed member rejoins as a new incarnation
 */
public record ViewChange(View view, List<NodeId> joined, Set<NodeId> left, Set<NodeId> suspected) {

  /** @throws IllegalArgumentException if a part is null or suspected is not within left */
  public ViewChange {
    if (view == null || joined == null || left == null || suspected == null) {
      throw new IllegalArgumentException("view, joined, left and suspected must not be null");
    }
    joined = List.copyOf(joined);
    left = Set.copyOf(left);
    suspected = Set.copyOf(suspected);
    if (!left.containsAll(suspected)) {
      throw new IllegalArgumentException("suspected " + suspected + " must be among left " + left);
    }
  }
}
