package dev.meridian.core.link;

import java.util.List;

/**
 * What one link endpoint sends the other: a cumulative acknowledgement and a run of consecutive
 * payloads. A frame with no payloads is a pure acknowledgement.
 *
 * @param senderIncarnation the sender's incarnation; a higher one means the sender restarted
 * @param receiverIncarnation the receiver's incarnation as the sender knows it, 0 if not yet known;
 *     a receiver drops data meant for an earlier incarnation of itself
 * @param ack every payload with sequence number up to and including this one arrived (0: none)
 * @param firstSeq sequence number of {@code payloads.get(0)}; later payloads follow consecutively
 * @param payloads the payloads carried, possibly none
 * @param <P> payload type
 */
public record LinkFrame<P>(
    int senderIncarnation, int receiverIncarnation, long ack, long firstSeq, List<P> payloads) {

  /** @throws IllegalArgumentException if a field is out of range or payloads is null */
  public LinkFrame {
    if (senderIncarnation < 1 || receiverIncarnation < 0 || ack < 0 || firstSeq < 1
        || payloads == null) {
      throw new IllegalArgumentException("malformed link frame: senderIncarnation="
          + senderIncarnation + " receiverIncarnation=" + receiverIncarnation + " ack=" + ack
          + " firstSeq=" + firstSeq + " payloads=" + (payloads == null ? "null" : "present"));
    }
    payloads = List.copyOf(payloads);
  }

  @Override
  public String toString() {
    return "Frame{inc " + senderIncarnation + "->" + receiverIncarnation + ", ack " + ack
        + (payloads.isEmpty() ? "" : ", seq " + firstSeq + ".." + (firstSeq + payloads.size() - 1)
            + " " + payloads) + "}";
  }
}
