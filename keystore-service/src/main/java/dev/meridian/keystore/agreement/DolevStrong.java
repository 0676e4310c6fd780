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
 *   <li><b>Termination</b>: every correct process decides at the end of round f+1.
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
 * <h2>Early stopping: not done here</h2>
 * Deciding before round f+1 when only a ≤ f processes fail (min(a+2, f+1) rounds) is not
 * implemented. The simple rule "decide after a clean round (nobody new fell silent, nothing new
 * arrived), then relay once more" is unsafe here: traitors can look perfect to p while passing
 * a second value along a chain of their own and show it to q only in round k &gt; p's decision
 * round, with k signers all faulty; p has decided the first value and q, holding two, decides
 * ⊥. Any early decision therefore needs the others to defer to it, by a proof they can check
 * and that traitors cannot deliver selectively late; see the package notes.
 */
public final class DolevStrong {

  /** Deliberately broken variants, for the simulator's checkers to catch. */
  public enum Variant {
    /** The protocol above. */
    CORRECT,
    /** Accepts chains without verifying their signatures: one traitor can forge any value. */
    NO_SIGNATURE_CHECK,
    /** Decides at the end of round f instead of f+1: a value shown in round f to some escapes. */
    STOP_AFTER_F_ROUNDS
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
    AFTER_DECISION
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
  /** The extracted values (at most two), with the chain each was first extracted with. */
  private final Map<Value, Relay> extracted = new LinkedHashMap<>();
  /** Values extracted this round, to relay next round. */
  private final List<Relay> toRelay = new ArrayList<>(2);
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
    return first;
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
    if (round >= decisionRound) {
      decision = new Decision(extracted.size() == 1
          ? Optional.of(extracted.keySet().iterator().next()) : Optional.empty(), round);
      toRelay.clear();
      return new Step(Optional.empty(), Optional.of(decision));
    }
    this.round++;
    if (toRelay.isEmpty()) {
      return Step.NOTHING;
    }
    List<Relay> relays = new ArrayList<>(toRelay.size());
    for (Relay relay : toRelay) {
      relays.add(ChainSignatures.extend(config.unsafeInstance(), relay, self, key));
      signaturesMade++;
    }
    toRelay.clear();
    return new Step(Optional.of(new RoundMessage(config.unsafeInstance(), this.round, self,
        relays)), Optional.empty());
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

  /** This process's index. */
  public int self() {
    return self;
  }
}
