package dev.meridian.keystore.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.wire.GridSpecs;
import dev.meridian.keystore.wire.Names;
import dev.meridian.proto.v1.AclChange;
import dev.meridian.proto.v1.AdminOp;
import dev.meridian.proto.v1.GridSpec;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The access policy as admin actions change it: a deterministic state machine fed the admin
 * requests that Byzantine agreement decided, slot by slot, in the order agreement fixed.
 *
 * <p>Guarantee: correct servers that start from one policy and are fed the same decided slots
 * (which agreement ensures) hold the same policy after each slot, because every check here
 * depends only on the ledger's state, the request's own signed bytes and the slot's start time,
 * which all servers share. Nothing reads a local clock: freshness is judged against the slot's
 * start, and a request's nonce is remembered (for twice the window, in slot time) so a replay in
 * a later slot is refused the same way everywhere.
 *
 * <p>What is checked for each request, in order: it parses, carries an admin op and no session
 * MAC; its Ed25519 signature verifies under its client's registered key; its timestamp is within
 * the freshness window of the slot's start; its nonce is new; the change names a known client and
 * a valid prefix; and the requester administers that prefix under the policy in force just
 * before it. A share refresh ({@code RefreshOp}) needs the admin right on every key (prefix
 * "") and is refused while the previous one may still run ({@link #refreshGap}); the ledger only
 * counts refreshes ({@link #refreshes()}), the runtime runs them. A handoff ({@code HandoffOp},
 * to a successor grid) and an intake ({@code AcceptHandoffOp}, from a predecessor grid) need the
 * same right and a grid spec that {@link GridSpecs#parse} accepts; an intake is refused while the
 * previous one may still run, and its carried access rules must name known clients only. The ledger
 * records the latest of each ({@link #successor()}, {@link #predecessor()}); the runtime runs
 * them. Not thread-safe: one runtime thread feeds it.
 */
public final class AdminLedger {
  /** One request's fate. */
  public record Outcome(byte[] requestSha256, boolean applied, String reason, long sequence) {
    public Outcome {
      requestSha256 = requestSha256.clone();
    }

    @Override
    public byte[] requestSha256() {
      return requestSha256.clone();
    }

    /** The request hash as hex (a map key). */
    public String id() {
      return HexFormat.of().formatHex(requestSha256);
    }

    @Override
    public String toString() {
      return "Outcome[" + id().substring(0, 12) + (applied ? " applied #" + sequence
          : " refused: " + reason) + "]";
    }
  }

  private final Map<String, VerifyingKey> clients;
  private final AccessPolicy initial;
  private final long windowMillis;
  private AccessPolicy policy;
  private long sequence;
  private long refreshes;
  private long lastRefreshSlotMillis = Long.MIN_VALUE;
  private long refreshGapMillis;
  private boolean handoffsEnabled;
  private long handoffs;
  private GridSpec successor;
  private long intakes;
  private GridSpec predecessor;
  private long lastIntakeSlotMillis = Long.MIN_VALUE;
  private long intakeGapMillis;
  private final Map<String, Boolean> verifiedRequests = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > 4096;
        }
      });
  /** Nonces applied or refused after their signature verified, with their slot time. */
  private final Map<String, Long> nonces = new LinkedHashMap<>();

  /** A ledger starting at {@code initial}, accepting requests from {@code clients}. */
  public AdminLedger(AccessPolicy initial, Map<String, VerifyingKey> clients, Duration freshness) {
    this.initial = Objects.requireNonNull(initial, "initial");
    this.policy = initial;
    this.clients = Map.copyOf(clients);
    this.windowMillis = freshness.toMillis();
  }

  /**
   * Remembers that this exact signed request (body and signature) was verified under its
   * client's key here already (the server checked it when the client sent it), so the ledger
   * need not check it again. Safe for determinism: a signature check is a function of the bytes,
   * so a remembered success is the result every server computes. Bounded: the oldest are
   * forgotten, and then simply checked again.
   */
  public void alreadyVerified(SignedRequest request) {
    verifiedRequests.put(signedHash(request), Boolean.TRUE);
  }

  /**
   * Checks this request's signature under its client's registered key now (false if it does not
   * parse, names no known client or does not verify); a success is remembered as by {@link
   * #alreadyVerified}.
   */
  public boolean verifiesNow(SignedRequest request) {
    RequestBody body;
    try {
      body = RequestBody.parseFrom(request.getBody());
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
    VerifyingKey key = clients.get(body.getClientId());
    if (key == null || !key.verify(request.getBody().toByteArray(),
        request.getSignature().toByteArray())) {
      return false;
    }
    alreadyVerified(request);
    return true;
  }

  private boolean verified(SignedRequest request) {
    return verifiedRequests.remove(signedHash(request)) != null;
  }

  /** The hex SHA-256 of a request's exact signed bytes: the body's length, body, signature. */
  static String signedHash(SignedRequest request) {
    byte[] body = request.getBody().toByteArray();
    // The body's length first, so that no other split of the same bytes hashes alike.
    return HexFormat.of().formatHex(Hashes.sha256(
        java.nio.ByteBuffer.allocate(4).putInt(body.length).array(), body,
        request.getSignature().toByteArray()));
  }

  /** A ledger in this one's starting state (to replay a log from the beginning). */
  public AdminLedger fresh() {
    AdminLedger fresh = new AdminLedger(initial, clients, Duration.ofMillis(windowMillis));
    fresh.refreshGapMillis = refreshGapMillis;
    fresh.handoffsEnabled = handoffsEnabled;
    fresh.intakeGapMillis = intakeGapMillis;
    return fresh;
  }

  /**
   * How long after one share refresh was decided another is refused (the first one's voting
   * time); set once, before the first request is applied.
   */
  void refreshGap(Duration gap) {
    this.refreshGapMillis = gap.toMillis();
  }

  /**
   * Lets this ledger take handoffs and intakes, refusing an intake for {@code intakeGap} after
   * another (its voting time); set once, before the first request is applied. Without it every
   * handoff is refused.
   */
  void handoffRules(Duration intakeGap) {
    this.handoffsEnabled = true;
    this.intakeGapMillis = intakeGap.toMillis();
  }

  /** Handoffs decided so far: the number of the latest, 0 if none. */
  public long handoffs() {
    return handoffs;
  }

  /** The grid the latest handoff named, or null if there was none. */
  public GridSpec successor() {
    return successor;
  }

  /** Intakes decided so far: the number of the latest, 0 if none. */
  public long intakes() {
    return intakes;
  }

  /** The grid the latest intake named, or null if there was none. */
  public GridSpec predecessor() {
    return predecessor;
  }

  /** Share refreshes decided so far: the number of the latest, 0 if none. */
  public long refreshes() {
    return refreshes;
  }

  /** The policy in force. */
  public AccessPolicy policy() {
    return policy;
  }

  /** Admin actions applied so far. */
  public long sequence() {
    return sequence;
  }

  /**
   * Applies one decided batch of the slot starting at {@code slotMillis} (milliseconds since the
   * epoch); returns each request's outcome, in order.
   */
  public List<Outcome> apply(long slotMillis, List<SignedRequest> requests) {
    // Forget nonces too old to pass the freshness check again: a replay of them now fails that.
    nonces.values().removeIf(at -> at < slotMillis - 2 * windowMillis);
    List<Outcome> outcomes = new ArrayList<>(requests.size());
    for (SignedRequest request : requests) {
      byte[] hash = Hashes.sha256(request.getBody().toByteArray());
      String refused = check(slotMillis, request);
      if (refused == null) {
        sequence++;
      }
      outcomes.add(new Outcome(hash, refused == null, refused == null ? "" : refused,
          sequence));
    }
    return outcomes;
  }

  /** Null if applied (the policy changed), else why not. */
  private String check(long slotMillis, SignedRequest request) {
    RequestBody body;
    try {
      body = RequestBody.parseFrom(request.getBody());
    } catch (InvalidProtocolBufferException e) {
      return "the request body is not a RequestBody";
    }
    if (!body.hasAdmin()) {
      return "the request carries no admin op";
    }
    if (!request.getSessionId().isEmpty() || !request.getMac().isEmpty()) {
      return "an admin request must be signed, not MACed";
    }
    VerifyingKey key = clients.get(body.getClientId());
    if (key == null) {
      return "unknown client " + (Names.isId(body.getClientId()) ? body.getClientId() : "(bad id)");
    }
    if (!verified(request) && !key.verify(request.getBody().toByteArray(),
        request.getSignature().toByteArray())) {
      return "the signature does not verify under client " + body.getClientId() + "'s key";
    }
    long skew = body.getTimestampMillis() - slotMillis;
    if (Math.abs(skew) > windowMillis) {
      return "stale: its timestamp is " + skew + " ms from the agreement slot's start, the "
          + "window is ±" + windowMillis + " ms";
    }
    String nonce = body.getClientId() + '/' + HexFormat.of().formatHex(body.getNonce()
        .toByteArray());
    if (body.getNonce().size() != RequestAuthenticator.NONCE_BYTES) {
      return "the nonce must be " + RequestAuthenticator.NONCE_BYTES + " bytes";
    }
    if (nonces.putIfAbsent(nonce, slotMillis) != null) {
      return "already decided (a replay, or the same request proposed twice)";
    }
    AdminOp op = body.getAdmin();
    if (op.hasRefresh()) {
      if (!policy.mayAdminister(body.getClientId(), "")) {
        return "client " + body.getClientId() + " does not administer every key (prefix \"\"),"
            + " which a share refresh needs";
      }
      if (lastRefreshSlotMillis != Long.MIN_VALUE
          && slotMillis - lastRefreshSlotMillis < refreshGapMillis) {
        return "a share refresh is already running (refresh " + refreshes + ", decided "
            + (slotMillis - lastRefreshSlotMillis) + " ms before this one)";
      }
      refreshes++;
      lastRefreshSlotMillis = slotMillis;
      return null;
    }
    if (op.hasHandoff() || op.hasAcceptHandoff()) {
      return checkHandoff(slotMillis, body.getClientId(), op);
    }
    boolean grant = op.hasGrant();
    if (!grant && !op.hasRevoke()) {
      return "the admin op names no action";
    }
    AclChange change = grant ? op.getGrant() : op.getRevoke();
    String prefix = change.getKeyPrefix();
    if (!prefix.isEmpty() && !Names.isKey(prefix)) {
      return "the key prefix is not a valid key name";
    }
    if (!clients.containsKey(change.getClientId())) {
      return "the change names unknown client "
          + (Names.isId(change.getClientId()) ? change.getClientId() : "(bad id)");
    }
    AccessPolicy.Right right = switch (change.getRight()) {
      case ACL_RIGHT_READ -> AccessPolicy.Right.READ;
      case ACL_RIGHT_WRITE -> AccessPolicy.Right.WRITE;
      case ACL_RIGHT_ADMIN -> AccessPolicy.Right.ADMIN;
      default -> null;
    };
    if (right == null) {
      return "the change names no right (read, write or admin)";
    }
    if (!policy.mayAdminister(body.getClientId(), prefix)) {
      return "client " + body.getClientId() + " does not administer the keys under \"" + prefix
          + "\"";
    }
    policy = policy.with(prefix, change.getClientId(), right, grant);
    return null;
  }

  /** A handoff or an intake: null if applied, else why not. */
  private String checkHandoff(long slotMillis, String client, AdminOp op) {
    boolean out = op.hasHandoff();
    String what = out ? "a handoff to another grid" : "taking over another grid's secrets";
    if (!policy.mayAdminister(client, "")) {
      return "client " + client + " does not administer every key (prefix \"\"), which " + what
          + " needs";
    }
    GridSpec spec = out ? op.getHandoff().getSuccessor() : op.getAcceptHandoff().getPredecessor();
    GridSpecs.Grid grid;
    try {
      grid = GridSpecs.parse(spec);
    } catch (IllegalArgumentException e) {
      return "the " + (out ? "successor" : "predecessor") + " grid: " + e.getMessage();
    }
    if (!handoffsEnabled) {
      return "this server takes part in no handoff";
    }
    if (out) {
      handoffs++;
      successor = spec;
      return null;
    }
    if (lastIntakeSlotMillis != Long.MIN_VALUE
        && slotMillis - lastIntakeSlotMillis < intakeGapMillis) {
      return "an intake is already running (intake " + intakes + ", decided "
          + (slotMillis - lastIntakeSlotMillis) + " ms before this one)";
    }
    AccessPolicy carried = null;
    if (op.getAcceptHandoff().getRulesCount() > 0) {
      try {
        carried = AccessPolicy.fromProto(op.getAcceptHandoff().getRulesList());
      } catch (IllegalArgumentException e) {
        return "the carried access rules: " + e.getMessage();
      }
      for (AccessPolicy.Rule rule : carried.rules()) {
        for (java.util.Set<String> ids : List.of(rule.readers(), rule.writers(), rule.admins())) {
          for (String id : ids) {
            if (!clients.containsKey(id)) {
              return "the carried access rules name client " + id + ", unknown to this grid"
                  + " (give its servers client." + id + ".public-key first)";
            }
          }
        }
      }
    }
    intakes++;
    predecessor = spec;
    lastIntakeSlotMillis = slotMillis;
    if (carried != null) {
      policy = carried;
    }
    return null;
  }
}
