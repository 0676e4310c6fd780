package dev.meridian.cli;

import dev.meridian.keystore.agreement.sim.AgreementSimulation;
import dev.meridian.keystore.agreement.sim.AgreementSimulation.Mode;
import dev.meridian.sim.ReportsFigures;
import dev.meridian.sim.Scenario;
import dev.meridian.sim.SimulationResult;
import dev.meridian.sim.Violation;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code agreement} scenario: the key service's Dolev–Strong broadcast in its own round-based
 * simulator ({@link AgreementSimulation}: n in 4..16, f in 0..n-1, up to f traitors with
 * equivocation, late reveals, withholding, late relays, crashes and forgeries), adapted to the
 * replication simulator's {@link Scenario} so {@code meridian sim} runs it like the others. It
 * lives here because keystore-service does not depend on replication.
 *
 * <p>A run's events are the messages delivered; its first violation names the checker
 * (agreement, validity, integrity, termination, message-bound) and the seed that replays it.
 */
final class AgreementScenario implements Scenario, ReportsFigures {
  private final Mode mode;
  private long runs;
  private long nTotal;
  private long fTotal;
  private long traitorsTotal;
  private long messages;
  private long messageBound;
  private long verified;
  private long rejected;
  private long defaults;
  private long lastRoundTotal;

  AgreementScenario(Mode mode) {
    this.mode = mode;
  }

  /** {@code f-plus-one-traitors} → {@link Mode#F_PLUS_ONE_TRAITORS}; CORRECT is not a variant. */
  static Mode mode(String variant) {
    return variant == null ? Mode.CORRECT : MeridianCli.fromFlag(Mode.class, variant);
  }

  @Override
  public String name() {
    return "agreement";
  }

  @Override
  public SimulationResult run(long seed, boolean keepTrace) {
    AgreementSimulation.Run run = AgreementSimulation.run(seed, mode, keepTrace);
    runs++;
    nTotal += run.n();
    fTotal += run.f();
    traitorsTotal += run.traitors();
    messages += run.messages();
    messageBound += run.messageBound();
    verified += run.signaturesVerified();
    rejected += run.rejected();
    defaults += run.defaultDecided() ? 1 : 0;
    lastRoundTotal += run.decisionRound();
    Optional<Violation> violation = run.violations().stream().findFirst().map(v -> new Violation(
        seed, -1, v.substring(0, Math.max(0, v.indexOf(':'))),
        v.substring(v.indexOf(':') + 1).trim() + " (n=" + run.n() + " f=" + run.f()
            + " traitors=" + run.traitors() + (run.senderFaulty() ? " incl. the sender" : "")
            + ")"));
    return new SimulationResult(seed, violation, run.messagesAll(), run.messagesAll(),
        run.messagesAll(), 0, 0, run.fingerprint(), run.trace());
  }

  @Override
  public String figuresLine() {
    if (runs == 0) {
      return "runs=0";
    }
    return String.format(Locale.ROOT, "mean_n=%.1f mean_f=%.1f mean_traitors=%.1f"
        + " mean_rounds=%.1f messages_per_run=%.1f messages_vs_(f+1)n2=%.3f"
        + " signatures_verified_per_run=%.1f refused_per_run=%.1f default_decisions=%d",
        (double) nTotal / runs, (double) fTotal / runs, (double) traitorsTotal / runs,
        (double) lastRoundTotal / runs, (double) messages / runs,
        (double) messages / messageBound, (double) verified / runs, (double) rejected / runs,
        defaults);
  }
}
