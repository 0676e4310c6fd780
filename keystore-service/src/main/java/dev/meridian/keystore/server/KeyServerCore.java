package dev.meridian.keystore.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.ConstantTime;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SessionCrypto;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.shamir.Commitments;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.shamir.NextEpoch;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.store.Bytes;
import dev.meridian.keystore.server.ServerMetrics.Operation;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.wire.Names;
import dev.meridian.keystore.wire.Sessions;
import dev.meridian.keystore.wire.Versions;
import dev.meridian.proto.v1.AckBody;
import dev.meridian.proto.v1.AdminOutcome;
import dev.meridian.proto.v1.AdminReply;
import dev.meridian.proto.v1.AdminReplyBody;
import dev.meridian.proto.v1.CompleteReply;
import dev.meridian.proto.v1.KeyVersion;
import dev.meridian.proto.v1.OperationStats;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.ReasonCount;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SessionGrantBody;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRecord;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StatsBody;
import dev.meridian.proto.v1.StatsReply;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.StoredVersion;
import dev.meridian.proto.v1.Version;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One key server's logic, without gRPC: authenticates and authorizes each request, checks
 * every record and share it is asked to keep, stores them durably, and answers reads.
 *
 * <p>Guarantees to a correct client, whatever the other servers do: a record is stored only if
 * its writer's signature verifies and the writer may write the key; a share only if it matches
 * the record's Feldman commitments at this server's x; an acknowledgement is signed only after
 * the record and share are durable (they survive kill -9 of this process); older versions of a
 * key are kept until a newer one is reported complete, so concurrent writers never leave a key
 * with no readable version. A share leaves the server only to a client that may read the key and
 * signed a fresh request naming this server. Thread-safe: requests on one key are serialized.
 */
public final class KeyServerCore {
  /** Versions returned by one read, newest first. */
  static final int MAX_VERSIONS_PER_READ = 8;
  /** Versions one Complete request may name. */
  static final int MAX_COMPLETIONS = 256;
  /**
   * The audit log's operation for a Read without shares (records only, without ciphertext);
   * a Read that asks for shares is {@code read}.
   */
  public static final String READ_RECORDS = "read-records";
  /** Largest version counter: far beyond any real use, and never near overflow. */
  public static final long MAX_COUNTER = 1L << 53;

  private static final byte[] VERSIONS_TAG = {'v', 0};
  private static final byte[] COMPLETE_TAG = {'c', 0};

  private final KeyServerConfig config;
  private final RecordStore store;
  private final RequestAuthenticator authenticator;
  private final LongSupplier clockMillis;
  private final AuditLog audit;
  private final FeldmanVss vss = FeldmanVss.secp256k1();
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  private final Object[] locks = new Object[64];
  /** In force now: the configured policy, as admin actions changed it since. */
  private volatile AccessPolicy policy;
  /** Orders admin actions among the servers; null when this server runs without it. */
  private volatile AdminAgreement admin;
  private final ServerMetrics metrics = new ServerMetrics();

  /** A server core over {@code store}, judging freshness by {@code clockMillis}; no audit log. */
  public KeyServerCore(KeyServerConfig config, RecordStore store, LongSupplier clockMillis) {
    this(config, store, clockMillis, AuditLog.none());
  }

  /**
   * A server core over {@code store}, judging freshness by {@code clockMillis} and recording
   * every access decision in {@code audit} (fail-closed: see {@link AuditLog}).
   */
  public KeyServerCore(KeyServerConfig config, RecordStore store, LongSupplier clockMillis,
      AuditLog audit) {
    this.config = config;
    this.store = store;
    this.clockMillis = clockMillis;
    this.audit = java.util.Objects.requireNonNull(audit, "audit");
    this.authenticator = new RequestAuthenticator(config.clients(), config.freshness(),
        clockMillis);
    this.policy = config.policy();
    for (int i = 0; i < locks.length; i++) {
      locks[i] = new Object();
    }
  }

  /** This server's configuration. */
  public KeyServerConfig config() {
    return config;
  }

  /** The access policy in force: the configured one, changed by the admin actions applied. */
  public AccessPolicy policy() {
    return policy;
  }

  void usePolicy(AccessPolicy next) {
    policy = next;
  }

  void useAdmin(AdminAgreement agreement) {
    admin = agreement;
  }

  // ---------------------------------------------------------------- admin

