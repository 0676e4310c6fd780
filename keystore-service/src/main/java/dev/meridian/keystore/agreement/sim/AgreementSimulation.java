package dev.meridian.keystore.agreement.sim;

import dev.meridian.keystore.agreement.AgreementCodec;
import dev.meridian.keystore.agreement.AgreementConfig;
import dev.meridian.keystore.agreement.ChainSignatures;
import dev.meridian.keystore.agreement.Decision;
import dev.meridian.keystore.agreement.DolevStrong;
import dev.meridian.keystore.agreement.Link;
import dev.meridian.keystore.agreement.Relay;
import dev.meridian.keystore.agreement.RoundMessage;
import dev.meridian.keystore.agreement.Value;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A deterministic, round-by-round simulation of one Dolev–Strong instance with Byzantine
 * traitors, and the checkers that judge it. Everything is drawn from one seed (a {@link
 * SplittableRandom}); the same seed replays the same run, message for message.
 *
 * <p>A run draws n in 4..16, f in 0..n-1, a traitor count a in 0..f (the sender among them half
 * the time) and a strategy per traitor: look honest, fall silent from some round (a crash), drop
 * each copy with some probability (withhold), send its relays rounds late, and inject forgeries
 * (a chain with a bad signature, the sender's signature lifted from another instance, a chain
 * signed twice by one process, a message for another instance, a chain of the wrong length,
 * undecodable bytes). A traitor sender also equivocates in round 1 (each correct process gets
 * the first value, the second, both or nothing) and, with two or more traitors, may reveal a
 * value late: a chain through k traitors, shown in round k (k ≤ a) to some correct processes
 * only. Every message crosses the wire as bytes ({@link AgreementCodec}).
 *
 * <p>Checked at the end: agreement (all correct processes decide the same), validity (a correct
 * sender's value is decided), integrity (a decided value was signed by the sender in this
 * instance), termination (every correct process decides by round f+1), and that correct
 * processes sent at most (f+1)·n² messages.
 *
 * <p>{@link Mode}s other than {@code CORRECT} break the model or the protocol on purpose and must
 * produce violations: {@code F_PLUS_ONE_TRAITORS} gives the adversary f+1 traitors, sender
 * included, which reveal a second value in round f+1 to one correct process only — exactly the
 * run the f+1 bound of Dolev–Strong says it cannot survive. {@code NAIVE_EARLY_DECISION} runs
 * the clean-round early decision against traitors that look perfect and show a second value to
 * one correct process in round 2; it is also held to the early-stopping promise (every correct
 * process decided by round min(a+2, f+1)), which the protocol itself does not make.
 *
 * <p>{@code EARLY_DECISION} runs the protocol's early-deciding mode against the same adversary
 * plus echo attacks, and holds it to the promises it does make (a correct sender decides in
 * round 1; with no traitor every correct process by round min(2, f+1)). {@code
 * EARLY_NO_FINAL_RELAY} and {@code EARLY_SENDER_IN_ECHO_CHAINS} break one ingredient of its
 * proof each, with the run that exploits it.
 */
public final class AgreementSimulation {

  /** What is simulated. */
  public enum Mode {
    /** The protocol within its fault bound: must never violate. */
    CORRECT,
    /** f+1 traitors for a protocol configured for f: disagreement must be found. */
    F_PLUS_ONE_TRAITORS,
    /** Correct processes skip signature checks: forged values get in. */
    NO_SIGNATURE_CHECK,
    /** Correct processes decide after round f instead of f+1. */
    STOP_AFTER_F_ROUNDS,
    /**
     * Correct processes decide early, after the first clean round ({@link
     * DolevStrong.Variant#NAIVE_EARLY_DECISION}); a traitor sender and colluders that look
     * perfect show a second value to one correct process in round 2, right after the others
     * decided. Agreement must break; termination is judged against min(a+2, f+1).
     */
    NAIVE_EARLY_DECISION,
    /**
     * The early-deciding mode ({@link AgreementConfig#earlyDecision()}) within its fault bound,
     * against everything {@code CORRECT} throws plus echo attacks: traitors that give their
     * round-2 message (their echo) to some correct processes only, echoes withheld and shown
     * late along a chain of traitors, echoes of the second value, and forged echoes. Must never
     * violate; held to its own early promises (a correct sender decides in round 1; with no
     * traitor everyone by round min(2, f+1)).
     */
    EARLY_DECISION,
    /**
     * The early-deciding mode without the decider's last relay ({@link
     * DolevStrong.Variant#NO_RELAY_AFTER_EARLY_DECISION}): a traitor gives its echo to one
     * correct process only, and a second value is shown to another in round 2.
     */
    EARLY_NO_FINAL_RELAY,
    /**
     * The early-deciding mode taking echo chains the sender signed ({@link
     * DolevStrong.Variant#SENDER_IN_ECHO_CHAINS}): f traitors, sender included, withhold one
     * traitor's echo and show it in round f+1, with f links, to one correct process only, while
     * a second value shown in round 2 leaves the others with ⊥.
     */
    EARLY_SENDER_IN_ECHO_CHAINS
  }

