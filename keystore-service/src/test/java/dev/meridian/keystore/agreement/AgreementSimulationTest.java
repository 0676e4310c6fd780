package dev.meridian.keystore.agreement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.agreement.sim.AgreementSimulation;
import dev.meridian.keystore.agreement.sim.AgreementSimulation.Mode;
import dev.meridian.keystore.agreement.sim.AgreementSimulation.Run;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator over many seeds: silent within the fault bound, loud outside it. */
class AgreementSimulationTest {

  @Test
  void threeHundredSeedsWithinTheFaultBoundViolateNothing() {
    List<String> failures = new ArrayList<>();
    long messages = 0;
    long bound = 0;
    int withRefusals = 0;
    for (long seed = 1; seed <= 300; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.CORRECT, false);
      if (!run.ok()) {
        failures.add("seed " + seed + ": " + run.violations());
      }
      assertTrue(run.decisionRound() <= run.f() + 1, "seed " + seed);
      assertEquals(Math.min(run.traitors() + 2, run.f() + 1), run.earlyBound());
      messages += run.messages();
      bound += run.messageBound();
      if (run.rejected() > 0) {
        withRefusals++;
      }
    }
    assertEquals(List.of(), failures);
    assertTrue(messages < bound, messages + " messages against (f+1)n² = " + bound);
    assertTrue(withRefusals > 100, "forgeries were refused in only " + withRefusals
        + " of 300 runs");
  }

  @Test
  void fPlusOneTraitorsMakeCorrectProcessesDisagree() {
    for (long seed = 1; seed <= 40; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.F_PLUS_ONE_TRAITORS, false);
      assertFalse(run.ok(), "seed " + seed + ": f+1 traitors went unnoticed");
      assertTrue(run.violations().get(0).startsWith("agreement:"), run.violations().toString());
    }
  }

  @Test
  void decidingAfterRoundFIsCaught() {
    for (long seed = 1; seed <= 40; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.STOP_AFTER_F_ROUNDS, false);
      assertFalse(run.ok(), "seed " + seed);
    }
  }

  @Test
  void theNaiveEarlyDecisionIsCaughtByTheAgreementChecker() {
    for (long seed = 1; seed <= 40; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.NAIVE_EARLY_DECISION, false);
      assertFalse(run.ok(), "seed " + seed + ": the clean-round rule went unnoticed");
      assertTrue(run.violations().get(0).startsWith("agreement:"), run.violations().toString());
      // It is fast, which is the point of it, and wrong: the early bound is not what fails.
      assertTrue(run.violations().stream().noneMatch(v -> v.startsWith("early-termination")),
          run.violations().toString());
      assertTrue(run.decisionRound() <= run.earlyBound(), "seed " + seed);
    }
  }

  @Test
  void twoHundredSeedsOfTheEarlyModeViolateNothingAndDecideEarlyWithoutFaults() {
    List<String> failures = new ArrayList<>();
    int faultFree = 0;
    int echoesRefused = 0;
    for (long seed = 1; seed <= 200; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.EARLY_DECISION, false);
      if (!run.ok()) {
        failures.add("seed " + seed + ": " + run.violations());
      }
      if (run.traitors() == 0) {
        faultFree++;
        assertTrue(run.decisionRound() <= Math.min(2, run.f() + 1), "seed " + seed);
      }
      assertTrue(run.messages() <= run.messageBound(), "seed " + seed);
      if (run.rejected() > 0) {
        echoesRefused++;
      }
    }
    assertEquals(List.of(), failures);
    assertTrue(faultFree > 15, "only " + faultFree + " fault-free runs");
    assertTrue(echoesRefused > 60, "forgeries refused in only " + echoesRefused + " runs");
  }

  @Test
  void theEarlyModeWithoutItsLastRelayIsCaught() {
    for (long seed = 1; seed <= 40; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.EARLY_NO_FINAL_RELAY, false);
      assertFalse(run.ok(), "seed " + seed + ": deciding without the last relay went unnoticed");
      assertTrue(run.violations().get(0).startsWith("agreement:"), run.violations().toString());
    }
  }

  @Test
  void echoChainsSignedByTheSenderWouldLetALateEchoSplitTheProcesses() {
    for (long seed = 1; seed <= 40; seed++) {
      Run run = AgreementSimulation.run(seed, Mode.EARLY_SENDER_IN_ECHO_CHAINS, false);
      assertFalse(run.ok(), "seed " + seed + ": the sender's echo relay went unnoticed");
      assertTrue(run.violations().get(0).startsWith("agreement:"), run.violations().toString());
    }
  }

  @Test
  void skippingSignatureChecksIsCaught() {
    int caught = 0;
    for (long seed = 1; seed <= 40; seed++) {
      if (!AgreementSimulation.run(seed, Mode.NO_SIGNATURE_CHECK, false).ok()) {
        caught++;
      }
    }
    assertTrue(caught >= 20, "only " + caught + " of 40 runs caught forged values");
  }

  @Test
  void aSeedReplaysTheSameRun() {
    for (long seed : new long[] {3, 77, 1234}) {
      Run a = AgreementSimulation.run(seed, Mode.CORRECT, true);
      Run b = AgreementSimulation.run(seed, Mode.CORRECT, true);
      assertEquals(a.fingerprint(), b.fingerprint());
      assertEquals(a.trace(), b.trace());
    }
  }
}
