/**
 * Replicated application state: {@link dev.meridian.replica.ReplicatedState} (the contract every
 * replicated state meets, including the rule that concurrent operations must commute), {@link
 * dev.meridian.replica.Origin} (who issued an operation and when) and {@link
 * dev.meridian.replica.Codec} (how values and operations become bytes). Ready-made op-based CRDTs
 * are in {@link dev.meridian.replica.crdt}.
 */
package dev.meridian.replica;