  /**
   * What one run did.
   *
   * @param seed the run's seed
   * @param n processes
   * @param f the fault bound the protocol was configured with
   * @param traitors how many processes were Byzantine
   * @param senderFaulty whether the sender was one of them
   * @param strategies the traitors' strategies, described
   * @param violations what the checkers found, empty when the run was fine
   * @param decisionRound the last round in which a correct process decided (0: none decided)
   * @param earlyBound min(a+2, f+1) for a = traitors: the round by which an early-stopping
   *     protocol must have every correct process decide (the lower bound of Dolev, Reischuk and
   *     Strong), against which the f+1 rounds actually used compare
   * @param messages messages sent by correct processes (one per recipient)
   * @param messagesAll messages sent by anyone, forgeries included
   * @param signaturesVerified signatures verified by correct processes
   * @param rejected messages or relays correct processes refused (undecodable bytes included)
   * @param defaultDecided whether the correct processes decided ⊥
   * @param fingerprint a hash of every message and decision: equal seeds give equal fingerprints
   * @param trace one line per round and per decision, when asked for; else empty
   */
  public record Run(long seed, int n, int f, int traitors, boolean senderFaulty,
      String strategies, List<String> violations, int decisionRound, int earlyBound,
      long messages,
      long messagesAll, long signaturesVerified, long rejected, boolean defaultDecided,
      long fingerprint, List<String> trace) {
    /** True when no checker complained. */
    public boolean ok() {
      return violations.isEmpty();
    }

    /** The (f+1)·n² messages of relaying every chain to everyone every round. */
    public long messageBound() {
      return (long) (f + 1) * n * n;
    }
  }

  /** SELECTIVE (early modes only): the round-2 message, with the echo, to some processes. */
  private enum Behaviour { HONEST_LOOKING, SILENT, WITHHOLD, LATE, SELECTIVE }

  private AgreementSimulation() {}

  /** Runs the seed in {@code mode}. */
  public static Run run(long seed, Mode mode, boolean keepTrace) {
    return new Runner(seed, mode, keepTrace).run();
  }

  private static final class Runner {
    final long seed;
    final Mode mode;
    final boolean keepTrace;
    final SplittableRandom random;
    final List<String> trace = new ArrayList<>();
    long fingerprint = 0x243F6A8885A308D3L;
    long messages;
    long messagesAll;
    long rejected;

    Runner(long seed, Mode mode, boolean keepTrace) {
      this.seed = seed;
      this.mode = mode;
      this.keepTrace = keepTrace;
      this.random = new SplittableRandom(mix(seed ^ 0x5DEECE66DL));
    }

