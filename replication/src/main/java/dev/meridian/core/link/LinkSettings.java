package dev.meridian.core.link;

/**
 * Limits of {@link ReliableLinks}.
 *
 * @param sendBufferPerPeer payloads kept per peer until acknowledged; when full, {@link
 *     ReliableLinks#send} refuses (back-pressure) instead of growing without bound
 * @param maxPayloadsPerFrame payloads packed into one frame at most
 * @param retransmitIntervalNanos how often unacknowledged payloads are sent again
 */
public record LinkSettings(
    int sendBufferPerPeer, int maxPayloadsPerFrame, long retransmitIntervalNanos) {

  /** @throws IllegalArgumentException naming the setting and its allowed range */
  public LinkSettings {
    if (sendBufferPerPeer < 1 || sendBufferPerPeer > 1 << 20) {
      throw new IllegalArgumentException(
          "sendBufferPerPeer must be in [1, 1048576], got " + sendBufferPerPeer);
    }
    if (maxPayloadsPerFrame < 1 || maxPayloadsPerFrame > 1 << 16) {
      throw new IllegalArgumentException(
          "maxPayloadsPerFrame must be in [1, 65536], got " + maxPayloadsPerFrame);
    }
    if (retransmitIntervalNanos < 1_000_000L || retransmitIntervalNanos > 60_000_000_000L) {
      throw new IllegalArgumentException(
          "retransmitIntervalNanos must be in [1 ms, 60 s], got " + retransmitIntervalNanos);
    }
  }

  /** 4096 buffered payloads per peer, 256 per frame, retransmit every 50 ms. */
  public static LinkSettings defaults() {
    return new LinkSettings(4096, 256, 50_000_000L);
  }
}
