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
 * <p>{@code agreement-early} runs the early-deciding mode ({@code AgreementConfig#earlyDecision})
 * against the same adversary plus echo attacks (echoes given to some only, withheld and shown
 * late along traitor chains, echoes of the second value, forged echoes).
 *
 * <p>The figures compare the rounds used (the last correct decision's round) with min(a+2, f+1),
 * the early-stopping lower bound for a = traitors: how often it was met, and the rounds of the
 * fault-free runs.
 *
 * <p>A run's events are the messages delivered; its first violation names the checker
 * (agreement, validity, integrity, termination, message-bound) and the seed that replays it.
 */
final class AgreementScenario implements Scenario, ReportsFigures {
  /** The f+1-round scenario's broken variants (names as Mode's). */
  enum Broken { F_PLUS_ONE_TRAITORS, NO_SIGNATURE_CHECK, STOP_AFTER_F_ROUNDS, NAIVE_EARLY_DECISION }

  /** The early-deciding scenario's broken variants (names as Mode's, after EARLY_). */
  enum EarlyBroken { NO_FINAL_RELAY, SENDER_IN_ECHO_CHAINS }

  private final String name;
  private final Mode mode;
  private long withinEarlyBound;
  private long faultFreeRuns;
  private long faultFreeRounds;
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
  private long earlyBoundTotal;

  AgreementScenario(String name, Mode mode) {
    this.name = name;
    this.mode = mode;
  }

  /** {@code agreement}: {@code f-plus-one-traitors} → {@link Mode#F_PLUS_ONE_TRAITORS}, ... */
  static AgreementScenario plain(String variant) {
    return new AgreementScenario("agreement", variant == null ? Mode.CORRECT
        : Mode.valueOf(MeridianCli.fromFlag(Broken.class, variant).name()));
  }

  /** {@code agreement-early}: the early-deciding mode, {@code no-final-relay}, ... */
  static AgreementScenario early(String variant) {
    return new AgreementScenario("agreement-early", variant == null ? Mode.EARLY_DECISION
        : Mode.valueOf("EARLY_" + MeridianCli.fromFlag(EarlyBroken.class, variant).name()));
  }

  @Override
  public String name() {
    return name;
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
    earlyBoundTotal += run.earlyBound();
    withinEarlyBound += run.decisionRound() <= run.earlyBound() ? 1 : 0;
    if (run.traitors() == 0) {
      faultFreeRuns++;
      faultFreeRounds += run.decisionRound();
    }
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
        + " mean_rounds=%.2f mean_min(a+2,f+1)=%.2f within_min(a+2,f+1)=%.1f%%"
        + " fault_free_runs=%d fault_free_mean_rounds=%.2f messages_per_run=%.1f messages_vs_(f+1)n2=%.3f"
        + " signatures_verified_per_run=%.1f refused_per_run=%.1f default_decisions=%d",
        (double) nTotal / runs, (double) fTotal / runs, (double) traitorsTotal / runs,
        (double) lastRoundTotal / runs, (double) earlyBoundTotal / runs,
        100.0 * withinEarlyBound / runs, faultFreeRuns,
        faultFreeRuns == 0 ? 0.0 : (double) faultFreeRounds / faultFreeRuns,
        (double) messages / runs,
        (double) messages / messageBound, (double) verified / runs, (double) rejected / runs,
        defaults);
  }
}