    Run run() {
      int n = 4 + random.nextInt(13);
      int f;
      int traitors;
      switch (mode) {
        case F_PLUS_ONE_TRAITORS -> { // leave two correct processes to disagree
          f = random.nextInt(n - 2);
          traitors = f + 1;
        }
        case STOP_AFTER_F_ROUNDS -> {
          f = 1 + random.nextInt(n - 3);
          traitors = f;
        }
        case NAIVE_EARLY_DECISION, EARLY_NO_FINAL_RELAY -> { // round 2 before f+1, two correct
          f = 2 + random.nextInt(n - 3);
          traitors = 2 + random.nextInt(f - 1);
        }
        case EARLY_SENDER_IN_ECHO_CHAINS -> {
          f = 2 + random.nextInt(n - 3);
          traitors = f;
        }
        case NO_SIGNATURE_CHECK -> {
          f = 1 + random.nextInt(n - 1);
          traitors = 1 + random.nextInt(f);
        }
        default -> {
          f = random.nextInt(n);
          traitors = random.nextInt(f + 1);
        }
      }
      // A traitor sender is what makes a late reveal possible; the broken modes need it (or, to
      // forge, need a correct one).
      boolean senderFaulty = switch (mode) {
        case F_PLUS_ONE_TRAITORS, STOP_AFTER_F_ROUNDS, NAIVE_EARLY_DECISION,
            EARLY_NO_FINAL_RELAY, EARLY_SENDER_IN_ECHO_CHAINS -> true;
        case NO_SIGNATURE_CHECK -> false;
        default -> traitors > 0 && random.nextBoolean();
      };
      int sender = random.nextInt(n);
      List<Integer> order = shuffled(n);
      boolean[] faulty = new boolean[n];
      int placed = 0;
      if (senderFaulty) {
        faulty[sender] = true;
        placed++;
      }
      for (int p : order) {
        if (placed == traitors) {
          break;
        }
        if (p != sender) {
          faulty[p] = true;
          placed++;
        }
      }

      SigningKey[] keys = new SigningKey[n];
      List<VerifyingKey> publicKeys = new ArrayList<>(n);
      for (int p = 0; p < n; p++) {
        byte[] seed32 = new byte[SigningKey.SEED_BYTES];
        random.nextBytes(seed32);
        keys[p] = SigningKey.fromSeed(seed32);
        publicKeys.add(keys[p].verifyingKey());
      }
      byte[] instance = ("admin-action/" + seed).getBytes(StandardCharsets.US_ASCII);
      boolean early = mode == Mode.EARLY_DECISION || mode == Mode.EARLY_NO_FINAL_RELAY
          || mode == Mode.EARLY_SENDER_IN_ECHO_CHAINS;
      // The modes whose traitors draw their strategies at random (the others follow a plan).
      boolean randomAdversary = mode == Mode.CORRECT || mode == Mode.EARLY_DECISION;
      AgreementConfig config = new AgreementConfig(instance, publicKeys, f, sender, early);
      Value first = Value.of(("grant alice read /k/" + seed).getBytes(StandardCharsets.UTF_8));
      Value second = Value.of(("revoke alice /k/" + seed).getBytes(StandardCharsets.UTF_8));
      Value forged = Value.of(("grant mallory admin /" + seed).getBytes(StandardCharsets.UTF_8));

      DolevStrong.Variant variant = switch (mode) {
        case NO_SIGNATURE_CHECK -> DolevStrong.Variant.NO_SIGNATURE_CHECK;
        case STOP_AFTER_F_ROUNDS -> DolevStrong.Variant.STOP_AFTER_F_ROUNDS;
        case NAIVE_EARLY_DECISION -> DolevStrong.Variant.NAIVE_EARLY_DECISION;
        case EARLY_NO_FINAL_RELAY -> DolevStrong.Variant.NO_RELAY_AFTER_EARLY_DECISION;
        case EARLY_SENDER_IN_ECHO_CHAINS -> DolevStrong.Variant.SENDER_IN_ECHO_CHAINS;
        default -> DolevStrong.Variant.CORRECT;
      };
      // Correct processes run the protocol; traitors run a correct "shadow" too, so they know
      // what an honest process would relay, then distort it.
      DolevStrong[] cores = new DolevStrong[n];
      Behaviour[] behaviour = new Behaviour[n];
      int[] silentFrom = new int[n];
      int[] lateBy = new int[n];
      double[] dropChance = new double[n];
      double[] forgeChance = new double[n];
      List<Set<Integer>> selectiveTo = new ArrayList<>(n);
      StringBuilder strategies = new StringBuilder();
      for (int p = 0; p < n; p++) {
        cores[p] = new DolevStrong(config, p, keys[p], faulty[p] ? DolevStrong.Variant.CORRECT
            : variant);
        if (faulty[p]) {
          // CORRECT draws from the first four only, so its seeds replay as before.
          behaviour[p] = switch (mode) {
            case CORRECT -> Behaviour.values()[random.nextInt(4)];
            case EARLY_DECISION -> Behaviour.values()[random.nextInt(5)];
            default -> Behaviour.HONEST_LOOKING;
          };
          silentFrom[p] = 1 + random.nextInt(f + 2);
          lateBy[p] = 1 + random.nextInt(2);
          dropChance[p] = random.nextDouble();
          // The designed runs of F_PLUS_ONE_TRAITORS and STOP_AFTER_F_ROUNDS must not be spoilt
          // by a forgery that a faulty sender signs for real (a third value means ⊥ for all).
          forgeChance[p] = switch (mode) {
            case CORRECT, EARLY_DECISION -> random.nextDouble() * 0.5;
            case NO_SIGNATURE_CHECK -> 1.0;
            default -> 0.0;
          };
          strategies.append(strategies.length() == 0 ? "" : ",").append('p').append(p)
              .append(':').append(behaviour[p].name().toLowerCase())
              .append(behaviour[p] == Behaviour.SILENT ? "@" + silentFrom[p] : "");
        }
      }
      for (int p = 0; p < n; p++) {
        Set<Integer> to = new HashSet<>();
        if (behaviour[p] == Behaviour.SELECTIVE) {
          for (int q = 0; q < n; q++) {
            if (q != p && (faulty[q] || random.nextInt(3) == 0)) {
              to.add(q);
            }
          }
        }
        selectiveTo.add(to);
      }

      // The traitor sender's plan: what each correct process gets in round 1, and a late reveal.
      List<List<Value>> roundOne = new ArrayList<>(n);
      for (int p = 0; p < n; p++) {
        List<Value> got = new ArrayList<>(2);
        if (!senderFaulty || !randomAdversary) {
          got.add(first);
        } else {
          switch (random.nextInt(5)) {
            case 0, 1 -> got.add(first);
            case 2 -> got.add(second);
            case 3 -> {
              got.add(first);
              got.add(second);
            }
            default -> { } // nothing
          }
        }
        roundOne.add(got);
      }
      int revealRound = 0;
      List<Integer> revealChain = new ArrayList<>();
      Value revealed = second;
      Set<Integer> revealTo = new HashSet<>();
      List<Integer> correct = new ArrayList<>();
      for (int p = 0; p < n; p++) {
        if (!faulty[p]) {
          correct.add(p);
        }
      }
      boolean reveal = senderFaulty && (!randomAdversary
          || (traitors >= 2 && random.nextBoolean()));
      if (reveal) {
        // Within the bound the chain has k <= a traitors; the broken modes use the round the
        // protocol is (or claims to be) safe against: f+1 traitors in round f+1, or f in f.
        revealRound = switch (mode) {
          case F_PLUS_ONE_TRAITORS -> f + 1;
          case STOP_AFTER_F_ROUNDS -> f;
          // Right after the others saw a clean round 2: sender and one colluder suffice.
          case NAIVE_EARLY_DECISION, EARLY_NO_FINAL_RELAY, EARLY_SENDER_IN_ECHO_CHAINS -> 2;
          default -> 2 + random.nextInt(traitors - 1);
        };
        revealed = randomAdversary && random.nextBoolean() ? first : second;
        revealChain.add(sender);
        for (int p : shuffled(n)) {
          if (revealChain.size() == revealRound) {
            break;
          }
          if (faulty[p] && p != sender) {
            revealChain.add(p);
          }
        }
        int shownTo = randomAdversary ? 1 + random.nextInt(correct.size()) : 1;
        List<Integer> pick = new ArrayList<>(correct);
        for (int i = 0; i < shownTo; i++) {
          revealTo.add(pick.remove(random.nextInt(pick.size())));
        }
      }
      // Echo attacks. The broken early mode: a traitor gives its echo to one correct process
      // only (not one the second value is shown to). The early mode: at random, a traitor's
      // echo is withheld (it crashes in round 2, some copies going out) and shown in round j to
      // some correct processes along a chain of j-1 traitors that are not the sender.
      List<Integer> faultyNonSenders = new ArrayList<>();
      for (int p : shuffled(n)) {
        if (faulty[p] && p != sender) {
          faultyNonSenders.add(p);
        }
      }
      int echoRound = 0;
      List<Integer> echoChain = new ArrayList<>();
      Value echoValue = first;
      Set<Integer> echoTo = new HashSet<>();
      if (mode == Mode.EARLY_NO_FINAL_RELAY) {
        int t = faultyNonSenders.get(0);
        behaviour[t] = Behaviour.SELECTIVE;
        List<Integer> pick = new ArrayList<>(correct);
        pick.removeAll(revealTo);
        // Not even to its colluders: their honest-looking shadows would relay it to everyone.
        selectiveTo.get(t).add(pick.get(random.nextInt(pick.size())));
      } else if (mode == Mode.EARLY_SENDER_IN_ECHO_CHAINS) {
        // The author tells no one in round 2; the chain is all f traitors, the sender last.
        int author = faultyNonSenders.get(0);
        behaviour[author] = Behaviour.SELECTIVE;
        echoRound = f + 1;
        echoChain.addAll(faultyNonSenders);
        echoChain.add(sender);
        List<Integer> pick = new ArrayList<>(correct);
        pick.removeAll(revealTo);
        echoTo.add(pick.get(random.nextInt(pick.size())));
      } else if (mode == Mode.EARLY_DECISION && !faultyNonSenders.isEmpty()
          && random.nextBoolean()) {
        // Half the time a traitor sender signs along too: such chains are void (the sender never
        // echoes nor relays echoes), but they are one link longer than the others could be,
        // so a late echo in round f+1 with f traitor links is within reach.
        boolean withSender = senderFaulty && random.nextBoolean();
        int signers = faultyNonSenders.size() + (withSender ? 1 : 0);
        echoRound = 2 + random.nextInt(Math.min(signers, f));
        echoChain.addAll(faultyNonSenders.subList(0, Math.min(faultyNonSenders.size(),
            echoRound - 1)));
        if (echoChain.size() < echoRound - 1) {
          echoChain.add(sender);
        } else if (withSender && echoChain.size() > 1) {
          echoChain.set(echoChain.size() - 1, sender);
        }
        int author = echoChain.get(0);
        behaviour[author] = Behaviour.SILENT;
        silentFrom[author] = 2;
        echoValue = random.nextBoolean() ? first : second;
        for (int q : correct) {
          if (random.nextBoolean()) {
            echoTo.add(q);
          }
        }
      }
      if (revealRound == 1) {
        for (int p : revealTo) {
          if (!roundOne.get(p).contains(revealed)) {
            roundOne.get(p).add(revealed);
          }
        }
      }
      if (keepTrace) {
        trace.add("n=" + n + " f=" + f + " sender=p" + sender + " traitors=" + traitors
            + (strategies.length() > 0 ? " [" + strategies + "]" : "")
            + (revealRound > 0 ? " reveal " + revealed + " in round " + revealRound + " via "
                + revealChain + " to " + revealTo : "")
            + (echoRound > 0 ? " echo of " + echoValue + " shown in round " + echoRound
                + " via " + echoChain + " to " + echoTo : "")
            + (mode == Mode.EARLY_NO_FINAL_RELAY ? " selective " + selectiveTo : ""));
      }

      // Round 1 messages.
      List<Envelope> inFlight = new ArrayList<>();
      List<List<Envelope>> delayed = new ArrayList<>();
      for (int r = 0; r <= f + 4; r++) {
        delayed.add(new ArrayList<>());
      }
      if (!faulty[sender]) {
        DolevStrong.Step step = cores[sender].start(first);
        broadcast(inFlight, sender, n, step.broadcast().orElseThrow(), true);
      } else {
        cores[sender].start(first); // the shadow knows the first value
        for (int to = 0; to < n; to++) {
          if (to == sender) {
            continue;
          }
          // Colluders know both values; in the broken modes they hold only the first, so that
          // their honest-looking relays do not hand the second to everyone in round 2.
          List<Value> values = faulty[to]
              ? (randomAdversary ? List.of(first, second) : List.of(first))
              : roundOne.get(to);
          List<Relay> relays = new ArrayList<>();
          for (Value v : values) {
            relays.add(ChainSignatures.start(instance, v, sender, keys[sender]));
          }
          send(inFlight, sender, to, new RoundMessage(instance, 1, sender, relays), false);
        }
      }

      Decision[] decisions = new Decision[n];
      int lastDecisionRound = 0;
      int maxRound = f + 2;
      for (int round = 1; round <= maxRound; round++) {
        // Forgeries and the late reveal join this round's traffic.
        inFlight.addAll(delayed.get(Math.min(round, delayed.size() - 1)));
        if (round == revealRound && round >= 2) {
          Relay chain = ChainSignatures.start(instance, revealed, sender, keys[sender]);
          for (int i = 1; i < revealChain.size(); i++) {
            chain = ChainSignatures.extend(instance, chain, revealChain.get(i),
                keys[revealChain.get(i)]);
          }
          int from = revealChain.get(revealChain.size() - 1);
          for (int to : revealTo) {
            send(inFlight, from, to, new RoundMessage(instance, round, from, List.of(chain)),
                false);
          }
        }
        if (round == echoRound) {
          Relay echo = ChainSignatures.echo(instance, echoValue, echoChain.get(0),
              keys[echoChain.get(0)]);
          for (int i = 1; i < echoChain.size(); i++) {
            echo = ChainSignatures.extendEcho(instance, echo, echoChain.get(i),
                keys[echoChain.get(i)]);
          }
          int from = echoChain.get(echoChain.size() - 1);
          for (int to : echoTo) {
            send(inFlight, from, to, new RoundMessage(instance, round, from, List.of(),
                List.of(echo)), false);
          }
        }
        for (int p = 0; p < n; p++) {
          if (faulty[p] && random.nextDouble() < forgeChance[p]) {
            forge(inFlight, p, round, n, sender, instance, keys, forged, first, faulty, early);
          }
        }
        // Delivery, in a seeded order (which two of three values a process keeps may depend
        // on it).
        for (int i = inFlight.size() - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          Envelope t = inFlight.get(i);
          inFlight.set(i, inFlight.get(j));
          inFlight.set(j, t);
        }
        for (Envelope e : inFlight) {
          fingerprint = mix(fingerprint ^ e.from * 1_000_003L ^ e.to ^ Arrays.hashCode(e.bytes)
              ^ (long) round << 40);
          if (cores[e.to].decision().isPresent() && !faulty[e.to]) {
            continue;
          }
          RoundMessage message;
          try {
            message = AgreementCodec.decode(e.bytes);
          } catch (IllegalArgumentException undecodable) {
            if (!faulty[e.to]) {
              rejected++;
            }
            continue;
          }
          if (faulty[e.to] && cores[e.to].decision().isPresent()) {
            continue;
          }
          Optional<DolevStrong.Rejection> refused = cores[e.to].receive(message);
          if (refused.isPresent() && !faulty[e.to]) {
            rejected++;
          }
        }
        inFlight = new ArrayList<>();
        // End of the round.
        for (int p = 0; p < n; p++) {
          if (cores[p].decision().isPresent()) {
            continue;
          }
          DolevStrong.Step step = cores[p].endRound(round);
          if (step.decision().isPresent() && !faulty[p]) {
            decisions[p] = step.decision().get();
            lastDecisionRound = round;
            fingerprint = mix(fingerprint ^ step.decision().get().toString().hashCode());
            if (keepTrace) {
              trace.add("round " + round + ": p" + p + " decides " + decisions[p]);
            }
          }
          if (step.broadcast().isEmpty()) {
            continue;
          }
          RoundMessage next = step.broadcast().get();
          if (!faulty[p]) {
            broadcast(inFlight, p, n, next, true);
            continue;
          }
          switch (behaviour[p]) {
            case HONEST_LOOKING -> broadcast(inFlight, p, n, next, false);
            case SILENT -> {
              if (next.round() < silentFrom[p]) {
                broadcast(inFlight, p, n, next, false);
              } else if (next.round() == silentFrom[p]) { // crash mid-round: some copies go
                for (int to = 0; to < n; to++) {
                  if (to != p && random.nextBoolean()) {
                    send(inFlight, p, to, next, false);
                  }
                }
              }
            }
            case WITHHOLD -> {
              for (int to = 0; to < n; to++) {
                if (to != p && random.nextDouble() >= dropChance[p]) {
                  send(inFlight, p, to, next, false);
                }
              }
            }
            case SELECTIVE -> { // honest, but its round-2 message (its echo) to a few only
              for (int to = 0; to < n; to++) {
                if (to != p && (next.round() != 2 || selectiveTo.get(p).contains(to))) {
                  send(inFlight, p, to, next, false);
                }
              }
            }
            case LATE -> { // the same message lateBy rounds later: its round no longer fits
              int at = Math.min(next.round() + lateBy[p], delayed.size() - 1);
              broadcast(delayed.get(at), p, n, next, false);
            }
          }
        }
        if (keepTrace) {
          trace.add("round " + round + ": " + inFlight.size() + " messages for round "
              + (round + 1));
        }
        boolean allDecided = true;
        for (int p : correct) {
          allDecided &= decisions[p] != null;
        }
        if (allDecided) {
          break;
        }
      }
      long verified = 0;
      for (int p : correct) {
        verified += cores[p].signaturesVerified();
      }

      int earlyBound = Math.min(traitors + 2, f + 1);
      List<String> violations = check(config, correct, decisions, faulty, first, second,
          lastDecisionRound);
      if (mode == Mode.EARLY_DECISION) { // the early promises the mode does make
        if (!faulty[sender] && decisions[sender] != null && decisions[sender].round() != 1) {
          violations.add("early-termination: the correct sender p" + sender + " decided in round "
              + decisions[sender].round() + ", not 1");
        }
        for (int p : correct) {
          if (traitors == 0 && decisions[p] != null && decisions[p].round() > Math.min(2, f + 1)) {
            violations.add("early-termination: no process failed, yet p" + p
                + " decided in round " + decisions[p].round() + ", after " + Math.min(2, f + 1));
            break;
          }
          // With f ≤ 2, min(a+2, f+1) is 2 when a = 0 and f+1 otherwise: the mode promises the
          // lecture's bound there (the key service's grids run f = 1).
          if (f <= 2 && decisions[p] != null && decisions[p].round() > earlyBound) {
            violations.add("early-termination: f = " + f + " ≤ 2, yet p" + p + " decided in round "
                + decisions[p].round() + ", after min(a+2, f+1) = " + earlyBound + " with a = "
                + traitors + " faulty");
            break;
          }
        }
      }
      if (mode == Mode.NAIVE_EARLY_DECISION) { // the early-stopping promise, for early modes
        for (int p : correct) {
          if (decisions[p] != null && decisions[p].round() > earlyBound) {
            violations.add("early-termination: p" + p + " decided in round "
                + decisions[p].round() + ", after min(a+2, f+1) = " + earlyBound + " with a = "
                + traitors + " faulty");
            break;
          }
        }
      }
      long bound = (long) (f + 1) * n * n;
      if (messages > bound) {
        violations.add("message-bound: correct processes sent " + messages + " messages, over "
            + "(f+1)·n² = " + bound);
      }
      boolean defaultDecided = !correct.isEmpty() && decisions[correct.get(0)] != null
          && decisions[correct.get(0)].isDefault();
      return new Run(seed, n, f, traitors, senderFaulty, strategies.toString(),
          List.copyOf(violations), lastDecisionRound, earlyBound, messages, messagesAll,
          verified, rejected, defaultDecided, fingerprint,
          keepTrace ? List.copyOf(trace) : List.of());
    }

