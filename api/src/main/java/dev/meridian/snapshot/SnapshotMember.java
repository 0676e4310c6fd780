package dev.meridian.snapshot;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A group member that can take consistent global snapshots (Chandy–Lamport) of an application
 * running on the group: each member's local state, and the application messages in flight between
 * members across the cut. It runs alongside a {@link dev.meridian.replica.GroupMember}, sharing its
 * node id and taking its views from it.
 *
 * <pre>{@code
 * SnapshotMember<Long> bank = SnapshotMember.<Long, Long>builder()
 *     .member(groupMember)                      // a, with peers b and c
 *     .listen("127.0.0.1:7101")
 *     .peer(NodeId.of("b"), "127.0.0.1:7102")
 *     .peer(NodeId.of("c"), "127.0.0.1:7103")
 *     .messageCodec(Codec.int64()).stateCodec(Codec.int64())
 *     .recorder(id -> balance)                  // on the member's event thread
 *     .inbox((from, amount) -> balance += amount)
 *     .start();
 * bank.act(out -> {                          // a debit and its transfer, in one step
 *   if (balance >= 5 && out.trySend(NodeId.of("b"), 5L)) {
 *     balance -= 5;
 *   }
 *   return null;
 * });
 * System.out.println(bank.snapshot(Duration.ofSeconds(5)).join().toJson());
 * }</pre>
 *
 * <p><b>The application.</b> Its point-to-point messages go through this member ({@link #act}),
 * which is what lets a snapshot record those in flight. Its state is touched only on the member's
 * event thread: in {@link #act}'s actions, in the {@link Inbox} and in the {@link StateRecorder},
 * which the member calls one at a time. That is what makes a state change and the messages sent
 * with it fall on the same side of every cut: a transfer debited in an action and sent in the same
 * action is either in the recorded balance, or in a recorded channel or the receiver's balance,
 * never lost and never counted twice.
 *
 * <p><b>Guarantee.</b> A snapshot that completes is a consistent cut of the view it was taken in
 * (see {@link GlobalSnapshot}): every member's recorded state, and for every channel exactly the
 * messages sent before the sender recorded and received after the receiver recorded. It is a
 * state the group could have passed through. Any member may start one; any number may run at once.
 *
 * <p><b>Failure model.</b> Crash-stop members, detected by the group membership; links that lose,
 * duplicate, delay and reorder (this member's links retransmit and keep FIFO order). Chandy–Lamport
 * tolerates no crash during a snapshot: a snapshot whose member is removed from the view, or comes
 * back as a new incarnation, fails with {@link SnapshotFailedException} naming that member; a new
 * snapshot in the new view is the remedy. A snapshot whose initiator crashes is lost with it. This
 * member and its group member are one unit of failure: stop them together ({@link #halt} both
 * for a crash). If only this one stops, the view still holds it and a snapshot waits for it —
 * until the timeout given to {@link #snapshot(Duration)}, if any.
 *
 * <p><b>Threads.</b> Methods are thread-safe. Futures complete on the member's event thread, so
 * dependent stages without an executor run there and must not block.
 *
 * @param <A> the application's message type
 */
public interface SnapshotMember<A> extends AutoCloseable {

  /** A builder for a new snapshot member; see {@link SnapshotMemberBuilder}. */
  static <A, S> SnapshotMemberBuilder<A, S> builder() {
    return new SnapshotMemberBuilder<>();
  }

  /** Sends the application's messages from inside an {@link #act} action. */
  @FunctionalInterface
  interface Outbox<A> {
    /**
     * Queues {@code message} to {@code to}. It is delivered once, in the order sent, while both
     * members live.
     *
     * @return false, sending nothing, if {@code to} is not a peer or its send buffer is full
     * @throws IllegalStateException if called after the action returned
     * @throws IllegalArgumentException if an argument is null
     */
    boolean trySend(NodeId to, A message);
  }

  /** Receives the application's messages, on the member's event thread, FIFO per sender. */
  @FunctionalInterface
  interface Inbox<A> {
    /** Must not block, nor send (use {@link #act} for a reply). */
    void receive(NodeId from, A message);
  }

  /** Records this member's local state for a snapshot, on the member's event thread. */
  @FunctionalInterface
  interface StateRecorder<S> {
    /**
     * Returns the state now, as an immutable value (its {@code toString()} is what the {@link
     * GlobalSnapshot} shows). Must not block. If it throws, this member stops, as if crashed.
     */
    S record(SnapshotId id);
  }

  /** This member's id: its group member's. */
  NodeId id();

  /**
   * Runs {@code action} on the member's event thread, between two protocol events, with an outbox
   * for the messages it sends: a state change made here and the messages sent with it are on the
   * same side of every snapshot's cut.
   *
   * @return the action's result; failed with what it threw, or with {@link
   *     IllegalStateException} if this member is closed
   * @throws IllegalArgumentException if {@code action} is null
   */
  <T> CompletableFuture<T> act(Function<Outbox<A>, T> action);

  /**
   * Starts a snapshot of the current view, without a time limit; see {@link
   * #snapshot(Duration)}.
   */
  CompletableFuture<GlobalSnapshot> snapshot();

  /**
   * Starts a snapshot of the current view, with this member as its initiator. One asked for
   * before this member has learnt a view from the group membership (with every member's
   * incarnation: the founders' are known once each has been heard from) starts when it has.
   *
   * @param timeout how long to wait at most; the future then fails with a {@link
   *     java.util.concurrent.TimeoutException} naming the snapshot and its members
   * @return completes with the snapshot; fails with {@link SnapshotFailedException} naming the
   *     member that left it (or this one, if it is in no view yet), or with {@link
   *     IllegalStateException} if this member closes first
   * @throws IllegalArgumentException if {@code timeout} is null, zero or negative, or longer than
   *     a day
   */
  CompletableFuture<GlobalSnapshot> snapshot(Duration timeout);

  /**
   * Stops this member: snapshots it initiated and that are pending fail; the group member is not
   * closed (it belongs to the caller). Idempotent.
   */
  @Override
  void close();

  /** Stops at once, as a crash would; for tests and demonstrations. */
  void halt();
}
