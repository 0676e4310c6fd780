package dev.meridian.keystore.agreement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.agreement.DolevStrong.Rejection;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The core driven by hand: whole runs on a perfect network, and single forged messages. */
class DolevStrongTest {
  static final byte[] INSTANCE = "epoch-7/acl-change-3".getBytes(StandardCharsets.US_ASCII);
  static final Value GRANT = Value.of("grant bob read /db".getBytes(StandardCharsets.UTF_8));
  static final Value REVOKE = Value.of("revoke bob /db".getBytes(StandardCharsets.UTF_8));

  final SigningKey[] keys = keys(6, 42);

  static SigningKey[] keys(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    SigningKey[] keys = new SigningKey[n];
    for (int i = 0; i < n; i++) {
      byte[] s = new byte[32];
      random.nextBytes(s);
      keys[i] = SigningKey.fromSeed(s);
    }
    return keys;
  }

  AgreementConfig config(int n, int f, byte[] instance) {
    List<VerifyingKey> pub = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pub.add(keys[i].verifyingKey());
    }
    return new AgreementConfig(instance, pub, f, 0);
  }

  /** Runs every process correctly except those in {@code silent}, which never send. */
  record Outcome(List<Optional<Decision>> decisions, long messages, long verified) {}

  Outcome run(AgreementConfig config, Value value, boolean senderSilent) {
    int n = config.n();
    DolevStrong[] cores = new DolevStrong[n];
    for (int i = 0; i < n; i++) {
      cores[i] = new DolevStrong(config, i, keys[i]);
    }
    List<RoundMessage> inFlight = new ArrayList<>();
    DolevStrong.Step start = cores[0].start(value);
    if (!senderSilent) {
      inFlight.add(start.broadcast().orElseThrow());
    }
    long messages = 0;
    for (int round = 1; round <= config.lastRound(); round++) {
      for (RoundMessage m : inFlight) {
        messages += n - 1;
        for (int to = 0; to < n; to++) {
          if (to != m.from()) {
            assertEquals(Optional.empty(), cores[to].receive(m));
          }
        }
      }
      inFlight = new ArrayList<>();
      for (int p = 0; p < n; p++) {
        DolevStrong.Step step = cores[p].endRound(round);
        if (!(senderSilent && p == 0)) {
          step.broadcast().ifPresent(inFlight::add);
        }
      }
    }
    List<Optional<Decision>> decisions = new ArrayList<>();
    long verified = 0;
    for (int p = 0; p < n; p++) {
      decisions.add(cores[p].decision());
      verified += cores[p].signaturesVerified();
    }
    return new Outcome(decisions, messages, verified);
  }

  @Test
  void aCorrectSendersValueIsDecidedByAllInRoundFPlusOne() {
    for (int f = 0; f < 6; f++) {
      Outcome o = run(config(6, f, INSTANCE), GRANT, false);
      for (Optional<Decision> d : o.decisions()) {
        assertEquals(Optional.of(new Decision(Optional.of(GRANT), f + 1)), d, "f=" + f);
      }
      // Start plus one relay round: (n-1) + (n-1)², whatever f is; (f+1)n² is the textbook cost.
      long expected = f == 0 ? 5 : 5 + 25;
      assertEquals(expected, o.messages(), "f=" + f);
      assertTrue(o.messages() <= (long) (f + 1) * 36);
      // Relays of a value already held are not verified: one signature per receiving process.
      assertEquals(5, o.verified(), "f=" + f);
    }
  }

  @Test
  void aCrashedSenderYieldsTheDefaultEverywhere() {
    Outcome o = run(config(5, 2, INSTANCE), GRANT, true);
    for (int p = 1; p < 5; p++) {
      assertEquals(Optional.of(new Decision(Optional.empty(), 3)), o.decisions().get(p));
    }
  }

  @Test
  void anEquivocatingSenderYieldsTheDefaultForAllCorrectProcesses() {
    AgreementConfig config = config(4, 1, INSTANCE);
    DolevStrong[] cores = new DolevStrong[4];
    for (int i = 1; i < 4; i++) {
      cores[i] = new DolevStrong(config, i, keys[i]);
    }
    // Round 1: the traitor sender gives p1 GRANT and p2, p3 REVOKE.
    cores[1].receive(msg(1, 0, ChainSignatures.start(INSTANCE, GRANT, 0, keys[0])));
    cores[2].receive(msg(1, 0, ChainSignatures.start(INSTANCE, REVOKE, 0, keys[0])));
    cores[3].receive(msg(1, 0, ChainSignatures.start(INSTANCE, REVOKE, 0, keys[0])));
    List<RoundMessage> round2 = new ArrayList<>();
    for (int p = 1; p < 4; p++) {
      cores[p].endRound(1).broadcast().ifPresent(round2::add);
    }
    for (RoundMessage m : round2) {
      for (int to = 1; to < 4; to++) {
        if (to != m.from()) {
          cores[to].receive(m);
        }
      }
    }
    for (int p = 1; p < 4; p++) {
      assertEquals(Optional.of(new Decision(Optional.empty(), 2)),
          cores[p].endRound(2).decision());
    }
  }

  @Test
  void aValueRevealedInTheLastRoundByFTraitorsStillLeavesAgreement() {
    // f = 2: traitors p0 (sender) and p1 chain REVOKE and show it to p2 alone in round 2;
    // p2 relays it in round 3 = f+1, so p3..p5 get it too: all decide ⊥.
    AgreementConfig config = config(6, 2, INSTANCE);
    DolevStrong[] cores = new DolevStrong[6];
    for (int i = 2; i < 6; i++) {
      cores[i] = new DolevStrong(config, i, keys[i]);
      cores[i].receive(msg(1, 0, ChainSignatures.start(INSTANCE, GRANT, 0, keys[0])));
      cores[i].endRound(1);
    }
    Relay secret = ChainSignatures.extend(INSTANCE,
        ChainSignatures.start(INSTANCE, REVOKE, 0, keys[0]), 1, keys[1]);
    assertEquals(Optional.empty(), cores[2].receive(msg(2, 1, secret)));
    List<RoundMessage> round3 = new ArrayList<>();
    for (int i = 2; i < 6; i++) {
      cores[i].endRound(2).broadcast().ifPresent(round3::add);
    }
    assertEquals(1, round3.size());
    for (int i = 3; i < 6; i++) {
      assertEquals(Optional.empty(), cores[i].receive(round3.get(0)));
    }
    for (int i = 2; i < 6; i++) {
      assertEquals(Optional.of(new Decision(Optional.empty(), 3)),
          cores[i].endRound(3).decision(), "p" + i);
    }
  }

  /**
   * The counterexample to deciding early on a clean round, with n = 6, f = 2: the traitors p0
   * (sender) and p1 look perfect to everyone, but p1 shows p2 alone a chain of REVOKE in round
   * 2. Every message a correct process sends is delivered; the decisions of p2..p5 come back.
   */
  List<Decision> secretChainRun(DolevStrong.Variant variant) {
    AgreementConfig config = config(6, 2, INSTANCE);
    DolevStrong[] cores = new DolevStrong[6];
    Decision[] decisions = new Decision[6];
    List<RoundMessage> inFlight = new ArrayList<>();
    for (int i = 2; i < 6; i++) {
      cores[i] = new DolevStrong(config, i, keys[i], variant);
      cores[i].receive(msg(1, 0, ChainSignatures.start(INSTANCE, GRANT, 0, keys[0])));
    }
    for (int round = 1; round <= config.lastRound(); round++) {
      if (round == 2) {
        Relay secret = ChainSignatures.extend(INSTANCE,
            ChainSignatures.start(INSTANCE, REVOKE, 0, keys[0]), 1, keys[1]);
        inFlight.add(msg(2, 1, secret));
        // p1 also relays GRANT to everyone, as a correct process would: it looks perfect.
        inFlight.add(msg(2, 1, ChainSignatures.extend(INSTANCE,
            ChainSignatures.start(INSTANCE, GRANT, 0, keys[0]), 1, keys[1])));
      }
      for (RoundMessage m : inFlight) {
        boolean secretOne = m.from() == 1 && m.relays().get(0).value().equals(REVOKE);
        for (int to = 2; to < 6; to++) {
          if (to != m.from() && decisions[to] == null && (!secretOne || to == 2)) {
            cores[to].receive(m);
          }
        }
      }
      inFlight = new ArrayList<>();
      for (int i = 2; i < 6; i++) {
        if (decisions[i] == null) {
          DolevStrong.Step step = cores[i].endRound(round);
          step.broadcast().ifPresent(inFlight::add);
          decisions[i] = step.decision().orElse(null);
        }
      }
    }
    return List.of(decisions[2], decisions[3], decisions[4], decisions[5]);
  }

  @Test
  void theSecretChainCounterexampleLeavesTheProtocolInAgreement() {
    Decision bottom = new Decision(Optional.empty(), 3);
    assertEquals(List.of(bottom, bottom, bottom, bottom),
        secretChainRun(DolevStrong.Variant.CORRECT));
  }

  @Test
  void theSecretChainCounterexampleBreaksTheNaiveEarlyDecision() {
    // p3..p5 see nothing new in round 2 and decide GRANT; p2 relays REVOKE in round 3 to
    // processes that no longer listen, and itself ends with two values: ⊥. Disagreement.
    Decision grant = new Decision(Optional.of(GRANT), 2);
    assertEquals(List.of(new Decision(Optional.empty(), 3), grant, grant, grant),
        secretChainRun(DolevStrong.Variant.NAIVE_EARLY_DECISION));
  }

  @Test
  void withoutFaultsTheNaiveRuleDecidesInRoundTwo() {
    // What early deciding would buy when nobody fails: round 2 instead of f+1 = 5.
    AgreementConfig config = config(6, 4, INSTANCE);
    DolevStrong[] cores = new DolevStrong[6];
    for (int i = 0; i < 6; i++) {
      cores[i] = new DolevStrong(config, i, keys[i], DolevStrong.Variant.NAIVE_EARLY_DECISION);
    }
    List<RoundMessage> inFlight = new ArrayList<>(List.of(
        cores[0].start(GRANT).broadcast().orElseThrow()));
    for (int round = 1; round <= 2; round++) {
      for (RoundMessage m : inFlight) {
        for (int to = 0; to < 6; to++) {
          if (to != m.from()) {
            cores[to].receive(m);
          }
        }
      }
      inFlight = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        DolevStrong.Step step = cores[i].endRound(round);
        step.broadcast().ifPresent(inFlight::add);
        assertEquals(round == 2, step.decision().isPresent(), "p" + i + " round " + round);
      }
    }
    for (int i = 0; i < 6; i++) {
      assertEquals(Optional.of(new Decision(Optional.of(GRANT), 2)), cores[i].decision());
    }
  }

  @Test
  void forgedChainsAreRefusedWithTheirReason() {
    AgreementConfig config = config(5, 3, INSTANCE);
    Relay real = ChainSignatures.start(INSTANCE, GRANT, 0, keys[0]);
    // Round 1.
    assertRefused(config, 1, msg(1, 1, ChainSignatures.start(INSTANCE, GRANT, 1, keys[1])),
        Rejection.NOT_STARTED_BY_SENDER);
    assertRefused(config, 1, msg(1, 2, real), Rejection.NOT_FROM_LAST_SIGNER);
    assertRefused(config, 1, msg(2, 0, real), Rejection.WRONG_ROUND);
    byte[] junk = new byte[64];
    assertRefused(config, 1, msg(1, 0, new Relay(GRANT, List.of(new Link(0, junk)))),
        Rejection.BAD_SIGNATURE);
    assertRefused(config, 1, msg(1, 0, new Relay(REVOKE, real.chain())),
        Rejection.BAD_SIGNATURE);
    assertRefused(config, 1, msg(1, 0, new Relay(GRANT, List.of(new Link(9, junk)))),
        Rejection.NOT_STARTED_BY_SENDER);
    assertRefused(config, 1, new RoundMessage(INSTANCE, 1, 7, List.of(real)),
        Rejection.UNKNOWN_PROCESS);
    // Round 2: a chain of length 1 relayed late, a chain signed twice by p1, a too-long chain.
    Relay byOne = ChainSignatures.extend(INSTANCE, real, 1, keys[1]);
    assertRefused(config, 2, msg(2, 0, real), Rejection.WRONG_CHAIN_LENGTH);
    assertRefused(config, 3, msg(3, 1, ChainSignatures.extend(INSTANCE, byOne, 1, keys[1])),
        Rejection.DUPLICATE_SIGNER);
    assertRefused(config, 2, msg(2, 2, ChainSignatures.extend(INSTANCE, byOne, 2, keys[2])),
        Rejection.WRONG_CHAIN_LENGTH);
    // p2 signs on behalf of p1: the link names p1 but does not verify under p1's key.
    Relay impostor = new Relay(GRANT, List.of(real.chain().get(0), new Link(1,
        ChainSignatures.extend(INSTANCE, real, 1, keys[2]).chain().get(1).signature())));
    assertRefused(config, 2, msg(2, 1, impostor), Rejection.BAD_SIGNATURE);
  }

  @Test
  void signaturesOfAnotherInstanceDoNotVerifyHere() {
    byte[] other = "epoch-7/acl-change-4".getBytes(StandardCharsets.US_ASCII);
    AgreementConfig config = config(4, 1, INSTANCE);
    Relay there = ChainSignatures.start(other, GRANT, 0, keys[0]);
    assertRefused(config, 1, new RoundMessage(other, 1, 0, List.of(there)),
        Rejection.WRONG_INSTANCE);
    assertRefused(config, 1, msg(1, 0, there), Rejection.BAD_SIGNATURE);
    // Nor does a round-1 signature moved to position 2 of a chain.
    Relay moved = new Relay(GRANT, List.of(there.chain().get(0),
        new Link(1, ChainSignatures.start(INSTANCE, GRANT, 1, keys[1]).chain().get(0)
            .signature())));
    assertRefused(config, 2, msg(2, 1, moved), Rejection.BAD_SIGNATURE);
  }

  @Test
  void misuseFailsFastWithAMessage() {
    AgreementConfig config = config(4, 1, INSTANCE);
    DolevStrong p1 = new DolevStrong(config, 1, keys[1]);
    assertThrows(IllegalStateException.class, () -> p1.start(GRANT));
    assertThrows(IllegalArgumentException.class, () -> p1.endRound(2));
    assertThrows(IllegalArgumentException.class, () -> new DolevStrong(config, 1, keys[2]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> config(4, 4, INSTANCE));
    assertTrue(e.getMessage().contains("f must be in 0..3"), e.getMessage());
    p1.endRound(1);
    p1.endRound(2);
    assertThrows(IllegalStateException.class, () -> p1.endRound(3));
    assertEquals(Optional.of(Rejection.AFTER_DECISION), p1.receive(msg(2, 0,
        ChainSignatures.start(INSTANCE, GRANT, 0, keys[0]))));
  }

  private void assertRefused(AgreementConfig config, int round, RoundMessage message,
      Rejection reason) {
    DolevStrong p = new DolevStrong(config, 4 % config.n() == 0 ? 3 : config.n() - 1,
        keys[config.n() - 1]);
    for (int r = 1; r < round; r++) {
      p.endRound(r);
    }
    assertEquals(Optional.of(reason), p.receive(message), message.toString());
    assertEquals(List.of(), p.extracted());
  }

  private static RoundMessage msg(int round, int from, Relay relay) {
    return new RoundMessage(INSTANCE, round, from, List.of(relay));
  }
}
