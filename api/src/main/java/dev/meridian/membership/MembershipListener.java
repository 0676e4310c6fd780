package dev.meridian.membership;

/**
 * Receives a member's membership events, in the order they happen at that member, on the
 * member's own thread: it must not block.
 *
 * <p>Virtual synchrony: between two {@link #viewInstalled} calls a member delivers exactly the
 * operations every other member that installs both views delivers between them.
 */
public interface MembershipListener {

  /** A new view was installed here. */
  void viewInstalled(ViewChange change);

  /**
   * This member is on the minority side (it cannot reach a majority of its view): submits are
   * refused until it rejoins; {@code reason} names the missing quorum.
   */
  default void blocked(String reason) {}

  /** This member is part of a primary view again. */
  default void unblocked() {}
}
