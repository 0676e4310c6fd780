package dev.meridian.core.causal;

import dev.meridian.core.link.LinkSettings;

/**
 * Limits and periods of {@link CausalMulticastCore}. Every buffer is bounded, so a slow or
 * partitioned member causes back-pressure (refused submits), never unbounded memory.
 *
 * @param links settings of the reliable links underneath
 * @param pendingCapacity updates received but not yet deliverable (waiting for their causal
 *     past), shared equally among the other members; past its share, a link stops
 *     acknowledging and its sender resends later
 * @param stabilityCapacity delivered updates kept until every member has delivered them; when
 *     full, submits are refused until stability catches up
 * @param gossipIntervalNanos how often a member tells the others how much it has delivered
 */
public record CausalSettings(
    LinkSettings links, int pendingCapacity, int stabilityCapacity, long gossipIntervalNanos) {

  /** @throws IllegalArgumentException naming the setting and its allowed range */
  public CausalSettings {
    if (links == null) {
      throw new IllegalArgumentException("links settings must not be null");
    }
    if (pendingCapacity < 1 || pendingCapacity > 1 << 22) {
      throw new IllegalArgumentException(
          "pendingCapacity must be in [1, 4194304], got " + pendingCapacity);
    }
    if (stabilityCapacity < 1 || stabilityCapacity > 1 << 22) {
      throw new IllegalArgumentException(
          "stabilityCapacity must be in [1, 4194304], got " + stabilityCapacity);
    }
    if (gossipIntervalNanos < 1_000_000L || gossipIntervalNanos > 60_000_000_000L) {
      throw new IllegalArgumentException(
          "gossipIntervalNanos must be in [1 ms, 60 s], got " + gossipIntervalNanos);
    }
  }

  /** Link defaults; 16384 pending; 16384 awaiting stability; gossip every 20 ms. */
  public static CausalSettings defaults() {
    return new CausalSettings(LinkSettings.defaults(), 16_384, 16_384, 20_000_000L);
  }
}