    /** The checkers. Each message names the processes and values involved. */
    List<String> check(AgreementConfig config, List<Integer> correct, Decision[] decisions,
        boolean[] faulty, Value first, Value second, int lastDecisionRound) {
      List<String> violations = new ArrayList<>();
      for (int p : correct) {
        if (decisions[p] == null) {
          violations.add("termination: p" + p + " has not decided after round "
              + config.lastRound());
        } else if (decisions[p].round() > config.lastRound()) {
          violations.add("termination: p" + p + " decided in round " + decisions[p].round()
              + ", after round f+1 = " + config.lastRound());
        }
      }
      Decision reference = null;
      int referenceProcess = -1;
      for (int p : correct) {
        if (decisions[p] == null) {
          continue;
        }
        if (reference == null) {
          reference = decisions[p];
          referenceProcess = p;
        } else if (!reference.value().equals(decisions[p].value())) {
          violations.add("agreement: p" + referenceProcess + " decided " + reference + " but p"
              + p + " decided " + decisions[p]);
          break;
        }
      }
      boolean senderCorrect = !faulty[config.sender()];
      for (int p : correct) {
        if (decisions[p] == null) {
          continue;
        }
        if (senderCorrect && !decisions[p].value().equals(Optional.of(first))) {
          violations.add("validity: the sender p" + config.sender() + " is correct and sent "
              + first + ", but p" + p + " decided " + decisions[p]);
          break;
        }
        Optional<Value> v = decisions[p].value();
        if (v.isPresent() && !v.get().equals(first) && !v.get().equals(second)) {
          violations.add("integrity: p" + p + " decided " + v.get() + ", which the sender p"
              + config.sender() + " never signed in this instance");
          break;
        }
      }
      return violations;
    }

