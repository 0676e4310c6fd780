package dev.meridian.membership;

/**
 * A submit refused because this member is not part of a primary view: it cannot reach a majority
 * of its view (it is on the minority side of a partition), or it was removed and is rejoining.
 * The message names the view and the missing quorum. Retrying later is safe: the operation was
 * not sent.
 */
public class NoQuorumException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public NoQuorumException(String message) {
    super(message);
  }
}
