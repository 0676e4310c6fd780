package dev.meridian.lease;

/** The resource is leased to another member, or this member's lease on it was lost. */
public class LeaseUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message which resource, who holds it and until when */
  public LeaseUnavailableException(String message) {
    super(message);
  }
}