    /** One forgery from traitor {@code p}, to one random process. */
    void forge(List<Envelope> out, int p, int round, int n, int sender, byte[] instance,
        SigningKey[] keys, Value forged, Value first, boolean[] faulty, boolean early) {
      int to = random.nextInt(n);
      if (to == p) {
        return;
      }
      List<Link> chain = new ArrayList<>();
      RoundMessage message;
      // Two more kinds in the early modes only, so that CORRECT's seeds replay as before.
      switch (random.nextInt(early ? 9 : 7)) {
        case 7 -> { // an echo by the sender, who never echoes
          Relay echo = ChainSignatures.echo(instance, first, sender, keys[sender]);
          while (echo.chain().size() < round - 1) {
            echo = ChainSignatures.extendEcho(instance, echo, p, keys[p]);
          }
          message = new RoundMessage(instance, round, p, List.of(), List.of(echo));
        }
        case 8 -> { // an echo of the first value by another process, with a made-up signature
          if (round < 2) {
            return;
          }
          int author = random.nextInt(n);
          if (author == sender || author == p) {
            return;
          }
          Relay echo = new Relay(first, List.of(new Link(author, junk())));
          for (int q : shuffled(n)) {
            if (echo.chain().size() >= round - 2) {
              break;
            }
            if (q != sender && q != p && q != author) {
              echo = new Relay(first, append(echo.chain(), new Link(q, junk())));
            }
          }
          echo = ChainSignatures.extendEcho(instance, echo, p, keys[p]);
          message = new RoundMessage(instance, round, p, List.of(), List.of(echo));
        }
        case 0 -> { // a well-formed chain whose other links are random bytes
          if (round == 1 || p == sender) {
            return;
          }
          message = new RoundMessage(instance, round, p, List.of(junkChain(forged, round, p,
              sender, n, null, keys[p], instance)));
        }
        case 1 -> { // the sender's real signature on the value, lifted from another instance
          if (round == 1 || p == sender) {
            return;
          }
          byte[] other = ("other/" + seed).getBytes(StandardCharsets.US_ASCII);
          Link lifted = ChainSignatures.start(other, forged, sender, keys[sender]).chain().get(0);
          message = new RoundMessage(instance, round, p, List.of(junkChain(forged, round, p,
              sender, n, lifted, keys[p], instance)));
        }
        case 2 -> { // a chain signed twice by the traitor
          Relay relay = ChainSignatures.start(instance, forged, sender, keys[sender]);
          if (!faulty[sender]) {
            byte[] junk = new byte[SigningKey.SIGNATURE_BYTES];
            random.nextBytes(junk);
            relay = new Relay(forged, List.of(new Link(sender, junk)));
          }
          while (relay.chain().size() < Math.max(3, round)) {
            relay = ChainSignatures.extend(instance, relay, p, keys[p]);
          }
          message = new RoundMessage(instance, round, p, List.of(relay));
        }
        case 3 -> { // a well-formed message of another instance
          byte[] other = ("admin-action/" + (seed + 1)).getBytes(StandardCharsets.US_ASCII);
          Relay relay = ChainSignatures.start(other, forged, p, keys[p]);
          message = new RoundMessage(other, round, p, List.of(relay));
        }
        case 4 -> { // the chain is one link too long for the round (a relay from the future)
          Relay relay = ChainSignatures.start(instance, first, sender, keys[sender]);
          for (int i = 0; i < round; i++) {
            relay = ChainSignatures.extend(instance, relay, p, keys[p]);
          }
          message = new RoundMessage(instance, round, p, List.of(relay));
        }
        case 5 -> { // a chain started by the traitor, not the sender
          Relay relay = ChainSignatures.start(instance, forged, p, keys[p]);
          message = new RoundMessage(instance, round, p, List.of(relay));
        }
        default -> { // bytes that do not decode
          byte[] junk = AgreementCodec.encode(new RoundMessage(instance, round, p, List.of()));
          byte[] cut = Arrays.copyOf(junk, random.nextInt(junk.length + 8));
          for (int i = 0; i < cut.length; i++) {
            if (random.nextInt(4) == 0) {
              cut[i] = (byte) random.nextInt(256);
            }
          }
          messagesAll++;
          out.add(new Envelope(p, to, cut));
          return;
        }
      }
      send(out, p, to, message, false);
    }

