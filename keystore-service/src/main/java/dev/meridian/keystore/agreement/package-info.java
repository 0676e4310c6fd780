/**
 * Authenticated Byzantine broadcast for the key service's rare, sensitive admin actions (ACL
 * changes, epochs, share refresh): one designated sender, n processes, up to f Byzantine, any
 * f &lt; n (signatures, not a 3f+1 bound, keep traitors honest about what others said).
 *
 * <ul>
 *   <li>{@link dev.meridian.keystore.agreement.DolevStrong}: one process of one instance, a pure
 *       state machine (events in, effects out); its Javadoc states and proves the guarantees.
 *   <li>{@link dev.meridian.keystore.agreement.AgreementCodec}: the byte form of its one message
 *       kind, with every length checked.
 *   <li>{@link dev.meridian.keystore.agreement.ChainSignatures}: what each link of a signature
 *       chain signs (instance, round, value, the chain so far).
 *   <li>{@code agreement.sim}: a seeded round-by-round simulator with Byzantine strategies and
 *       checkers for agreement, validity, integrity and termination.
 * </ul>
 *
 * <p><b>Early stopping</b> (min(a+2, f+1) rounds when only a ≤ f fail) is not implemented yet:
 * every instance runs f+1 rounds. The reason is written in {@code DolevStrong}'s Javadoc: a
 * process that decides early on what it has seen can be contradicted by a value that traitors
 * carried along a chain of their own and show to another correct process after that decision,
 * so early deciders need the others to defer to them with a proof that traitors cannot deliver
 * selectively late. Reads and writes never wait for agreement, so f+1 rounds of Δ cost only
 * the admin action's latency.
 */
package dev.meridian.keystore.agreement;
