package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.SigningKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One process of one authenticated Byzantine broadcast (Dolev–Strong, 1983), as a pure state
 * machine: it is fed the start of the broadcast (at the sender), the messages of the current
 * round, and the end of each round; it answers with the message to broadcast next round and,
 * at the end, the decision. It holds no thread, socket, clock or random source; the caller
 * drives rounds (by synchronized time with a bound Δ in deployment, by virtual time in the
 * simulator) and carries messages ({@link AgreementCodec} gives their bytes).
 *
 * <h2>Protocol</h2>
 * Round 1: the sender signs its value and sends it to all. A value received in round r is
 * <em>extracted</em> if its chain has exactly r links from distinct processes, the first being
 * the sender and the last the process it came from, and every link verifies (it binds the
 * instance, the position = round, the value and all earlier links: {@link ChainSignatures}). A
 * process extracts at most two values; each value it extracts in round r ≤ f it relays in round
 * r+1 with its own link appended. At the end of round f+1 it decides the value if it extracted
 * exactly one, else the default ⊥.
 *
 * <h2>Guarantees (with at most f Byzantine processes, any f &lt; n)</h2>
 * Failure model: synchronous rounds (every message a correct process sends in round r reaches
 * every correct process in round r); Byzantine processes may do anything but forge a correct
 * process's Ed25519 signature. No bound like n &gt; 3f: signatures stop a traitor from claiming
 * a correct process relayed what it did not.
 * <ul>
 *   <li><b>Termination</b>: every correct process decides at the end of round f+1 (by then, in
 *       the early-deciding mode below).
 *   <li><b>Validity</b>: if the sender is correct, every correct process decides its value. It
 *       signs only that value, so every valid chain carries it, and every correct process
 *       extracts it in round 1.
 *   <li><b>Agreement</b>: let E_p be what correct p extracted. (1) If correct p extracts v in
 *       round r ≤ f, p is not in v's chain (else it had extracted v before) and relays v in
 *       round r+1 with r+1 distinct links, so every correct q extracts v by round r+1 unless q
 *       already holds two values. (2) If p extracts v in round f+1, the chain has f+1 distinct
 *       signers, so one, c, is correct; c signed at some position i ≤ f, i.e. it extracted v in
 *       round i-1 ≤ f; by (1) every correct q has v or two values. Hence every value of E_p is
 *       in E_q unless |E_q| = 2, and the other way round. If |E_p| = 1, q's values all lie in
 *       E_p, so E_q = E_p; if E_p is empty, so is E_q; so both decide the same.
 *   <li><b>Instance binding</b>: a link signs the instance id, so nothing from another instance
 *       (or another round or another chain) verifies here.
 * </ul>
 *
 * <h2>Cost</h2>
 * A correct process sends at most three broadcasts (its start if it is the sender, and one relay
 * per extracted value), so a run costs at most about 2n(n-1) messages whatever f is — well under
 * the (f+1)·n² of relaying every chain every round. With a correct sender it is (n-1) + (n-1)²
 * messages. A process verifies a chain only when its value is new and it holds fewer than two
 * values, so it verifies at most 2(f+1) signatures plus those of rejected forgeries.
 *
 * <h2>Early-deciding mode ({@link AgreementConfig#earlyDecision()})</h2>
 * The same value chains, plus <em>echoes</em>. At the end of round 1 a non-sender that
 * extracted exactly one value v signs an echo of it ("in round 1 I extracted exactly v"; its
 * own domain tag, so it is not a chain link) and sends it in round 2. A correct process signs
 * at most one echo. Echoes travel as chains like values: an echo chain received in round r
 * counts only with exactly r−1 links from distinct <em>non-senders</em> (the sender never
 * echoes nor relays echoes), the echo's author first, the process it came from last, every
 * link verifying. A process that echoed v holds the echoes of v it receives (one per author)
 * and relays each new one in the next round while that round is ≤ f+1; it ignores echoes of
 * other values, and a process that did not echo ignores all echoes. Decisions:
 * <ul>
 *   <li>the sender, if it started the broadcast, decides its value at the end of round 1:
 *       validity promises it to every correct process, so nothing it learns later matters;
 *   <li>a non-sender that echoed v decides v at the end of the first round r ≥ 2 in which it
 *       holds the echoes of v of all n−1 non-senders — call that set P(v) — and still sends,
 *       in round r+1 (if r ≤ f), the echoes and values it must relay; then it stops;
 *   <li>anyone else decides as above at the end of round f+1.
 * </ul>
 * <b>Proof.</b> (U) P(v) and P(w), v ≠ w, cannot both exist if some non-sender is correct: it
 * signs one echo. If no non-sender is correct, the only correct process can be the sender.
 * (S) Correct sender with value v: every correct non-sender extracts exactly v in round 1 and
 * nothing else ever, so it echoes v, decides v if it completes P(v), and else decides v at
 * f+1 by validity above; the sender decides v. (F) Faulty sender. If no correct process
 * completes any P, all decide after round f+1 on the value chains alone, which correct
 * processes relayed exactly as in the other mode, so the agreement proof above applies. Else
 * some correct q decides v at the end of round r ≤ f+1 holding P(v). P(v) exists, so every
 * correct non-sender echoed v (its echo is in P(v)), hence holds and relays echoes of v, and
 * by (U) none can complete another P. Take an echo e in P(v) that q holds; it reached q in
 * round j ≤ r. (a) If j ≤ f, q relayed e in round j+1 ≤ r+1 (q's last message is sent even
 * though it decided), so every correct process holds e by round j+1. (b) If j = f+1, e's chain
 * has f distinct non-sender signers, while at most f−1 non-senders are faulty (the sender is
 * one of the f): some signer c is correct, and c sent e to everyone in a round ≤ f+1 — in
 * round 2 as its author, else right after it received e. So every correct process holds all of
 * P(v) by the end of round min(r+1, f+1) and decides v by then, before and instead of the
 * value-chain rule at f+1. In every case all correct processes decide the same value, by
 * round f+1; a decided value was signed by the sender (a process echoes only a value it
 * extracted).
 *
 * <p><b>What it gives, and its limits.</b> With nobody failing, the sender decides in round 1
 * and everyone else in round 2 (min(a+2, f+1) for a = 0), for (n−1) + 2(n−1)² messages when
 * f ≥ 2 — every echo is relayed once more, because a correct process cannot tell which echoes
 * the others are missing. Faulty processes that still deliver their echo to some correct
 * process in time cost one round more. But one non-sender that never echoes (crashed, or
 * silent on purpose) leaves P incomplete, and then everybody waits until f+1: this is <em>not</em>
 * min(a+2, f+1) for a ≥ 1. Accepting n−1−k echoes would need more than 2k correct
 * non-senders to keep (U), and processes that did not echo v to carry v's echoes too (which
 * the two-value cap on chains undoes); no such rule is proved here, so none is implemented.
 * Early deciding is not early stopping either: a process that decides in round r still sends
 * its round-(r+1) message.
 *
 * <p><b>Why not the general bound.</b> min(f+2, t+1) (f actual, t tolerated) is the lower bound
 * of Dolev, Reischuk and Strong (JACM 1990) for eventual agreement; they reach it only for t of
 * the order of √n. Later protocols reach it for n &gt; 8t ("coordinated traversal") and n &gt; 3t
 * (Abraham and Dolev, STOC 2015); Perry and Toueg's authenticated protocol (1984) takes
 * min(2f+4, 2t+2) rounds (as cited by Elsheimy, Loss and Papamanthou, ePrint 2024/822, who
 * get (1+ε)f for t &lt; n/2); Loss and Nielsen (Eurocrypt 2024) call their O(min(f², t+1))-round
 * protocol the first early-stopping broadcast for t = n−1. Two simple rules fail:
 * <ul>
 *   <li><b>Decide after a clean round</b> (nothing new arrived; {@link
 *       Variant#NAIVE_EARLY_DECISION}): traitors look perfect to p while passing a second value
 *       along a chain of their own, shown to q alone in round 2 (sender and one colluder); p
 *       decides the first value at the end of round 2, q relays the second in round 3 and ends
 *       with two values, ⊥. Watching for silence does not help: the traitors are never silent.
 *   <li><b>Adopt a decider's certificate</b>: if p decides on P(v) in round 2 and the others
 *       adopt v when shown P(v), traitors can complete P(v) for a traitor only (withholding
 *       their echoes from correct processes), show a second value to a correct c in round 2 so
 *       that everybody ends with two values, and show P(v) to one correct q late: q decides v,
 *       the rest ⊥. If adoption instead requires holding v alone, p's own certificate is
 *       ignored by a q that got the second value from c in round 3. What makes the mode above
 *       safe is that the echoes themselves travel as chains, so a late one needs one signer
 *       per round, and that the decider relays once more ({@link
 *       Variant#NO_RELAY_AFTER_EARLY_DECISION} shows what happens if it does not; {@link
 *       Variant#SENDER_IN_ECHO_CHAINS} what happens if the sender may sign echo chains).
 * </ul>
 */
public final class DolevStrong {

  /** Deliberately broken variants, for the simulator's checkers to catch. */
  public enum Variant {
    /** The protocol above. */
    CORRECT,
    /** Accepts chains without verifying their signatures: one traitor can forge any value. */
    NO_SIGNATURE_CHECK,
    /** Decides at the end of round f instead of f+1: a value shown in round f to some escapes. */
    STOP_AFTER_F_ROUNDS,
    /**
     * The naive early-deciding rule, for the checkers to catch: decide at the end of the first
     * round r ≥ 2 in which nothing new was extracted (a "clean" round; nobody relays anything
     * more after it). Unsafe: a traitor sender and one colluder show a second value to q alone
     * in round 2; p, having seen nothing new in round 2, decides the first value there, while
     * q relays the second in round 3 and ends with two values, ⊥.
     */
    NAIVE_EARLY_DECISION,
    /**
     * The early-deciding mode without its last relay: a process that completes the echoes
     * decides and sends nothing more. Unsafe: a traitor gives its echo to p alone, p decides,
     * and the others, never completing the echoes, fall back to the value chains, where a
     * second value revealed by traitors makes them decide ⊥.
     */
    NO_RELAY_AFTER_EARLY_DECISION,
    /**
     * The early-deciding mode taking echo chains that the sender relayed. Unsafe: a traitor
     * sender and f−1 colluders show an echo to one correct process in round f+1 with f links
     * and no correct signer, completing its echoes there and nowhere else.
     */
    SENDER_IN_ECHO_CHAINS
  }

  /** Why a relay was not extracted. */
  public enum Rejection {
    /** The message is for another instance. */
    WRONG_INSTANCE,
    /** The message names another round than the current one. */
    WRONG_ROUND,
    /** The sending or a signing process is not one of the n, or is this process. */
    UNKNOWN_PROCESS,
    /** The chain's last link is not by the process the message came from. */
    NOT_FROM_LAST_SIGNER,
    /** The chain does not have exactly as many links as the round number. */
    WRONG_CHAIN_LENGTH,
    /** The chain's first link is not by the designated sender. */
    NOT_STARTED_BY_SENDER,
    /** A process signs the chain twice. */
    DUPLICATE_SIGNER,
    /** A link does not verify. */
    BAD_SIGNATURE,
    /** The process has decided; nothing more is taken. */
    AFTER_DECISION,
    /** An echo chain names the sender: the sender never echoes nor relays echoes. */
    ECHO_BY_SENDER,
    /** Echoes in an instance that is not in the early-deciding mode. */
    UNEXPECTED_ECHO
  }

  /**
   * What the caller does after an event.
   *
   * @param broadcast a message to send to every other process in the next round
   * @param decision the decision, at the end of the last round
   */
  public record Step(Optional<RoundMessage> broadcast, Optional<Decision> decision) {
    static final Step NOTHING = new Step(Optional.empty(), Optional.empty());
  }

  private final AgreementConfig config;
  private final int self;
  private final SigningKey key;
  private final Variant variant;
  private final int decisionRound;
  private int round = 1;
  private boolean started;
  /** How many values were extracted when the current round began (NAIVE_EARLY_DECISION). */
  private int extractedAtRoundStart;
  /** The extracted values (at most two), with the chain each was first extracted with. */
  private final Map<Value, Relay> extracted = new LinkedHashMap<>();
  /** Values extracted this round, to relay next round. */
  private final List<Relay> toRelay = new ArrayList<>(2);
  /** Early mode: the value this process echoed at the end of round 1, or null. */
  private Value echoed;
  /** Early mode: the verified echoes of {@link #echoed}, by author (its own included). */
  private final Map<Integer, Relay> echoes = new LinkedHashMap<>();
  /** Early mode: echoes first held this round, to relay next round. */
  private final List<Relay> echoesToRelay = new ArrayList<>();
  private Decision decision;
  private long signaturesVerified;
  private long signaturesMade;
  private long rejections;

  /** A correct process. */
  public DolevStrong(AgreementConfig config, int self, SigningKey key) {
    this(config, self, key, Variant.CORRECT);
  }

  /**
   * Process {@code self} of {@code config}, signing with {@code key}.
   *
   * @throws IllegalArgumentException if {@code self} is not a process or {@code key} is not its
   *     key in the config
   */
  public DolevStrong(AgreementConfig config, int self, SigningKey key, Variant variant) {
    this.config = Objects.requireNonNull(config, "config");
    this.key = Objects.requireNonNull(key, "key");
    this.variant = Objects.requireNonNull(variant, "variant");
    if (self < 0 || self >= config.n()) {
      throw new IllegalArgumentException("self must be in 0.." + (config.n() - 1) + ", got "
          + self);
    }
    if (!key.verifyingKey().equals(config.keys().get(self))) {
      throw new IllegalArgumentException("the signing key is not process p" + self
          + "'s key in " + config);
    }
    this.self = self;
    this.decisionRound = variant == Variant.STOP_AFTER_F_ROUNDS
        ? Math.max(1, config.f()) : config.lastRound();
  }

  /**
   * Starts the broadcast of {@code value}: the message to send in round 1.
   *
   * @throws IllegalStateException if this process is not the sender, or it already started, or
   *     round 1 is over
   */
  public Step start(Value value) {
    Objects.requireNonNull(value, "value");
    if (self != config.sender()) {
      throw new IllegalStateException("p" + self + " is not the sender (p" + config.sender()
          + ") and cannot start the broadcast");
    }
    if (started || round != 1) {
      throw new IllegalStateException("the broadcast was already started (round " + round + ")");
    }
    started = true;
    Relay relay = ChainSignatures.start(config.unsafeInstance(), value, self, key);
    signaturesMade++;
    extracted.put(value, relay);
    return new Step(Optional.of(new RoundMessage(config.unsafeInstance(), 1, self,
        List.of(relay))), Optional.empty());
  }

  /**
   * Takes a message received in the current round. Valid relays of new values are extracted
   * (at most two values in all); the rest are dropped.
   *
   * @return why (the first) relay of the message was refused, or empty if none was
   */
  public Optional<Rejection> receive(RoundMessage message) {
    Objects.requireNonNull(message, "message");
    Optional<Rejection> refused = check(message);
    if (refused.isPresent()) {
      rejections++;
      return refused;
    }
    Optional<Rejection> first = Optional.empty();
    for (Relay relay : message.relays()) {
      Optional<Rejection> r = take(relay, message.from());
      if (r.isPresent()) {
        rejections++;
        if (first.isEmpty()) {
          first = r;
        }
      }
    }
    for (Relay echo : message.echoes()) {
      Optional<Rejection> r = config.earlyDecision() ? takeEcho(echo, message.from())
          : Optional.of(Rejection.UNEXPECTED_ECHO);
      if (r.isPresent()) {
        rejections++;
        if (first.isEmpty()) {
          first = r;
        }
      }
    }
    return first;
  }

  /**
   * An echo chain received in round r: valid with exactly r-1 links from distinct non-senders,
   * the first (the echo) by its author, the last by the process it came from. Only echoes of
   * the value this process echoed itself are worth anything to it (see the class notes).
   */
  private Optional<Rejection> takeEcho(Relay echo, int from) {
    List<Link> chain = echo.chain();
    if (chain.size() != round - 1) {
      return Optional.of(Rejection.WRONG_CHAIN_LENGTH);
    }
    if (echo.lastSigner() != from) {
      return Optional.of(Rejection.NOT_FROM_LAST_SIGNER);
    }
    boolean[] seen = new boolean[config.n()];
    for (Link link : chain) {
      int signer = link.signer();
      if (signer < 0 || signer >= config.n()) {
        return Optional.of(Rejection.UNKNOWN_PROCESS);
      }
      if (signer == config.sender()
          && (variant != Variant.SENDER_IN_ECHO_CHAINS || signer == chain.get(0).signer())) {
        return Optional.of(Rejection.ECHO_BY_SENDER);
      }
      if (seen[signer]) {
        return Optional.of(Rejection.DUPLICATE_SIGNER);
      }
      seen[signer] = true;
    }
    // An echo of another value, or of an author already held, changes nothing here.
    if (echoed == null || !echo.value().equals(echoed)
        || echoes.containsKey(chain.get(0).signer())) {
      return Optional.empty();
    }
    if (variant != Variant.NO_SIGNATURE_CHECK) {
      for (int i = 0; i < chain.size(); i++) {
        signaturesVerified++;
        if (!ChainSignatures.verifyEchoLink(config.unsafeInstance(), echo, i,
            config.keys().get(chain.get(i).signer()))) {
          return Optional.of(Rejection.BAD_SIGNATURE);
        }
      }
    }
    echoes.put(chain.get(0).signer(), echo);
    // Relayed next round while that is still a round of the instance; a chain this process
    // signed is one it held already, so seen[self] means a forgery that did not verify.
    if (round < config.lastRound() && !seen[self]) {
      echoesToRelay.add(echo);
    }
    return Optional.empty();
  }

  private Optional<Rejection> check(RoundMessage message) {
    if (decision != null) {
      return Optional.of(Rejection.AFTER_DECISION);
    }
    if (!Arrays.equals(message.unsafeInstance(), config.unsafeInstance())) {
      return Optional.of(Rejection.WRONG_INSTANCE);
    }
    if (message.round() != round) {
      return Optional.of(Rejection.WRONG_ROUND);
    }
    if (message.from() < 0 || message.from() >= config.n() || message.from() == self) {
      return Optional.of(Rejection.UNKNOWN_PROCESS);
    }
    return Optional.empty();
  }

  private Optional<Rejection> take(Relay relay, int from) {
    List<Link> chain = relay.chain();
    if (chain.size() != round) {
      return Optional.of(Rejection.WRONG_CHAIN_LENGTH);
    }
    if (chain.get(0).signer() != config.sender()) {
      return Optional.of(Rejection.NOT_STARTED_BY_SENDER);
    }
    if (relay.lastSigner() != from) {
      return Optional.of(Rejection.NOT_FROM_LAST_SIGNER);
    }
    boolean[] seen = new boolean[config.n()];
    for (Link link : chain) {
      int signer = link.signer();
      if (signer < 0 || signer >= config.n()) {
        return Optional.of(Rejection.UNKNOWN_PROCESS);
      }
      if (seen[signer]) {
        return Optional.of(Rejection.DUPLICATE_SIGNER);
      }
      seen[signer] = true;
    }
    // A known value, or a third one, changes nothing: no need to pay for verifying it.
    if (extracted.containsKey(relay.value()) || extracted.size() >= 2) {
      return Optional.empty();
    }
    if (variant != Variant.NO_SIGNATURE_CHECK) {
      for (int i = 0; i < chain.size(); i++) {
        signaturesVerified++;
        if (!ChainSignatures.verifyLink(config.unsafeInstance(), relay, i,
            config.keys().get(chain.get(i).signer()))) {
          return Optional.of(Rejection.BAD_SIGNATURE);
        }
      }
    }
    extracted.put(relay.value(), relay);
    if (!seen[self]) {
      toRelay.add(relay);
    }
    return Optional.empty();
  }

  /**
   * Ends round {@code round}: returns the relays to broadcast in the next round, or, after the
   * last round, the decision.
   *
   * @throws IllegalArgumentException if {@code round} is not the current round
   * @throws IllegalStateException if the process has already decided
   */
  public Step endRound(int round) {
    if (decision != null) {
      throw new IllegalStateException("p" + self + " already decided " + decision);
    }
    if (round != this.round) {
      throw new IllegalArgumentException("ending round " + round + " but the current round is "
          + this.round);
    }
    if (config.earlyDecision()) {
      Step early = endRoundEarly(round);
      if (early != null) {
        return early;
      }
    }
    boolean clean = round >= 2 && extracted.size() == extractedAtRoundStart;
    if (round >= decisionRound || (variant == Variant.NAIVE_EARLY_DECISION && clean)) {
      decision = new Decision(extracted.size() == 1
          ? Optional.of(extracted.keySet().iterator().next()) : Optional.empty(), round);
      toRelay.clear();
      return new Step(Optional.empty(), Optional.of(decision));
    }
    if (config.earlyDecision() && round == 1 && self != config.sender()
        && extracted.size() == 1 && config.lastRound() >= 2) {
      // Exactly one value in round 1: echo it. A process signs at most this one echo.
      echoed = extracted.keySet().iterator().next();
      echoes.put(self, ChainSignatures.echo(config.unsafeInstance(), echoed, self, key));
      signaturesMade++;
    }
    this.round++;
    extractedAtRoundStart = extracted.size();
    return new Step(nextMessage(), Optional.empty());
  }

  /**
   * The early-deciding mode's decisions, or null to go on as in the f+1-round mode: a correct
   * sender decides its value after round 1 (validity promises it to everyone); a process that
   * holds the echoes of every non-sender decides the value it echoed, and still sends what it
   * must relay in the next round.
   */
  private Step endRoundEarly(int round) {
    if (self == config.sender() && started) {
      decision = new Decision(Optional.of(extracted.keySet().iterator().next()), round);
      toRelay.clear();
      return new Step(Optional.empty(), Optional.of(decision));
    }
    if (round < 2 || echoed == null || echoes.size() < config.n() - 1) {
      return null;
    }
    decision = new Decision(Optional.of(echoed), round);
    Optional<RoundMessage> last = Optional.empty();
    if (round < config.lastRound() && variant != Variant.NO_RELAY_AFTER_EARLY_DECISION) {
      this.round++;
      last = nextMessage();
    }
    toRelay.clear();
    echoesToRelay.clear();
    return new Step(last, Optional.of(decision));
  }

  /** The message for round {@code this.round}: the pending relays and echoes, signed on. */
  private Optional<RoundMessage> nextMessage() {
    List<Relay> relays = new ArrayList<>(toRelay.size());
    for (Relay relay : toRelay) {
      relays.add(ChainSignatures.extend(config.unsafeInstance(), relay, self, key));
      signaturesMade++;
    }
    toRelay.clear();
    List<Relay> echoChains = new ArrayList<>(echoesToRelay.size() + 1);
    if (this.round == 2 && echoed != null) {
      echoChains.add(echoes.get(self));
    }
    for (Relay echo : echoesToRelay) {
      echoChains.add(ChainSignatures.extendEcho(config.unsafeInstance(), echo, self, key));
      signaturesMade++;
    }
    echoesToRelay.clear();
    if (relays.isEmpty() && echoChains.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new RoundMessage(config.unsafeInstance(), this.round, self, relays,
        echoChains));
  }

  /** The current round (the next one to end). */
  public int round() {
    return round;
  }

  /** The decision, once made. */
  public Optional<Decision> decision() {
    return Optional.ofNullable(decision);
  }

  /** The values extracted so far (at most two), in extraction order. */
  public List<Value> extracted() {
    return List.copyOf(extracted.keySet());
  }

  /** Signatures this process verified. */
  public long signaturesVerified() {
    return signaturesVerified;
  }

  /** Signatures this process made. */
  public long signaturesMade() {
    return signaturesMade;
  }

  /** Messages or relays this process refused. */
  public long rejections() {
    return rejections;
  }

  /** Early mode: the value this process echoed, if it did. */
  public Optional<Value> echoed() {
    return Optional.ofNullable(echoed);
  }

  /** Early mode: how many non-senders' echoes of {@link #echoed()} this process holds. */
  public int echoesHeld() {
    return echoes.size();
  }

  /** This process's index. */
  public int self() {
    return self;
  }
}
