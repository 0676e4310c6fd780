package dev.meridian.replica;

import dev.meridian.NodeId;
import java.util.List;

/**
 * A timed multicast was not delivered everywhere by its deadline. {@link #late()} names the
 * members of the view that had not applied (or, for FIFO order, received) it — this member
 * included, if it had not applied it itself.
 */
public class DeadlineExceededException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<NodeId> late;

  /**
   * @param message what missed which deadline
   * @param late the members that had not delivered it
   */
  public DeadlineExceededException(String message, List<NodeId> late) {
    super(message);
    this.late = List.copyOf(late);
  }

  /** The members that had not delivered the operation at the deadline. */
  public List<NodeId> late() {
    return late;
  }
}
