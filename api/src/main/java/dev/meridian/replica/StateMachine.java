package dev.meridian.replica;

import dev.meridian.NodeId;

/**
 * A deterministic state machine that a {@link GroupMember} replicates: every member applies the
 * same operations in the same order (with {@link Ordering#TOTAL}), so every member holds the same
 * state. A member that joins receives the state as of the view it joins in ({@link #stateCodec})
 * and then applies the operations that follow.
 *
 * <p><b>Contract.</b> {@link #apply} is deterministic: it reads nothing but the state, the
 * operation and its origin (no clock, no randomness, no I/O, no iteration order of hash-based
 * collections that differs between JVMs). It should not throw: an exception is a bug in the
 * state machine and stops the member, since skipping an operation would make replicas diverge.
 * The runtime calls it from one thread; implementations need not be thread-safe.
 *
 * @param <S> the state, mutated in place by {@link #apply}
 * @param <O> the operations
 * @param <R> what applying an operation returns to its submitter
 */
public interface StateMachine<S, O, R> {

  /** A fresh state, as the founding members start with. */
  S initialState();

  /** Applies {@code op}, submitted by {@code origin}, to {@code state}; returns its result. */
  R apply(S state, O op, NodeId origin);

  /** How operations travel; must meet the {@link Codec} contract. */
  Codec<O> opCodec();

  /** How the whole state travels to a joiner; must meet the {@link Codec} contract. */
  Codec<S> stateCodec();

  /**
   * A state machine that keeps no state and ignores every operation: for a {@link GroupMember}
   * wanted for its views and failure detection alone (a {@code SnapshotMember} beside it, say).
   */
  static StateMachine<byte[], byte[], Void> none() {
    return NoState.INSTANCE;
  }
}

/** {@link StateMachine#none()}: an empty state that every operation leaves empty. */
enum NoState implements StateMachine<byte[], byte[], Void> {
  INSTANCE;

  @Override
  public byte[] initialState() {
    return new byte[0];
  }

  @Override
  public Void apply(byte[] state, byte[] op, NodeId origin) {
    return null;
  }

  @Override
  public Codec<byte[]> opCodec() {
    return Codec.bytes();
  }

  @Override
  public Codec<byte[]> stateCodec() {
    return Codec.bytes();
  }
}
