package dev.meridian.runtime;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the member front ends ({@link CausalReplica}, {@link GroupReplica}) share. */
final class MemberCalls {
  private MemberCalls() {}

  /** The error for a call on a stopped member: its runtime's failure, or closed. */
  static IllegalStateException stopped(NodeRuntime<?> runtime, NodeId id) {
    return runtime.failure().isPresent()
        ? new IllegalStateException(id + " failed: " + runtime.failure().get(),
            runtime.failure().get())
        : new IllegalStateException(id + " is closed");
  }

  /**
   * Waits for a read's result from the event thread: the reader's own exception as is,
   * anything else (timeout, interruption) as an {@link IllegalStateException} naming the member.
   */
  @SuppressWarnings("unchecked")
  static <T> T awaitRead(CompletableFuture<Object> result, Duration timeout, NodeId id) {
    try {
      return (T) result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("read on " + id + " timed out after " + timeout, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("read on " + id + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading on " + id, e);
    }
  }
}
