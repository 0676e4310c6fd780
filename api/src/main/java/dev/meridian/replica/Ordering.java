package dev.meridian.replica;

/** How a {@link GroupMember} orders an operation relative to the others. */
public enum Ordering {
  /**
   * One order at every member: the view's coordinator sequences the operation, and every member
   * applies total-order operations in that sequence, across view changes and coordinator
   * failures, with no gaps or duplicates. Consistent with causality among total-order
   * operations: one applied at its origin before another is submitted is sequenced before it.
   */
  TOTAL,
  /**
   * The order of each origin only (first in, first out): cheaper — no sequencer — but
   * operations of different origins may be applied in different orders at different members,
   * so they must commute (see {@link ReplicatedState}).
   */
  FIFO
}
