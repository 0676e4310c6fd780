/**
 * Op-based conflict-free replicated data types (Shapiro, Preguiça, Baquero, Zawirski 2011): states
 * whose concurrent operations commute, so that causal delivery alone makes every member converge.
 *
 * <ul>
 *   <li>{@link dev.meridian.replica.crdt.ReplicatedCounter}: increments and decrements.
 *   <li>{@link dev.meridian.replica.crdt.LwwRegister}: one value; the greatest origin wins.
 *   <li>{@link dev.meridian.replica.crdt.OrSet}: a set where an add wins over a concurrent remove.
 *   <li>{@link dev.meridian.replica.crdt.ReplicatedMap}: keys as in an OR-Set, values
 *       last-writer-wins among concurrent puts.
 * </ul>
 *
 * <p>Each one's operations are a sealed interface of records, built by factories on the state
 * ({@code addOp}, {@code removeOp}, …) that read the local replica where the semantics need it,
 * and encoded by a strict, versioned binary codec ({@code opCodec()}).
 */
package dev.meridian.replica.crdt;
