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
 * <p><b>Early deciding</b> is an option of the instance ({@code AgreementConfig#earlyDecision}):
 * with non-senders' signed echoes carried as chains, a fault-free run decides in round 2 instead
 * of f+1, safely against f Byzantine processes for any f &lt; n. It does not reach the
 * min(a+2, f+1) bound for a ≥ 1 failures (one silent process sends everyone to round f+1);
 * {@code DolevStrong}'s Javadoc proves what it does give, says why the general bound is not
 * attempted (with the literature), and shows the attacks on simpler rules. Reads and writes
 * never wait for agreement, so f+1 rounds of Δ cost only the admin action's latency.
 */
package dev.meridian.keystore.agreement;