    /**
     * A chain of {@code length} distinct signers: the sender first ({@code senderLink}, or
     * random bytes), then others with random-byte links, then traitor {@code p}, which signs
     * its own link properly. Only a process that skips signature checks accepts it.
     */
    Relay junkChain(Value value, int length, int p, int sender, int n, Link senderLink,
        SigningKey key, byte[] instance) {
      List<Link> chain = new ArrayList<>(length);
      chain.add(senderLink != null ? senderLink : new Link(sender, junk()));
      for (int q : shuffled(n)) {
        if (chain.size() == length - 1) {
          break;
        }
        if (q != sender && q != p) {
          chain.add(new Link(q, junk()));
        }
      }
      return ChainSignatures.extend(instance, new Relay(value, chain), p, key);
    }

    static List<Link> append(List<Link> chain, Link link) {
      List<Link> longer = new ArrayList<>(chain);
      longer.add(link);
      return longer;
    }

    byte[] junk() {
      byte[] junk = new byte[SigningKey.SIGNATURE_BYTES];
      random.nextBytes(junk);
      return junk;
    }

    void broadcast(List<Envelope> out, int from, int n, RoundMessage message,
        boolean byCorrect) {
      byte[] bytes = AgreementCodec.encode(message);
      for (int to = 0; to < n; to++) {
        if (to != from) {
          out.add(new Envelope(from, to, bytes));
          messagesAll++;
          if (byCorrect) {
            messages++;
          }
        }
      }
    }

    void send(List<Envelope> out, int from, int to, RoundMessage message, boolean byCorrect) {
      out.add(new Envelope(from, to, AgreementCodec.encode(message)));
      messagesAll++;
      if (byCorrect) {
        messages++;
      }
    }

    List<Integer> shuffled(int n) {
      List<Integer> order = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        Integer t = order.get(i);
        order.set(i, order.get(j));
        order.set(j, t);
      }
      return order;
    }
  }

  private record Envelope(int from, int to, byte[] bytes) {}

  /** SplitMix64's finalizer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
