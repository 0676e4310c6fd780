package dev.meridian.replica;

/**
 * A piece of application state that Meridian replicates by delivering operations: every member
 * holds a replica and applies every operation, its own included, exactly once.
 *
 * <p><b>How an operation flows.</b> An operation is <i>prepared</i> at its origin: the application
 * builds it, possibly reading the origin's current local state (an observed-remove set's remove
 * records the tags of the element it saw). The runtime stamps it with an {@link Origin}, encodes it
 * with {@link #opCodec()}, and multicasts it. Every member, the origin first, then <i>applies</i>
 * it with {@link #apply}, in causal order: if the origin of b had applied a before preparing b,
 * every member applies a before b. Operations from one origin are applied in the order issued.
 *
 * <p><b>THE RULE.</b> Causal order does not order concurrent operations: two members may apply
 * concurrent a and b in opposite orders. Replicas therefore converge only if <b>operations that
 * may be concurrent commute</b>: for any state s and any a, b of which neither causally precedes
 * the other, {@code s.apply(a).apply(b)} and {@code s.apply(b).apply(a)} must leave equal states.
 * The CRDTs in {@link dev.meridian.replica.crdt} meet the rule by construction. State that cannot
 * meet it (a plain register that keeps whatever was applied last, a list with index-based inserts,
 * a balance that must never go negative) must ask the runtime for one total order
 * ({@code Ordering.TOTAL}, a later feature) instead.
 *
 * <p><b>Threading.</b> Implementations need not be thread-safe: the runtime calls {@link #apply}
 * from one thread, and readers get snapshots or copies, never live views of internal structures.
 *
 * <p><b>Failure model.</b> {@code apply} is deterministic: it reads nothing but the state, the
 * operation and the origin (no clock, no randomness, no I/O). It should not throw for any
 * operation that {@link #opCodec()} decodes; an exception is a bug in the state and the runtime
 * treats it as fatal for this replica, since skipping an operation would make the replica diverge.
 *
 * @param <O> the type of operation
 */
public interface ReplicatedState<O> {

  /**
   * Applies {@code op}, issued by {@code origin}. Called once per operation at every member, in an
   * order consistent with causality.
   */
  void apply(O op, Origin origin);

  /** The codec the runtime sends operations with; must meet the {@link Codec} contract. */
  Codec<O> opCodec();
}