  /** Another server's request for this one's log of decided admin requests (catching up). */
  public dev.meridian.proto.v1.AdminLogReply adminLog(SignedRequest request) {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw Rejection.unimplemented("server " + config.serverId() + " runs without agreement "
          + "among the servers, so it keeps no admin log");
    }
    return agreement.log(request, clockMillis.getAsLong(), config.freshness().toMillis());
  }

  /**
   * Hands a signed admin request to agreement among the servers; completes with this server's
   * signed outcome once the action is decided, applied or refused, and stored here.
   */
  public CompletableFuture<AdminReply> admin(
      SignedRequest request) {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw Rejection.unimplemented("server " + config.serverId() + " runs without agreement "
          + "among the servers, so it takes no admin actions");
    }
    if (!request.getSessionId().isEmpty()) {
      throw Rejection.invalid("an admin request must be signed, not sent over a session: the "
          + "other servers check its signature too");
    }
    // A request the servers already decided (it reached this one late) is answered with its
    // outcome: these exact signed bytes were authenticated when the decision was applied here.
    CompletableFuture<AdminLedger.Outcome> decided = agreement.decidedOutcome(request)
        .map(CompletableFuture::completedFuture).orElse(null);
    if (decided == null) {
      RequestBody body = RequestAuthenticator.parse(request);
      if (!body.hasAdmin()) {
        throw Rejection.invalid("an Admin request's body must carry an admin op");
      }
      // Only the f + 1 servers that propose it at once check its signature on arrival; the
      // others hold it unchecked (bounded) and answer with its decided outcome, which its
      // proposers or this server's ledger checked. That is n - f - 1 Ed25519 checks fewer.
      boolean proposer = agreement.proposesFirst(body.getTimestampMillis());
      if (proposer) {
        authenticator.authenticate(request);
      } else {
        authenticator.checkTimestamp(body.getClientId(), body.getTimestampMillis());
      }
      decided = agreement.submit(request, proposer);
    }
    return decided.thenApply(outcome -> {
      AdminReplyBody reply = AdminReplyBody
          .newBuilder()
          .setServerId(config.serverId())
          .setRequestSha256(ByteString.copyFrom(outcome.requestSha256()))
          .setOutcome(outcome.applied() ? AdminOutcome.ADMIN_OUTCOME_APPLIED
              : AdminOutcome.ADMIN_OUTCOME_REFUSED)
          .setReason(outcome.reason())
          .setPolicySequence(outcome.sequence())
          .build();
      byte[] bytes = reply.toByteArray();
      return AdminReply.newBuilder()
          .setBody(ByteString.copyFrom(bytes))
          .setSignature(ByteString.copyFrom(config.signingKey().sign(bytes)))
          .build();
    });
  }

  /** What this server has done: the gRPC service records every call here. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /** Where this server records its access decisions. */
  public AuditLog audit() {
    return audit;
  }

  // ---------------------------------------------------------------- read

  /** The versions held for a key, newest first, with this server's shares if asked and allowed. */
  public ReadReply read(SignedRequest request) {
    RequestBody body = authenticator.authenticate(request).body();
    if (!body.hasRead()) {
      throw Rejection.invalid("a Read request's body must carry a read op");
    }
    // The audit log tells a read that may carry shares from one that returns records only.
    String op = body.getRead().getShares() ? Operation.READ.label() : READ_RECORDS;
    return audited(op, body.getClientId(), body.getRead().getKey(), null, () -> read(body));
  }

  private ReadReply read(RequestBody body) {
    String key = checkKey(body.getRead().getKey());
    String client = body.getClientId();
    boolean shares = body.getRead().getShares();
    if (shares) {
      checkAddressedToMe(body);
      checkAllowed(client, AccessPolicy.Right.READ, key);
    } else if (!policy.allows(client, AccessPolicy.Right.READ, key)) {
      checkAllowed(client, AccessPolicy.Right.WRITE, key);
    }
    ReadReply.Builder reply = ReadReply.newBuilder().setServerId(config.serverId());
    List<Held> held;
    synchronized (lockFor(key)) {
      held = versions(key);
    }
    for (int i = held.size() - 1; i >= 0 && reply.getVersionsCount() < MAX_VERSIONS_PER_READ; i--) {
      StoredVersion stored = held.get(i).stored();
      if (shares) {
        reply.addVersions(stored);
      } else {
        reply.addVersions(StoredVersion.newBuilder()
            .setRecord(stored.getRecord().toBuilder().clearCiphertext()));
      }
    }
    return reply.build();
  }

  // ---------------------------------------------------------------- write

  /** Stores a new version and this server's share; the record's signature authenticates it. */
  public StoreAck write(WriteRequest request) {
    // Held for the whole write: a handoff waits for writes in flight, so every write this
    // server acknowledges is stored before its dealer reads the store.
    writeGate.readLock().lock();
    try {
      String successor = handedOffTo;
      if (successor != null) {
        throw new Rejection(Status.Code.FAILED_PRECONDITION, "server " + config.serverId()
            + " takes no writes: this grid handed its secrets over to grid " + successor
            + " (an admin handoff); write to that grid");
      }
      return admitted(request);
    } finally {
      writeGate.readLock().unlock();
    }
  }

  private StoreAck admitted(WriteRequest request) {
    if (request.hasAuth()) {
      // The writer's own authenticated request vouches for the record; readers check the
      // record's signature, so a writer that signs badly only makes its write unreadable.
      RequestAuthenticator.Authenticated auth = authenticator.authenticate(request.getAuth());
      RequestBody body = auth.body();
      if (!body.hasWrite()) {
        throw Rejection.invalid("a Write request's auth must carry a write op");
      }
      RecordBody claimed = peek(request.getRecord());
      return audited(Operation.WRITE.label(), body.getClientId(), claimed.getKey(),
          claimed.hasVersion() ? claimed.getVersion() : null,
          () -> writeOverSession(request, auth));
    }
    // Without auth the record's signature authenticates the request: a record that does not
    // verify, or is replayed, is an authentication failure and is not audited.
    RecordBody body = authenticRecord(request.getRecord());
    authenticator.checkFresh(body.getVersion().getClientId(), body.getTimestampMillis(),
        body.getNonce());
    return audited(Operation.WRITE.label(), body.getVersion().getClientId(), body.getKey(),
        body.getVersion(), () -> {
          ValidRecord record = validate(request.getRecord(), false, false, true);
          Share share = checkShare(record, record.commitments(), request.getShare());
          return store(record, share, null);
        });
  }

  private StoreAck writeOverSession(WriteRequest request, RequestAuthenticator.Authenticated auth) {
    RequestBody body = auth.body();
    checkAddressedToMe(body);
    byte[] hash = Hashes.sha256(request.getRecord().getBody().toByteArray());
    if (!ConstantTime.equal(hash, body.getWrite().getRecordSha256().toByteArray())) {
      throw Rejection.invalid("write.record_sha256 does not match the record sent");
    }
    ValidRecord record = validate(request.getRecord(), false, false, true);
    if (!record.body.getVersion().getClientId().equals(body.getClientId())) {
      throw Rejection.denied("client " + body.getClientId() + " sent a record of client "
          + record.body.getVersion().getClientId() + " as its own write");
    }
    Share share = checkShare(record, record.commitments(), request.getShare());
    return store(record, share, auth.sessionKey());
  }

  /**
   * Agrees a session key with a client: its signed request carries an ephemeral X25519 key; the
   * answer carries this server's, with the session id, signed by this server.
   */
  public SessionGrant openSession(SignedRequest request) {
    if (!request.getSessionId().isEmpty()) {
      throw Rejection.invalid("OpenSession must be signed, not sent over a session");
    }
    RequestBody body = authenticator.authenticate(request).body();
    if (!body.hasOpenSession()) {
      throw Rejection.invalid("an OpenSession request's body must carry an open_session op");
    }
    checkAddressedToMe(body);
    byte[] clientShare = body.getOpenSession().getClientShare().toByteArray();
    byte[] ephemeral = SessionCrypto.newPrivateKey(random);
    byte[] shared;
    try {
      shared = SessionCrypto.agree(ephemeral, clientShare);
    } catch (IllegalArgumentException e) {
      throw Rejection.invalid("open_session.client_share: " + e.getMessage());
    }
    byte[] sessionId = new byte[16];
    random.nextBytes(sessionId);
    SessionGrantBody grant = SessionGrantBody.newBuilder()
        .setServerId(config.serverId())
        .setClientId(body.getClientId())
        .setSessionId(ByteString.copyFrom(sessionId))
        .setClientShare(ByteString.copyFrom(clientShare))
        .setServerShare(ByteString.copyFrom(SessionCrypto.publicKey(ephemeral)))
        .build();
    byte[] grantBytes = grant.toByteArray();
    byte[] key = SessionCrypto.deriveKey(shared, Hashes.sha256(grantBytes), Sessions.KEY_INFO);
    java.util.Arrays.fill(shared, (byte) 0);
    java.util.Arrays.fill(ephemeral, (byte) 0);
    authenticator.addSession(grant.getSessionId(), body.getClientId(), key);
    return SessionGrant.newBuilder()
        .setBody(ByteString.copyFrom(grantBytes))
        .setSignature(ByteString.copyFrom(config.signingKey().sign(grantBytes)))
        .build();
  }

  /** Stores a version a reader found missing here, with the share it interpolated. */
  public StoreAck writeBack(WriteBackRequest request) {
    RequestAuthenticator.Authenticated auth = authenticator.authenticate(request.getRequest());
    RequestBody body = auth.body();
    if (!body.hasWriteBack()) {
      throw Rejection.invalid("a WriteBack request's body must carry a write_back op");
    }
    RecordBody claimed = peek(request.getRecord());
    return audited(Operation.WRITE_BACK.label(), body.getClientId(), claimed.getKey(),
        claimed.hasVersion() ? claimed.getVersion() : null,
        () -> writeBack(request, auth));
  }

  private StoreAck writeBack(WriteBackRequest request, RequestAuthenticator.Authenticated auth) {
    RequestBody body = auth.body();
    checkAddressedToMe(body);
    byte[] hash = Hashes.sha256(request.getRecord().getBody().toByteArray());
    if (!ConstantTime.equal(hash, body.getWriteBack().getRecordSha256().toByteArray())) {
      throw Rejection.invalid("write_back.record_sha256 does not match the record sent");
    }
    // Another client's record: its writer's signature is what makes it worth keeping.
    // A share of a sharing moved here from another grid (share epoch >= 1) may belong to a
    // record split for that grid's n; its commitments are checked against the record below.
    ValidRecord record = validate(request.getRecord(), true, request.getShareEpoch() != 0, true);
    String client = body.getClientId();
    if (!policy.allows(client, AccessPolicy.Right.READ, record.key())) {
      checkAllowed(client, AccessPolicy.Right.WRITE, record.key());
    }
    // A share taken from a refreshed sharing comes with that sharing's commitments: they must
    // commit to the record's secret (same C_0 and t), and the share must verify against them.
    long shareEpoch = request.getShareEpoch();
    Commitments against = record.commitments();
    if (shareEpoch != 0 && against != null) {
      Commitments moved;
      try {
        moved = Commitments.decode(request.getShareCommitments().toByteArray());
      } catch (IllegalArgumentException e) {
        throw Rejection.invalid("write-back share_commitments of " + record.key() + " are bad: "
            + e.getMessage());
      }
      // Every sharing held here has this grid's t: a refreshed one keeps the record's (which
      // is this grid's), one moved here by a handoff was dealt with this grid's.
      if (!against.commitsToSecretOf(moved) || moved.threshold() != config.threshold()) {
        throw Rejection.badShare("write-back share_commitments of " + record.key() + " do not"
            + " commit to the record's secret with t = " + config.threshold() + " (their C_0"
            + " differs from the record's, or their t from this grid's)");
      }
      against = moved;
    } else if (!request.getShareCommitments().isEmpty()) {
      throw Rejection.invalid("write-back share_commitments given with share_epoch 0");
    }
    Share share = checkShare(record, against, request.getShare());
    return store(record, share, shareEpoch, shareEpoch == 0 ? null : against,
        auth.sessionKey());
  }

  // ---------------------------------------------------------------- complete

  /** Marks versions complete; older versions of those keys are deleted here. */
  public CompleteReply complete(SignedRequest request) {
    RequestBody body = authenticator.authenticate(request).body();
    if (!body.hasComplete()) {
      throw Rejection.invalid("a Complete request's body must carry a complete op");
    }
    String client = body.getClientId();
    List<KeyVersion> versions = body.getComplete().getVersionsList();
    if (versions.size() > MAX_COMPLETIONS) {
      Rejection r = Rejection.invalid("a Complete request may name at most " + MAX_COMPLETIONS
          + " versions, this one names " + versions.size());
      auditDenied(Operation.COMPLETE.label(), client, null, null, r);
      throw r;
    }
    // One audit event per version named: each is a decision about one key.
    for (KeyVersion kv : versions) {
      try {
        checkKey(kv.getKey());
        checkVersion(kv.getVersion());
        checkAllowed(client, AccessPolicy.Right.WRITE, kv.getKey());
      } catch (Rejection r) {
        auditDenied(Operation.COMPLETE.label(), client, kv.getKey(), kv.getVersion(), r);
        throw r;
      }
    }
    int accepted = 0;
    for (KeyVersion kv : versions) {
      if (markComplete(kv.getKey(), kv.getVersion())) {
        accepted++;
      }
    }
    for (KeyVersion kv : versions) {
      auditAllowed(Operation.COMPLETE.label(), client, kv.getKey(), kv.getVersion());
    }
    return CompleteReply.newBuilder().setAccepted(accepted).build();
  }

  // ---------------------------------------------------------------- stats

  /**
   * This server's metrics, for a client with the admin right on some key prefix: counters only
   * (no key, client id or secret), signed by this server or MACed over the request's session,
   * with the request's nonce.
   */
  public StatsReply stats(SignedRequest request) {
    RequestAuthenticator.Authenticated auth = authenticator.authenticate(request);
    RequestBody body = auth.body();
    if (!body.hasStats()) {
      throw Rejection.invalid("a Stats request's body must carry a stats op");
    }
    String client = body.getClientId();
    return audited(Operation.STATS.label(), client, null, null, () -> {
      checkAddressedToMe(body);
      if (!config.policy().administersAny(client)) {
        throw Rejection.denied("client " + client + " may not read server metrics: that needs"
            + " the admin right on some key prefix");
      }
      ServerMetrics.Snapshot snapshot = metrics.snapshot();
      StatsBody.Builder stats = StatsBody.newBuilder()
          .setServerId(config.serverId())
          .setNonce(body.getNonce())
          .setTimeMillis(clockMillis.getAsLong())
          .setAuditFailures(audit.failures())
          .setShareRefreshes(refreshesApplied)
          .setIntakesCompleted(intakesApplied)
          .setHandedOffTo(handedOffTo == null ? "" : handedOffTo)
          .addAllRules(policy.toProto());
      for (Operation op : Operation.values()) {
        ServerMetrics.OperationStats figures = snapshot.operations().get(op);
        stats.addOperations(OperationStats.newBuilder()
            .setOperation(op.label())
            .setOk(figures.ok())
            .setRejected(figures.rejected())
            .setP50Micros(figures.p50Micros())
            .setP99Micros(figures.p99Micros()));
      }
      for (Rejection.Reason reason : Rejection.Reason.values()) {
        stats.addRejections(ReasonCount.newBuilder()
            .setReason(reason.label())
            .setCount(snapshot.rejections().get(reason)));
      }
      byte[] bytes = stats.build().toByteArray();
      StatsReply.Builder reply = StatsReply.newBuilder().setBody(ByteString.copyFrom(bytes));
      if (auth.sessionKey() != null) {
        reply.setMac(ByteString.copyFrom(SessionCrypto.hmac(auth.sessionKey(), bytes)));
      } else {
        reply.setSignature(ByteString.copyFrom(config.signingKey().sign(bytes)));
      }
      return reply.build();
    });
  }

  // ---------------------------------------------------------------- audit

  /**
   * Runs {@code decide} for an authenticated request and records its outcome: denied with the
   * reason if it throws, allowed if it returns. If an allowed outcome cannot be recorded, the
   * answer is withheld (fail-closed).
   */
  private <T> T audited(String op, String client, String key, Version version,
      Supplier<T> decide) {
    T answer;
    try {
      answer = decide.get();
    } catch (Rejection r) {
      auditDenied(op, client, key, version, r);
      throw r;
    } catch (RuntimeException e) {
      auditDenied(op, client, key, version, new Rejection(Rejection.Reason.INTERNAL,
          "server " + config.serverId() + " failed on this request"));
      throw e;
    }
    auditAllowed(op, client, key, version);
    return answer;
  }

  private void auditAllowed(String op, String client, String key, Version version) {
    try {
      audit.accessDecision(new AuditLog.Event(clockMillis.getAsLong(), config.serverId(), client,
          op, key, version, AuditLog.Decision.ALLOWED, "ok", ""));
    } catch (AuditException e) {
      throw new Rejection(Rejection.Reason.AUDIT_FAILED, "server " + config.serverId()
          + " cannot record this request in its audit log, so it refuses it (fail-closed)");
    }
  }

  /**
   * Records an admin action as agreement decided it here, applied or refused. It cannot be
   * refused for want of a record (every correct server applies it alike), so an audit failure
   * is only counted and logged by the log.
   */
  void auditAdminAction(SignedRequest request, AdminLedger.Outcome outcome) {
    String client = "(unparsable)";
    String op = "admin";
    String prefix = null;
    try {
      RequestBody body = RequestBody.parseFrom(request.getBody());
      client = body.getClientId();
      if (body.getAdmin().hasGrant() || body.getAdmin().hasRevoke()) {
        dev.meridian.proto.v1.AclChange change = body.getAdmin().hasGrant()
            ? body.getAdmin().getGrant() : body.getAdmin().getRevoke();
        op = (body.getAdmin().hasGrant() ? "grant " : "revoke ")
            + change.getRight().name().replace("ACL_RIGHT_", "").toLowerCase(java.util.Locale.ROOT)
            + (body.getAdmin().hasGrant() ? " to " : " from ") + change.getClientId();
        prefix = change.getKeyPrefix();
      } else if (body.getAdmin().hasRefresh()) {
        op = "refresh shares";
        prefix = "";
      }
    } catch (InvalidProtocolBufferException e) {
      // recorded as unparsable: the ledger refused it for that
    }
    try {
      audit.adminAction(new AuditLog.Event(clockMillis.getAsLong(), config.serverId(), client,
          op, prefix, null, outcome.applied() ? AuditLog.Decision.ALLOWED
              : AuditLog.Decision.DENIED, outcome.applied() ? "ok" : "denied",
          outcome.reason()));
    } catch (AuditException e) {
      // counted by the log, which logs the outage once; the action stands (see above)
    }
  }

  /** Records a denial; if that fails, the request stays denied (the failure is counted). */
  private void auditDenied(String op, String client, String key, Version version,
      Rejection r) {
    try {
      audit.accessDecision(new AuditLog.Event(clockMillis.getAsLong(), config.serverId(), client,
          op, key, version, AuditLog.Decision.DENIED, r.reason().label(),
          r.getMessage()));
    } catch (AuditException e) {
      // counted by the log, which also logs the outage once; the request is refused anyway
    }
  }

  // ---------------------------------------------------------------- checks

  /** A record whose signature, fields and ciphertext hash were checked. */
  record ValidRecord(SignedRecord signed, RecordBody body, Commitments commitments) {
    String key() {
      return body.getKey();
    }
  }

  /** The record's body as sent, or an empty one if it does not parse (for the audit log). */
  private static RecordBody peek(SignedRecord signed) {
    try {
      return RecordBody.parseFrom(signed.getBody());
    } catch (InvalidProtocolBufferException e) {
      return RecordBody.getDefaultInstance();
    }
  }

  /** The record's body, if it parses, names a valid key and version, and its writer signed it. */
  private RecordBody authenticRecord(SignedRecord signed) {
    RecordBody body = parseRecord(signed);
    Version version = body.getVersion();
    VerifyingKey writerKey = authenticator.clientKey(version.getClientId());
    if (!writerKey.verify(signed.getBody().toByteArray(), signed.getSignature().toByteArray())) {
      throw Rejection.unauthenticated("record signature does not verify under client "
          + version.getClientId() + "'s key (key " + body.getKey() + ", version "
          + Versions.show(version) + ")");
    }
    return body;
  }

  private static RecordBody parseRecord(SignedRecord signed) {
    RecordBody body;
    try {
      body = RecordBody.parseFrom(signed.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.invalid("record body is not a valid RecordBody message");
    }
    checkKey(body.getKey());
    checkVersion(body.getVersion());
    return body;
  }

  /**
   * The record, checked. {@code anyN}: a record split for a grid of another size or threshold is
   * accepted (a sharing moved here by a handoff, whose commitments the caller checks). {@code checkWriter}: the
   * writer must hold the write right here (not for a version handed over from another grid).
   */
  private ValidRecord validate(SignedRecord signed, boolean checkSignature, boolean anyN,
      boolean checkWriter) {
    RecordBody body = checkSignature ? authenticRecord(signed) : parseRecord(signed);
    String key = body.getKey();
    Version version = body.getVersion();
    if (checkWriter) {
      checkAllowed(version.getClientId(), AccessPolicy.Right.WRITE, key);
    }
    if (!anyN && (body.getN() != config.quorums().n() || body.getT() != config.threshold())) {
      throw Rejection.invalid("record of " + key + " is split n = " + body.getN() + ", t = "
          + body.getT() + "; this grid has n = " + config.quorums().n() + ", t = "
          + config.threshold());
    }
    if (body.getEpoch() != 0) {
      throw Rejection.invalid("record of " + key + " is for share epoch " + body.getEpoch()
          + "; this server is in epoch 0");
    }
    if (body.getTombstone()) {
      if (!body.getCommitments().isEmpty() || !body.getCiphertextSha256().isEmpty()
          || !signed.getCiphertext().isEmpty()) {
        throw Rejection.invalid("a tombstone of " + key + " carries commitments or a ciphertext");
      }
      return new ValidRecord(signed, body, null);
    }
    Commitments commitments;
    try {
      commitments = Commitments.decode(body.getCommitments().toByteArray());
    } catch (IllegalArgumentException e) {
      throw Rejection.invalid("record of " + key + " has bad commitments: " + e.getMessage());
    }
    if (commitments.threshold() != (anyN ? body.getT() : config.threshold())) {
      throw Rejection.invalid("record of " + key + " has " + commitments.threshold()
          + " commitments; t = " + (anyN ? body.getT() : config.threshold()));
    }
    int size = signed.getCiphertext().size();
    if (size == 0 || size > config.maxCiphertextBytes()) {
      throw Rejection.invalid("ciphertext of " + key + " is " + size + " bytes; allowed 1-"
          + config.maxCiphertextBytes());
    }
    byte[] hash = Hashes.sha256(signed.getCiphertext().toByteArray());
    if (!ConstantTime.equal(hash, body.getCiphertextSha256().toByteArray())) {
      throw Rejection.invalid("ciphertext of " + key + " does not match the signed hash");
    }
    return new ValidRecord(signed, body, commitments);
  }

  private Share checkShare(ValidRecord record, Commitments against, ByteString y) {
    if (record.body.getTombstone()) {
      if (!y.isEmpty()) {
        throw Rejection.invalid("a tombstone carries no share");
      }
      return null;
    }
    if (y.size() != 32) {
      throw Rejection.badShare("share must be 32 bytes, was " + y.size());
    }
    Share share;
    byte[] bytes = y.toByteArray();
    try {
      share = Share.of(config.shareX(), bytes);
    } catch (IllegalArgumentException e) {
      throw Rejection.badShare("share is not an element of the field (key " + record.key() + ")");
    } finally {
      java.util.Arrays.fill(bytes, (byte) 0);
    }
    if (!vss.verify(share, against)) {
      share.destroy();
      throw Rejection.badShare("share for server " + config.serverId() + " (x = "
          + config.shareX() + ") does not match the commitments of " + record.key() + " version "
          + Versions.show(record.body.getVersion()));
    }
    return share;
  }

  private void checkAddressedToMe(RequestBody body) {
    if (!config.serverId().equals(body.getServerId())) {
      throw Rejection.invalid("request is addressed to server \"" + body.getServerId()
          + "\", this is " + config.serverId());
    }
  }

  private void checkAllowed(String client, AccessPolicy.Right right, String key) {
    if (!policy.allows(client, right, key)) {
      throw Rejection.denied("client " + client + " may not " + right.name().toLowerCase()
          + " key " + key);
    }
  }

  private static String checkKey(String key) {
    if (!Names.isKey(key)) {
      throw Rejection.invalid("key name is missing or not 1-256 characters of [A-Za-z0-9._/:@-]");
    }
    return key;
  }

  private static Version checkVersion(Version v) {
    if (v.getCounter() < 1 || v.getCounter() > MAX_COUNTER || !Names.isId(v.getClientId())) {
      throw Rejection.invalid("version needs a counter in [1, 2^53] and a valid client id");
    }
    return v;
  }

  // ---------------------------------------------------------------- storage

  private StoreAck store(ValidRecord record, Share share, byte[] sessionKey) {
    return store(record, share, 0, null, sessionKey);
  }

  /**
   * Stores the record with this server's share of it, made by refresh {@code shareEpoch} (0: as
   * the writer dealt it) and verifying against {@code shareCommitments} (null at epoch 0). A
   * version held already keeps its share unless it has none (lost in a refresh) or an older one.
   */
  private StoreAck store(ValidRecord record, Share share, long shareEpoch,
      Commitments shareCommitments, byte[] sessionKey) {
    String key = record.key();
    Version version = record.body.getVersion();
    StoredVersion.Builder builder = StoredVersion.newBuilder()
        .setRecord(record.signed)
        .setShare(share == null ? ByteString.EMPTY : ByteString.copyFrom(share.yBytes()))
        .setShareEpoch(share == null ? 0 : shareEpoch);
    if (share != null && shareCommitments != null) {
      builder.setShareCommitments(ByteString.copyFrom(shareCommitments.encode()));
    }
    StoredVersion stored = builder.build();
    if (share != null) {
      share.destroy();
    }
    synchronized (lockFor(key)) {
      Optional<Version> complete = completeVersion(key);
      boolean superseded = complete.isPresent() && Versions.newer(complete.get(), version);
      if (!superseded) {
        List<Held> held = versions(key);
        StoredVersion same = null;
        for (Held h : held) {
          if (Versions.ORDER.compare(h.version(), version) == 0) {
            same = h.stored();
          }
        }
        if (same != null) {
          if (!same.getRecord().getBody().equals(record.signed.getBody())) {
            throw new Rejection(Status.Code.ALREADY_EXISTS, "server " + config.serverId()
                + " holds a different record for " + key + " version " + Versions.show(version));
          }
          if (share != null && (same.getShare().isEmpty() || same.getShareEpoch() < shareEpoch)) {
            replaceHeld(key, version, stored); // a newer share than the one held, or the first
          }
        } else {
          if (held.size() >= config.maxVersionsPerKey()) {
            throw new Rejection(Status.Code.RESOURCE_EXHAUSTED, "key " + key + " already holds "
                + held.size() + " versions not known complete (limit "
                + config.maxVersionsPerKey() + ")");
          }
          write(Map.of(versionKey(key, version), stored.toByteArray()), List.of());
          List<Held> now = new ArrayList<>(held);
          now.add(new Held(version, stored));
          now.sort((a, b) -> Versions.ORDER.compare(a.version(), b.version()));
          cached.put(key, new KeyState(List.copyOf(now), complete));
        }
      }
    }
    AckBody ack = AckBody.newBuilder()
        .setServerId(config.serverId())
        .setKey(key)
        .setVersion(version)
        .setRecordSha256(ByteString.copyFrom(Hashes.sha256(record.signed.getBody().toByteArray())))
        .build();
    byte[] ackBytes = ack.toByteArray();
    StoreAck.Builder reply = StoreAck.newBuilder().setBody(ByteString.copyFrom(ackBytes));
    if (sessionKey != null) {
      reply.setMac(ByteString.copyFrom(SessionCrypto.hmac(sessionKey, ackBytes)));
    } else {
      reply.setSignature(ByteString.copyFrom(config.signingKey().sign(ackBytes)));
    }
    return reply.build();
  }

  // ---------------------------------------------------------------- share refresh

  private volatile long refreshesApplied;

  /**
   * Takes another server's dealing for a share refresh (the {@code RefreshDeal} rpc): signed by
   * that server and addressed here, or refused.
   */
  public dev.meridian.proto.v1.RefreshDealAck refreshDeal(
      dev.meridian.proto.v1.RefreshDealing dealing) {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw new Rejection(Status.Code.FAILED_PRECONDITION, "server " + config.serverId()
          + " runs no admin agreement, so no share refresh");
    }
    return agreement.refresher().receive(dealing);
  }

  /** This server's handoff runner (tests make it cheat). */
  GridHandoff handoff() {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw new IllegalStateException("server " + config.serverId() + " runs no admin agreement");
    }
    return agreement.handoff();
  }

  /** This server's share refresher (tests make it cheat). */
  ShareRefresher refresher() {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw new IllegalStateException("server " + config.serverId() + " runs no admin agreement");
    }
    return agreement.refresher();
  }

  /** The number of the last share refresh applied here (0: none since this server started). */
  public long refreshesApplied() {
    return refreshesApplied;
  }

  void refreshApplied(long epoch, int refreshed, int dropped) {
    refreshesApplied = epoch;
    try {
      audit.adminAction(new AuditLog.Event(clockMillis.getAsLong(), config.serverId(),
          config.serverId(), "apply share refresh " + epoch, "", null,
          AuditLog.Decision.ALLOWED, "ok", refreshed + " shares refreshed, " + dropped
              + " dropped"));
    } catch (AuditException e) {
      // counted by the log; the refresh stands
    }
  }

  /** Grid this one handed its secrets to (a short id), or null: writes are refused once set. */
  private volatile String handedOffTo;

  /** Writes hold its read side; a handoff takes its write side to stop them. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock writeGate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  /**
   * From now on writes are refused: this grid handed its secrets over to {@code successor}.
   * Returns once no write is in flight here (those already admitted are stored).
   */
  void handedOff(String successor) {
    writeGate.writeLock().lock();
    try {
      handedOffTo = successor;
    } finally {
      writeGate.writeLock().unlock();
    }
  }

  /** Every version stored here, tombstones included, with this server's share (a handoff). */
  List<StoredVersion> heldVersions() {
    List<StoredVersion> out = new ArrayList<>();
    try {
      for (Map.Entry<Bytes, byte[]> e : store.scan(Bytes.of(VERSIONS_TAG))) {
        out.add(StoredVersion.parseFrom(e.getValue()));
      }
    } catch (StoreException | InvalidProtocolBufferException e) {
      throw new Rejection(Status.Code.INTERNAL, "server " + config.serverId()
          + " could not read its store for a handoff");
    }
    return out;
  }

  /**
   * Stores a version handed over from another grid, with this server's share of the moved
   * sharing ({@code share} null for a tombstone). The writer's signature is checked here, the
   * share against {@code shareCommitments}, which must commit to the record's secret. Access
   * rights are not: the writer wrote it where it was allowed to.
   *
   * @throws Rejection naming what was wrong with the record or the share
   */
  void storeHandedOver(SignedRecord signed, Share share, long shareEpoch,
      Commitments shareCommitments) {
    ValidRecord record = validate(signed, true, true, false);
    RecordBody body = record.body;
    if (share == null) {
      store(record, null, 0, null, null); // a tombstone, or a record whose share a reader restores
      return;
    }
    if (body.getTombstone() || !record.commitments().commitsToSecretOf(shareCommitments)
        || shareCommitments.threshold() != config.threshold()) {
      throw Rejection.badShare("the moved sharing of " + body.getKey() + " does not commit to"
          + " the record's secret");
    }
    if (!vss.verify(share, shareCommitments)) {
      throw Rejection.badShare("the handed-over share of " + body.getKey()
          + " does not verify");
    }
    store(record, share, shareEpoch, shareCommitments, null);
  }

  private volatile long intakesApplied;

  /** The number of the last intake (a grid's secrets taken over) completed here; 0: none. */
  public long intakesApplied() {
    return intakesApplied;
  }

  void intakeApplied(long number, int moved, int withoutShare) {
    intakesApplied = number;
    try {
      audit.adminAction(new AuditLog.Event(clockMillis.getAsLong(), config.serverId(),
          config.serverId(), "complete intake " + number, "", null,
          AuditLog.Decision.ALLOWED, "ok", moved + " versions moved here, " + withoutShare
              + " without a share"));
    } catch (AuditException e) {
      // counted by the log; the intake stands
    }
  }

  /**
   * Takes a predecessor grid's server's dealing for a handoff (the {@code HandoffDeal} rpc):
   * signed by that server and addressed here, or refused.
   */
  public dev.meridian.proto.v1.RefreshDealAck handoffDeal(
      dev.meridian.proto.v1.HandoffDealing dealing) {
    AdminAgreement agreement = admin;
    if (agreement == null) {
      throw new Rejection(Status.Code.FAILED_PRECONDITION, "server " + config.serverId()
          + " runs no admin agreement, so no handoff");
    }
    return agreement.handoff().receive(dealing);
  }

  /** A version this server holds a share of: what a refresh deals for and refreshes. */
  record HeldShare(String key, Version version, long shareEpoch, Commitments commitments) {}

  /** What this server stores for {@code key}, oldest version first (for tests and tools). */
  List<StoredVersion> stored(String key) {
    synchronized (lockFor(key)) {
      return versions(key).stream().map(Held::stored).toList();
    }
  }

  /** Every version this server holds a share of (tombstones and lost shares left out). */
  List<HeldShare> heldShares() {
    List<HeldShare> out = new ArrayList<>();
    try {
      for (Map.Entry<Bytes, byte[]> e : store.scan(Bytes.of(VERSIONS_TAG))) {
        StoredVersion stored = StoredVersion.parseFrom(e.getValue());
        if (stored.getShare().isEmpty()) {
          continue;
        }
        RecordBody body = RecordBody.parseFrom(stored.getRecord().getBody());
        out.add(new HeldShare(body.getKey(), body.getVersion(), stored.getShareEpoch(),
            shareCommitments(stored, body)));
      }
    } catch (StoreException | InvalidProtocolBufferException e) {
      throw new Rejection(Status.Code.INTERNAL, "server " + config.serverId()
          + " could not read its store for a share refresh");
    }
    return out;
  }

  /** What the stored share verifies against: the record's commitments, or its refresh's. */
  private static Commitments shareCommitments(StoredVersion stored, RecordBody body) {
    return Commitments.decode((stored.getShareEpoch() == 0 ? body.getCommitments()
        : stored.getShareCommitments()).toByteArray());
  }

  /** What became of one held share in a refresh. */
  enum RefreshResult { REFRESHED, DROPPED, GONE }

  /**
   * Replaces this server's share of {@code key} {@code version}, if it is still the one of
   * epoch {@code fromEpoch}, by {@code next} applied to it and its commitments; the old share is
   * overwritten in the store. If {@code next} throws {@link IllegalArgumentException} (a
   * contribution missing or bad), the share is dropped instead: kept, it would still combine
   * with other servers' old shares, which the refresh exists to prevent; a reader's write-back
   * restores it. GONE if the version or that share is no longer held.
   */
  RefreshResult refreshShare(String key, Version version, long fromEpoch,
      java.util.function.BiFunction<Share, Commitments, NextEpoch> next) {
    synchronized (lockFor(key)) {
      StoredVersion held = null;
      for (Held h : versions(key)) {
        if (Versions.ORDER.compare(h.version(), version) == 0) {
          held = h.stored();
        }
      }
      if (held == null || held.getShare().isEmpty() || held.getShareEpoch() != fromEpoch) {
        return RefreshResult.GONE;
      }
      StoredVersion.Builder replaced = held.toBuilder().setShareEpoch(fromEpoch + 1);
      byte[] y = held.getShare().toByteArray();
      RefreshResult result;
      try {
        RecordBody body = RecordBody.parseFrom(held.getRecord().getBody());
        NextEpoch moved = next.apply(Share.of(config.shareX(), y, fromEpoch),
            shareCommitments(held, body));
        byte[] newY = moved.share().yBytes();
        replaced.setShare(ByteString.copyFrom(newY))
            .setShareCommitments(ByteString.copyFrom(moved.commitments().encode()));
        java.util.Arrays.fill(newY, (byte) 0);
        moved.destroy();
        result = RefreshResult.REFRESHED;
      } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
        replaced.setShare(ByteString.EMPTY).clearShareCommitments();
        result = RefreshResult.DROPPED;
      } finally {
        java.util.Arrays.fill(y, (byte) 0);
      }
      replaceHeld(key, version, replaced.build());
      return result;
    }
  }

  /** Overwrites a held version (store first, then cache). Call under the key's lock. */
  private void replaceHeld(String key, Version version, StoredVersion stored) {
    write(Map.of(versionKey(key, version), stored.toByteArray()), List.of());
    KeyState state = state(key);
    List<Held> now = new ArrayList<>();
    for (Held h : state.versions()) {
      now.add(Versions.ORDER.compare(h.version(), version) == 0 ? new Held(version, stored) : h);
    }
    cached.put(key, new KeyState(List.copyOf(now), state.complete()));
  }

  private boolean markComplete(String key, Version version) {
    synchronized (lockFor(key)) {
      List<Held> held = versions(key);
      boolean holds = held.stream()
          .anyMatch(h -> Versions.ORDER.compare(h.version(), version) == 0);
      if (!holds) {
        return false; // keep what we have: the complete version is readable elsewhere
      }
      Optional<Version> complete = completeVersion(key);
      if (complete.isPresent() && !Versions.newer(version, complete.get())) {
        return true;
      }
      List<Bytes> older = new ArrayList<>();
      List<Held> kept = new ArrayList<>();
      for (Held h : held) {
        if (Versions.newer(version, h.version())) {
          older.add(versionKey(key, h.version()));
        } else {
          kept.add(h);
        }
      }
      write(Map.of(completeKey(key), version.toByteArray()), older);
      cached.put(key, new KeyState(List.copyOf(kept), Optional.of(version)));
      return true;
    }
  }

  /**
   * What the store holds for one key: its versions, oldest first, and the newest version known
   * complete. A cache in front of the store: RocksDB prefix scans over keys whose old versions
   * were deleted walk their tombstones until a compaction, which made reads after a burst of
   * writes markedly slower. Every change is made under the key's lock, store first, then cache.
   */
  private record KeyState(List<Held> versions, Optional<Version> complete) {}

  /** A stored version with its version parsed once, not at every comparison. */
  private record Held(Version version, StoredVersion stored) {}

  private final com.github.benmanes.caffeine.cache.Cache<String, KeyState> cached =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).build();

  /** Every version held for {@code key}, oldest first. Call under the key's lock. */
  private List<Held> versions(String key) {
    return state(key).versions();
  }

  private Optional<Version> completeVersion(String key) {
    return state(key).complete();
  }

  private KeyState state(String key) {
    KeyState state = cached.getIfPresent(key);
    if (state != null) {
      return state;
    }
    List<Held> out = new ArrayList<>();
    Optional<Version> complete;
    try {
      for (Map.Entry<Bytes, byte[]> e : store.scan(versionPrefix(key))) {
        StoredVersion stored = StoredVersion.parseFrom(e.getValue());
        out.add(new Held(RecordBody.parseFrom(stored.getRecord().getBody()).getVersion(), stored));
      }
      Optional<byte[]> bytes = store.get(completeKey(key));
      complete = bytes.isEmpty() ? Optional.empty() : Optional.of(Version.parseFrom(bytes.get()));
    } catch (StoreException | InvalidProtocolBufferException e) {
      throw new Rejection(Status.Code.INTERNAL, "server " + config.serverId()
          + " could not read its store for key " + key);
    }
    state = new KeyState(List.copyOf(out), complete);
    cached.put(key, state);
    return state;
  }

  private void write(Map<Bytes, byte[]> puts, List<Bytes> deletes) {
    try {
      store.write(puts, deletes);
    } catch (StoreException e) {
      throw new Rejection(Status.Code.INTERNAL, "server " + config.serverId()
          + " could not write its store");
    }
  }

  private Object lockFor(String key) {
    return locks[Math.floorMod(key.hashCode(), locks.length)];
  }

  private static Bytes versionPrefix(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return Bytes.of(VERSIONS_TAG, k, new byte[] {0});
  }

  // Counter big-endian (unsigned order = numeric order), then the client id: scan order is
  // version order, because client ids are ASCII.
  private static Bytes versionKey(String key, Version v) {
    byte[] counter = ByteBuffer.allocate(8).putLong(v.getCounter()).array();
    return Bytes.of(versionPrefix(key).value(), counter,
        v.getClientId().getBytes(StandardCharsets.UTF_8));
  }

  private static Bytes completeKey(String key) {
    return Bytes.of(COMPLETE_TAG, key.getBytes(StandardCharsets.UTF_8));
  }
}
