package dev.meridian.keystore.agreement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.agreement.DolevStrong.Rejection;
import dev.meridian.keystore.agreement.DolevStrong.Variant;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The early-deciding mode driven by hand: correct processes run the core, traitors' messages
 * are written out round by round, and each test names the run it stands for.
 */
class EarlyDecisionTest {
  static final byte[] INSTANCE = "epoch-9/acl-change-1".getBytes(StandardCharsets.US_ASCII);
  static final Value GRANT = Value.of("grant bob read /db".getBytes(StandardCharsets.UTF_8));
  static final Value REVOKE = Value.of("revoke bob /db".getBytes(StandardCharsets.UTF_8));

  final SigningKey[] keys = DolevStrongTest.keys(8, 7);

  AgreementConfig config(int n, int f) {
    List<VerifyingKey> pub = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pub.add(keys[i].verifyingKey());
    }
    return new AgreementConfig(INSTANCE, pub, f, 0).withEarlyDecision();
  }

  /** A message and who gets it (null: every process). */
  record Sent(RoundMessage message, Set<Integer> to) {}

  /** Decisions of the correct processes (null for traitors), and messages they sent. */
  record Outcome(Decision[] decisions, long messages) {}

  /**
   * Runs {@code config} with the processes in {@code traitors} replaced by {@code script}
   * (round → what they send in it); the correct ones run {@code variant}. A correct sender
   * broadcasts GRANT.
   */
  Outcome run(AgreementConfig config, Set<Integer> traitors, IntFunction<List<Sent>> script,
      Variant variant) {
    int n = config.n();
    DolevStrong[] cores = new DolevStrong[n];
    Decision[] decisions = new Decision[n];
    List<Sent> inFlight = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (!traitors.contains(i)) {
        cores[i] = new DolevStrong(config, i, keys[i], variant);
      }
    }
    if (cores[0] != null) {
      inFlight.add(new Sent(cores[0].start(GRANT).broadcast().orElseThrow(), null));
    }
    long messages = 0;
    for (int round = 1; round <= config.lastRound() + 1; round++) {
      inFlight.addAll(script.apply(round));
      for (Sent s : inFlight) {
        if (!traitors.contains(s.message().from())) {
          messages += n - 1;
        }
        for (int to = 0; to < n; to++) {
          if (to != s.message().from() && cores[to] != null && decisions[to] == null
              && (s.to() == null || s.to().contains(to))) {
            assertEquals(Optional.empty(), cores[to].receive(s.message()),
                "p" + to + " refused " + s.message());
          }
        }
      }
      inFlight = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (cores[i] != null && decisions[i] == null) {
          DolevStrong.Step step = cores[i].endRound(round);
          if (step.broadcast().isPresent()) {
            inFlight.add(new Sent(step.broadcast().get(), null));
          }
          decisions[i] = step.decision().orElse(null);
        }
      }
    }
    for (int i = 0; i < n; i++) {
      assertTrue(cores[i] == null || decisions[i] != null, "p" + i + " did not decide");
    }
    return new Outcome(decisions, messages);
  }

  static Relay chain(Value v, SigningKey[] keys, int... signers) {
    Relay r = ChainSignatures.start(INSTANCE, v, signers[0], keys[signers[0]]);
    for (int i = 1; i < signers.length; i++) {
      r = ChainSignatures.extend(INSTANCE, r, signers[i], keys[signers[i]]);
    }
    return r;
  }

  static Relay echoChain(Value v, SigningKey[] keys, int... signers) {
    Relay r = ChainSignatures.echo(INSTANCE, v, signers[0], keys[signers[0]]);
    for (int i = 1; i < signers.length; i++) {
      r = ChainSignatures.extendEcho(INSTANCE, r, signers[i], keys[signers[i]]);
    }
    return r;
  }

  static RoundMessage msg(int round, int from, List<Relay> relays, List<Relay> echoes) {
    return new RoundMessage(INSTANCE, round, from, relays, echoes);
  }

  @Test
  void withoutFaultsTheSenderDecidesInRoundOneAndEveryoneElseInRoundTwo() {
    for (int f = 1; f < 6; f++) {
      Outcome o = run(config(6, f), Set.of(), r -> List.of(), Variant.CORRECT);
      assertEquals(new Decision(Optional.of(GRANT), 1), o.decisions()[0], "f=" + f);
      for (int p = 1; p < 6; p++) {
        assertEquals(new Decision(Optional.of(GRANT), Math.min(2, f + 1)), o.decisions()[p],
            "f=" + f + " p" + p);
      }
      // Round 1: 5; round 2: value relays and echoes, one message each: 25; round 3 (f >= 2):
      // each non-sender relays the four echoes it got, one message each: 25.
      assertEquals(f == 1 ? 30 : 55, o.messages(), "f=" + f);
      assertTrue(o.messages() <= (long) (f + 1) * 36);
    }
  }

  @Test
  void theSecretChainCounterexampleEndsInAgreementInRoundTwo() {
    // Traitors p0 (sender) and p1 look perfect, echoes included, while p1 shows p2 alone a
    // chain of REVOKE in round 2. Everyone holds all five echoes of GRANT after round 2.
    Outcome o = run(config(6, 2), Set.of(0, 1), round -> switch (round) {
      case 1 -> List.of(new Sent(msg(1, 0, List.of(chain(GRANT, keys, 0)), List.of()), null));
      case 2 -> List.of(
          new Sent(msg(2, 1, List.of(chain(GRANT, keys, 0, 1)),
              List.of(echoChain(GRANT, keys, 1))), null),
          new Sent(msg(2, 1, List.of(chain(REVOKE, keys, 0, 1)), List.of()), Set.of(2)));
      default -> List.of();
    }, Variant.CORRECT);
    for (int p = 2; p < 6; p++) {
      assertEquals(new Decision(Optional.of(GRANT), 2), o.decisions()[p], "p" + p);
    }
  }

  /**
   * p1 gives its echo of GRANT to p2 alone and shows REVOKE to p3 alone, in round 2; with
   * f = 2 the value chains alone would end, after round 3, with both values (⊥) at p3..p5.
   */
  Outcome withheldEchoRun(Variant variant) {
    return run(config(6, 2), Set.of(0, 1), round -> switch (round) {
      case 1 -> List.of(new Sent(msg(1, 0, List.of(chain(GRANT, keys, 0)), List.of()), null));
      case 2 -> List.of(
          new Sent(msg(2, 1, List.of(), List.of(echoChain(GRANT, keys, 1))), Set.of(2)),
          new Sent(msg(2, 1, List.of(chain(REVOKE, keys, 0, 1)), List.of()), Set.of(3)));
      default -> List.of();
    }, variant);
  }

  @Test
  void anEchoGivenToOneProcessReachesTheOthersThroughItsLastRelay() {
    Decision[] d = withheldEchoRun(Variant.CORRECT).decisions();
    assertEquals(new Decision(Optional.of(GRANT), 2), d[2]);
    for (int p = 3; p < 6; p++) {
      assertEquals(new Decision(Optional.of(GRANT), 3), d[p], "p" + p);
    }
  }

  @Test
  void decidingWithoutTheLastRelayBreaksAgreement() {
    Decision[] d = withheldEchoRun(Variant.NO_RELAY_AFTER_EARLY_DECISION).decisions();
    assertEquals(new Decision(Optional.of(GRANT), 2), d[2]);
    for (int p = 3; p < 6; p++) {
      assertEquals(new Decision(Optional.empty(), 3), d[p], "p" + p);
    }
  }

  @Test
  void aSilentProcessCostsTheEarlyDecisionButNotAgreement() {
    // p5 never sends: nobody holds five echoes, so the value chains decide after round f+1.
    Outcome o = run(config(6, 3), Set.of(5), r -> List.of(), Variant.CORRECT);
    assertEquals(new Decision(Optional.of(GRANT), 1), o.decisions()[0]);
    for (int p = 1; p < 5; p++) {
      assertEquals(new Decision(Optional.of(GRANT), 4), o.decisions()[p], "p" + p);
    }
  }

  @Test
  void anEquivocatingSenderGetsNoEchoFromThoseWhoSawBothValues() {
    // p0 gives p1 both values and the others GRANT: p1 does not echo, nobody completes the
    // echoes, and the value chains give ⊥ to all after round f+1 = 3.
    Outcome o = run(config(5, 2), Set.of(0), round -> round == 1 ? List.of(
        new Sent(msg(1, 0, List.of(chain(GRANT, keys, 0), chain(REVOKE, keys, 0)), List.of()),
            Set.of(1)),
        new Sent(msg(1, 0, List.of(chain(GRANT, keys, 0)), List.of()), Set.of(2, 3, 4)))
        : List.of(), Variant.CORRECT);
    for (int p = 1; p < 5; p++) {
      assertEquals(new Decision(Optional.empty(), 3), o.decisions()[p], "p" + p);
    }
  }

  @Test
  void badEchoesAreRefusedWithTheirReason() {
    AgreementConfig config = config(5, 3);
    DolevStrong p2 = new DolevStrong(config, 2, keys[2]);
    p2.receive(msg(1, 0, List.of(chain(GRANT, keys, 0)), List.of()));
    p2.endRound(1);
    assertEquals(Optional.of(GRANT), p2.echoed());
    assertEquals(Optional.of(Rejection.ECHO_BY_SENDER),
        p2.receive(msg(2, 0, List.of(), List.of(echoChain(GRANT, keys, 0)))));
    assertEquals(Optional.of(Rejection.WRONG_CHAIN_LENGTH),
        p2.receive(msg(2, 3, List.of(), List.of(echoChain(GRANT, keys, 1, 3)))));
    assertEquals(Optional.of(Rejection.NOT_FROM_LAST_SIGNER),
        p2.receive(msg(2, 3, List.of(), List.of(echoChain(GRANT, keys, 1)))));
    // A value link passed off as an echo: the echo tag keeps the two apart.
    Relay lifted = new Relay(GRANT, chain(GRANT, keys, 3).chain());
    assertEquals(Optional.of(Rejection.BAD_SIGNATURE),
        p2.receive(msg(2, 3, List.of(), List.of(lifted))));
    assertEquals(1, p2.echoesHeld());
    assertEquals(Optional.empty(),
        p2.receive(msg(2, 3, List.of(), List.of(echoChain(GRANT, keys, 3)))));
    assertEquals(2, p2.echoesHeld());
    // The f+1-round mode takes no echoes at all.
    AgreementConfig plain = new AgreementConfig(INSTANCE, config.keys(), 3, 0);
    DolevStrong q = new DolevStrong(plain, 2, keys[2]);
    assertEquals(Optional.of(Rejection.UNEXPECTED_ECHO),
        q.receive(msg(1, 3, List.of(), List.of(echoChain(GRANT, keys, 3)))));
  }

  @Test
  void echoesSurviveTheCodec() {
    RoundMessage m = msg(3, 2, List.of(chain(GRANT, keys, 0, 2)),
        List.of(echoChain(GRANT, keys, 1, 2), echoChain(GRANT, keys, 3, 2)));
    byte[] bytes = AgreementCodec.encode(m);
    assertEquals(AgreementCodec.VERSION_WITH_ECHOES, bytes[1]);
    assertEquals(m, AgreementCodec.decode(bytes));
    RoundMessage plain = msg(2, 2, List.of(chain(GRANT, keys, 0, 2)), List.of());
    assertEquals(AgreementCodec.VERSION, AgreementCodec.encode(plain)[1]);
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] shorter = Arrays.copyOf(bytes, cut);
      try {
        AgreementCodec.decode(shorter);
        throw new AssertionError("a message cut to " + cut + " bytes decoded");
      } catch (IllegalArgumentException expected) {
        // named, and nothing else thrown
      }
    }
  }
}
