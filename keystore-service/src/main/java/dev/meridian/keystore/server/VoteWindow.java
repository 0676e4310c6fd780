package dev.meridian.keystore.server;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agreement slots in which the servers' votes on one running protocol count (a share
 * refresh's valid dealers, a handoff intake's): slots {@code start + 1} to {@code start +
 * length}, where {@code start} is the slot that decided to run it.
 *
 * <p>Guarantee: fed the same decided votes slot by slot, every correct server closes the window
 * at the same slot with the same votes, because both depend only on the decided votes and slot
 * numbers: it closes when a slot ends with every voter's vote in, or when its last slot ends.
 * The first vote decided per voter counts. Not thread-safe: the caller holds its own lock.
 *
 * @param <V> a vote
 */
final class VoteWindow<V> {
  /** What a closing slot did to the window. */
  enum Closing {
    /** Still collecting votes. */
    OPEN,
    /** Closed now: apply with {@link #votes()}. */
    COMPLETE,
    /** Its last slot closed while this server was not closing slots: nothing to apply. */
    MISSED
  }

  private final long start;
  private final int length;
  private final int voters;
  private final Map<Integer, V> votes = new TreeMap<>();
  private boolean voted;

  VoteWindow(long start, int length, int voters) {
    this.start = start;
    this.length = length;
    this.voters = voters;
  }

  /** The slot that decided to run the protocol. */
  long start() {
    return start;
  }

  /**
   * Whether this server should put its vote in its batch for {@code slot}: once, inside the
   * window, as soon as {@code ready} (it has checked all it waits for), else in the last two
   * slots with what it has. True marks it voted.
   */
  boolean voteNow(long slot, boolean ready) {
    if (voted || slot <= start || slot > start + length) {
      return false;
    }
    if (!ready && slot < start + length - 1) {
      return false;
    }
    voted = true;
    return true;
  }

  /** A vote decided in {@code slot} from voter {@code sender}: counts if inside the window. */
  void decided(long slot, int sender, V vote) {
    if (slot > start && slot <= start + length) {
      votes.putIfAbsent(sender, vote);
    }
  }

  /** What closing {@code slot} does to the window. */
  Closing slotClosed(long slot) {
    if (slot <= start) {
      return Closing.OPEN;
    }
    if (slot > start + length) {
      return Closing.MISSED;
    }
    return slot < start + length && votes.size() < voters ? Closing.OPEN : Closing.COMPLETE;
  }

  /** The votes that count, one per voter. */
  Collection<V> votes() {
    return votes.values();
  }
}
