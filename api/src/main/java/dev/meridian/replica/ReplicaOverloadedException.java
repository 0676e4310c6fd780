package dev.meridian.replica;

/**
 * A submit was refused because this member already holds the most operations it may queue: the
 * group is not keeping up (a slow or unreachable member holds back stability). Slow down, retry
 * later, or raise {@link ReplicaBuilder#maxQueuedSubmits}.
 */
public final class ReplicaOverloadedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ReplicaOverloadedException(String message) {
    super(message);
  }
}
