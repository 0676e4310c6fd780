package dev.meridian.replica;

import dev.meridian.NodeId;
import dev.meridian.membership.View;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One member of a group that replicates a {@link StateMachine} with group membership: failure
 * detection, virtually synchronous view changes, total order, and state transfer to joiners.
 *
 * <pre>{@code
 * try (GroupMember<LockTable, LockTable.Op, Boolean> m = GroupMember.builder()
 *     .nodeId(NodeId.of("a"))
 *     .listen("127.0.0.1:7001")
 *     .peer(NodeId.of("b"), "127.0.0.1:7002")
 *     .peer(NodeId.of("c"), "127.0.0.1:7003")
 *     .stateMachine(new LockTable.Machine())
 *     .start()) {
 *   boolean mine = m.submit(LockTable.Op.acquire("printer", "alice")).join();
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b>
 * <ul>
 *   <li>Views: members that install view id v install the same members; a new view needs a
 *       majority of the previous one, so there is never more than one primary view per id.
 *   <li>Virtual synchrony: members that install views v and v+1 applied the same operations in v.
 *   <li>{@link Ordering#TOTAL}: every member applies total-order operations in one sequence.
 *   <li>State transfer: a joiner starts from the state as of the view it joins in.
 *   <li>An operation's future completes with its result once it is applied at this member
 *       <i>and</i> every member of the view holds it (for a total-order one: has applied it, so
 *       its place is known everywhere). So an acknowledged operation survives the crash of any
 *       members, this one included, as long as a majority goes on: the next view's flush
 *       delivers it to every survivor. That costs about one round trip plus 1 ms of latency.
 *       A submit refused because this member is cut off from a majority fails with {@link
 *       dev.meridian.membership.NoQuorumException} and was not sent; one whose member is removed
 *       from the view first fails with {@link IllegalStateException} and may or may not be
 *       applied by the others.
 * </ul>
 *
 * <p><b>Failure model.</b> Crash-stop members (a restarted process joins again as a new
 * incarnation and receives a state transfer); links lose, duplicate, delay and reorder;
 * partitions. Suspicions can be wrong: a wrongly removed member rejoins. Progress needs a
 * majority of the current view to be reachable; the minority side blocks.
 *
 * <p><b>Threads.</b> Methods are thread-safe. The state machine runs on the member's own event
 * thread, where {@link #read} functions and {@link dev.meridian.membership.MembershipListener}s
 * also run — they must not block.
 *
 * @param <S> the state
 * @param <O> the operations
 * @param <R> their results
 */
public interface GroupMember<S, O, R> extends AutoCloseable {

  /** A builder for a new member; see {@link GroupMemberBuilder} for settings and defaults. */
  static GroupMemberBuilder builder() {
    return new GroupMemberBuilder();
  }

  /** This member's id. */
  NodeId id();

  /** The view installed here, or empty while joining or after leaving. */
  Optional<View> view();

  /** Submits {@code op} in {@link Ordering#TOTAL} order; see {@link #submit(Object, Ordering)}. */
  default CompletableFuture<R> submit(O op) {
    return submit(op, Ordering.TOTAL);
  }

  /**
   * Multicasts {@code op} to the view. The future completes with the state machine's result
   * once {@code op} is applied here; it fails with {@link
   * dev.meridian.membership.NoQuorumException} if this member is not in a primary view, {@link
   * ReplicaOverloadedException} when too many submits are in flight, {@link
   * IllegalStateException} after {@link #close} or if this member is removed before applying it
   * (then other members may or may not apply it).
   *
   * @throws IllegalArgumentException if an argument is null, the codec refuses {@code op}, or its
   *     encoding is larger than the configured maximum
   */
  CompletableFuture<R> submit(O op, Ordering ordering);

  /**
   * Timed multicast: as {@link #submit(Object, Ordering)}, whose future completes only once
   * every member of the view has applied {@code op} ({@link Ordering#TOTAL}) or holds it for the
   * flush ({@link Ordering#FIFO}) — but if that has not happened within {@code deadline}, the
   * future fails then with a {@link DeadlineExceededException} naming the members that had not.
   * The operation itself is not withdrawn: late members may still apply it, and virtual
   * synchrony still decides its fate if the view changes.
   *
   * @throws IllegalArgumentException as {@link #submit(Object, Ordering)}, or if {@code deadline}
   *     is null, not positive, or longer than a day
   */
  CompletableFuture<R> submit(O op, Ordering ordering, java.time.Duration deadline);

  /**
   * Runs {@code reader} on the member's event thread against the current state (between two
   * applied operations) and returns its result. The reader must not keep or modify the state.
   *
   * @throws IllegalStateException if the member is closed or the read timed out
   */
  <T> T read(Function<? super S, T> reader);

  /**
   * Leaves the group gracefully — the others install a view without this member, with no
   * suspicion — then stops. Waits at most the configured leave timeout; past it, stops anyway
   * (the others then remove it by suspicion). Idempotent.
   */
  @Override
  void close();

  /**
   * Stops at once without telling anyone, as if the process had crashed: the others remove it by
   * suspicion. For tests and demonstrations.
   */
  void halt();
}
