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
