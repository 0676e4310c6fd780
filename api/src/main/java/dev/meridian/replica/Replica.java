package dev.meridian.replica;

import dev.meridian.NodeId;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One member of a group that replicates a {@link ReplicatedState} by causally ordered multicast.
 *
 * <pre>{@code
 * ReplicatedMap<String, String> map = new ReplicatedMap<>(Codec.utf8(), Codec.utf8());
 * try (var replica = Replica.builder()
 *     .nodeId(NodeId.of("a"))
 *     .listen("127.0.0.1:7001")
 *     .peer(NodeId.of("b"), "127.0.0.1:7002")
 *     .peer(NodeId.of("c"), "127.0.0.1:7003")
 *     .state(map)
 *     .start()) {
 *   replica.submit(map.putOp("colour", "blue")).join();   // applied here
 *   String colour = replica.read(m -> m.get("colour").orElse("?"));
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b> Every member applies every operation exactly once, in causal order: if
 * the origin of b had applied a before issuing b, every member applies a before b. Concurrent
 * operations may be applied in different orders at different members, which is why the state's
 * concurrent operations must commute ({@link ReplicatedState}); then all members that applied the
 * same operations hold equal states. An operation's future completes when it is applied at this
 * member — not when every member has it.
 *
 * <p><b>Failure model.</b> The membership is fixed; links may lose, duplicate, reorder and delay
 * messages, streams may reset and peers may be unreachable for a while: everything is resent
 * until acknowledged. A member that crashes loses what it had not sent; rejoining after a crash
 * needs a state transfer, which arrives with group membership. While a member is unreachable the
 * others keep operations it has not acknowledged, up to bounded buffers; past them, submits wait,
 * then fail with {@link ReplicaOverloadedException} — never an OutOfMemoryError.
 *
 * <p><b>Threads.</b> All methods are thread-safe. The state is touched only by the member's own
 * event thread: {@link #read} runs its function there, and {@link #subscribe} listeners are called
 * there, in application order — they must not block.
 *
 * @param <S> the replicated state
 * @param <O> its operation type
 */
public interface Replica<S extends ReplicatedState<O>, O> extends AutoCloseable {

  /** A builder for a new member; see {@link ReplicaBuilder} for the settings and defaults. */
  static ReplicaBuilder builder() {
    return new ReplicaBuilder();
  }

  /** This member's id. */
  NodeId id();

  /**
   * Multicasts {@code op} to the group. The future completes when {@code op} has been applied at
   * this member; it completes later than usual while buffers are full (back-pressure), and fails
   * with {@link ReplicaOverloadedException} at once when this member already queues {@link
   * ReplicaBuilder#maxQueuedSubmits} operations, or with {@link IllegalStateException} after
   * {@link #close}.
   *
   * @throws IllegalArgumentException if {@code op} is null or the state's codec refuses it
   */
  CompletableFuture<Void> submit(O op);

  /**
   * Runs {@code reader} on the member's event thread against the current local state and returns
   * its result: a consistent view, between two applied operations. The reader must not keep or
   * modify the state.
   *
   * @throws IllegalStateException if the member is closed or the read timed out
   */
  <R> R read(Function<? super S, R> reader);

  /**
   * Calls {@code listener} with every operation this member applies from now on, in order, on the
   * event thread. Returns a handle whose {@code close()} unsubscribes.
   */
  AutoCloseable subscribe(Consumer<Delivered<O>> listener);

  /** Stops this member: pending submits fail, threads and ports are released. Idempotent. */
  @Override
  void close();
}
