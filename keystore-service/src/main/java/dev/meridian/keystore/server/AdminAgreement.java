package dev.meridian.keystore.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.agreement.AgreementConfig;
import dev.meridian.keystore.agreement.AgreementNode;
import dev.meridian.keystore.agreement.Decision;
import dev.meridian.keystore.agreement.Value;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.store.Bytes;
import dev.meridian.keystore.store.RecordStore;
import dev.meridian.keystore.store.StoreException;
import dev.meridian.keystore.tls.TransportSecurity;
import com.google.protobuf.ByteString;
import dev.meridian.proto.v1.AdminBatch;
import dev.meridian.proto.v1.AdminLogBody;
import dev.meridian.proto.v1.AdminLogEntry;
import dev.meridian.proto.v1.AdminLogOp;
import dev.meridian.proto.v1.AdminLogReply;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.RequestBody;
import io.grpc.ManagedChannel;
import dev.meridian.proto.v1.SignedRequest;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Admin actions of one key server, ordered by Byzantine agreement among all servers: the
 * runtime around an {@link AdminLedger}.
 *
 * <p>How. Time on the servers' synchronized clock is cut into slots of one round length Δ; slot
 * k starts at k·Δ. In each slot every server may broadcast (Dolev–Strong, f + 1 rounds) one
 * batch of the admin requests clients sent it; the instance of slot k and sender s is known to
 * every server from its id alone, so servers join instances when their first message arrives and
 * idle slots cost nothing. Who proposes a request is fixed by the request itself ({@link
 * #proposes}): the f + 1 proposers of its window, so all requests of one slot usually travel in
 * the same f + 1 batches, at least one from a correct server. Only they check its signature on
 * arrival; the other servers hold it unchecked and check it before they would propose it, and
 * a request f + 1 decided batches hold alike is applied without a second check ({@link
 * SlotRequests}). Slot k's instances all decide by k·Δ + (f + 1)·Δ; half a round later
 * each server feeds the decided batches of slot k to its ledger in sender order. Agreement gives
 * every correct server the same batches, and the ledger is deterministic, so correct servers
 * apply the same actions in the same order and hold the same policy. Reads and writes never wait
 * for any of this: they read the policy in force.
 *
 * <p>A client sends its signed request to its f + 1 first proposers (or to every server) and
 * trusts an outcome f + 1 servers signed: one of them is correct, and what one correct server
 * applied in slot k every correct server applied in slot k. A request that reaches at least one
 * correct proposer is decided (validity). Applied actions are stored before they are answered,
 * and replayed at restart. After applying a slot, each server tells the others so (a signed
 * {@code SlotApplied} notice on the agreement connections), and answers "applied" once n − f
 * servers did (or after {@link #APPLY_GRACE_NANOS}): a client that asked only f + 1 servers
 * still finds the action in force at n − f.
 *
 * <p>Failure model and limits: up to f servers Byzantine; clocks within ε of each other and
 * messages delivered within Δ − 2ε (otherwise a correct server may miss a slot's value and, with
 * it, diverge: pick Δ with room). A server that is down while actions are decided misses them
 * and counts as faulty until it catches up from its peers, which it does when it (re)starts and
 * connects to them ({@link KeyServer#connectServers}); a running server that misses a slot
 * (its messages came late) is not caught up until it restarts.
 */
public final class AdminAgreement implements AutoCloseable {
  private static final Logger log = Logger.getLogger(AdminAgreement.class.getName());
  /** Requests one server proposes in one slot (a signed grant is ~150 bytes; a value ≤ 64 KiB). */
  static final int MAX_BATCH = 256;
  /** Requests waiting at one server; more are refused (RESOURCE_EXHAUSTED). */
  static final int MAX_PENDING = 1024;
  /** Decided outcomes remembered for requests that arrive late ({@link #decidedOutcome}). */
  static final int MAX_DECIDED = 16_384;
  private static final byte[] INSTANCE_TAG = {'a', 'd', 'm'};
  private static final byte[] STORE_TAG = {'a', 0};

  private final int self;
  private final List<String> serverIds;
  private final SigningKey key;
  private final List<VerifyingKey> serverKeys;
  private final int f;
  private final long roundNanos;
  private final LongSupplier clockNanos;
  private final AgreementNode node;
  private AdminLedger ledger; // replaced (guarded by this) when a catch-up rebuilds it
  private final RecordStore store;
  private final Consumer<AccessPolicy> publish;
  /** Told every decided request and its outcome here (the audit log). */
  private final java.util.function.BiConsumer<SignedRequest, AdminLedger.Outcome> onDecided;
  private final ScheduledExecutorService timer;
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  private final Map<Long, TreeMap<Integer, Decision>> slots = new ConcurrentHashMap<>();
  /**
   * Guarded by this: the outcomes of recently decided requests, by their exact signed bytes
   * ({@link AdminLedger#signedHash}). Under load a client's request often reaches a server only
   * after the others decided it; that server answers from here at once, instead of checking
   * the signature a second time and proposing the request again (which would be refused as
   * a replay). Bounded: the oldest are forgotten, and such a request is then handled as new.
   */
  private final Map<String, AdminLedger.Outcome> recentOutcomes = new LinkedHashMap<>(256, 0.75f,
      false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, AdminLedger.Outcome> eldest) {
      return size() > MAX_DECIDED;
    }
  };
  // Guarded by this: requests waiting to be decided, and who waits for each.
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private final Map<String, List<CompletableFuture<AdminLedger.Outcome>>> waiters =
      new LinkedHashMap<>();
  private final TransportSecurity security;
  /** Runs the share refreshes that admin actions start (set once, before connecting). */
  private volatile ShareRefresher refresher;
  /** Runs the handoffs and intakes that admin actions start (set once, before connecting). */
  private volatile GridHandoff handoff;

  /** A request waiting here, and the slot of the timestamp its client signed. */
  private static final class Pending {
    final SignedRequest request;
    final long signedSlot;
    /** Its client's signature was checked here: only such a request is proposed from here. */
    boolean verified;
    long proposedIn = -1; // the open slot it is proposed in here, or -1

    Pending(SignedRequest request, long signedSlot, boolean verified) {
      this.request = request;
      this.signedSlot = signedSlot;
      this.verified = verified;
    }
  }
  /**
   * Guarded by this: per recent slot, the servers known to have applied it (this one, and those
   * whose signed notices said so), and the outcomes applied here not yet answered because fewer
   * than n − f had ({@link #appliedHere}).
   */
  private final Map<Long, java.util.BitSet> appliedBy = new java.util.HashMap<>();
  private final Map<Long, List<AdminLedger.Outcome>> unanswered = new java.util.HashMap<>();
  /** Slots back from now whose notices are still kept. */
  private static final long NOTICE_SLOTS = 64;
  /** How long an applied action waits for n − f servers to say they applied it too. */
  static final long APPLY_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** Whether the agreement connections were set up and used once ({@link #connect}). */
  private volatile boolean connected;
  /** Warnings about late messages: a few, not one per message. */
  private final java.util.concurrent.Semaphore lateWarnings = new java.util.concurrent.Semaphore(3);
  private long storedCount;

  /**
   * The admin runtime of server {@code self} of the servers with {@code serverKeys}, starting
   * from {@code ledger}'s policy plus the actions {@code store} recorded, and handing every new
   * policy to {@code publish}.
   */
  AdminAgreement(int self, List<String> serverIds, SigningKey key, List<VerifyingKey> serverKeys,
      int f,
      Duration roundLength, LongSupplier clockNanos, TransportSecurity security,
      AdminLedger ledger, RecordStore store,
      Consumer<AccessPolicy> publish,
      java.util.function.BiConsumer<SignedRequest, AdminLedger.Outcome> decided)
      throws StoreException {
    if (roundLength.isNegative() || roundLength.isZero()) {
      throw new IllegalArgumentException("the agreement round length must be positive, was "
          + roundLength);
    }
    this.self = self;
    this.serverIds = List.copyOf(serverIds);
    this.key = key;
    this.serverKeys = List.copyOf(serverKeys);
    this.f = f;
    this.roundNanos = roundLength.toNanos();
    this.clockNanos = clockNanos;
    this.ledger = ledger;
    this.store = store;
    this.publish = publish;
    this.onDecided = decided;
    this.security = security;
    // A refresh runs until its last voting slot closes; the ledger refuses another before that.
    ledger.refreshGap(Duration.ofNanos(roundNanos * (ShareRefresher.VOTE_SLOTS + f + 3)));
    ledger.handoffRules(Duration.ofNanos(roundNanos * (GridHandoff.INTAKE_SLOTS + f + 3)));
    replay();
    publish.accept(ledger.policy());
    this.node = AgreementNode.embedded(self, key, roundNanos, clockNanos, security);
    node.onNotice(this::onSlotApplied);
    node.directory(this::lookup);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "admin-agreement-s" + self);
      t.setDaemon(true);
      return t;
    });
    scheduleTick();
  }

  /** The agreement service, to add to the key server's gRPC server. */
  AgreementNode node() {
    return node;
  }

  /** Connects to every server (index order; this one's own entry is ignored). */
  void connect(List<InetSocketAddress> servers) {
    node.connect(servers);
    // Connected and used once now, in the background, not by the first slot's round messages:
    // n - 1 connections set up and gRPC's call path loaded while a round runs made the first
    // busy slot's messages tens of ms late under load, and a late message can cost agreement.
    // Until then this server proposes nothing (requests wait; at most 10 s if a peer is down).
    Thread warm = new Thread(() -> {
      try {
        node.awaitConnected(TimeUnit.SECONDS.toNanos(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        connected = true;
      }
    }, "admin-agreement-s" + self + "-connect");
    warm.setDaemon(true);
    warm.start();
    ShareRefresher r = refresher;
    if (r != null) {
      r.connect(servers, security);
    }
    GridHandoff h = handoff;
    if (h != null) {
      h.connect(security);
    }
  }

  /**
   * Lets {@code h} run the handoffs and intakes decided here from now on; a handoff decided
   * before (the stored log) keeps this server refusing writes.
   */
  void useHandoff(GridHandoff h) {
    synchronized (this) {
      if (ledger.successor() != null) {
        h.handOff(ledger.handoffs(), ledger.successor(), true);
      }
    }
    this.handoff = h;
  }

  /** The handoff runner (the key server sets one before it serves). */
  GridHandoff handoff() {
    GridHandoff h = handoff;
    if (h == null) {
      throw new Rejection(io.grpc.Status.Code.FAILED_PRECONDITION,
          "this server runs no handoff");
    }
    return h;
  }

  /** Lets {@code r} run the share refreshes decided here from now on. */
  void useRefresher(ShareRefresher r) {
    synchronized (this) {
      r.replayed(ledger.refreshes());
    }
    this.refresher = r;
  }

  /** The share refresher (the key server sets one before it serves). */
  ShareRefresher refresher() {
    ShareRefresher r = refresher;
    if (r == null) {
      throw new Rejection(io.grpc.Status.Code.FAILED_PRECONDITION,
          "this server runs no share refresh");
    }
    return r;
  }

  /**
   * Whether this server is one of the proposers of the first window of a request whose client
   * signed {@code timestampMillis}: such a server checks the request's signature on arrival,
   * since it proposes the request at once; the others need not ({@link #submit}).
   */
  boolean proposesFirst(long timestampMillis) {
    long signed = slotOf(timestampMillis);
    return proposes(signed, signed + 2, f, serverKeys.size(), self);
  }

  /**
   * Queues an admin request for agreement; completes with its outcome here once decided and
   * stored. {@code verified}: the caller checked its client's signature. An unchecked request
   * is only held (within {@link #MAX_PENDING}) to answer with its decided outcome: it is checked
   * before this server ever proposes it, and a decided request was checked by its proposers or
   * by this server's ledger, so nothing is done for bytes that do not verify.
   */
  synchronized CompletableFuture<AdminLedger.Outcome> submit(SignedRequest request,
      boolean verified) {
    // Looked up again under the lock: it may have been decided since the caller last looked.
    AdminLedger.Outcome known = recentOutcomes.get(AdminLedger.signedHash(request));
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    String id = idOf(request);
    Pending held = pending.get(id);
    if (held == null && pending.size() >= MAX_PENDING) {
      throw Rejection.exhausted(MAX_PENDING + " admin requests are already waiting at this server");
    }
    if (held != null && !held.request.equals(request)) {
      // The same body under other signature bytes (a forgery, or a forged copy came first):
      // checked now, and the copy that verifies is the one held, so no unchecked bytes can
      // stand in for a real request.
      if (!verified && !ledger.verifiesNow(request)) {
        throw Rejection.unauthenticated("admin request signature does not verify");
      }
      verified = true;
      held = null;
    } else if (verified) {
      ledger.alreadyVerified(request); // the core authenticated it just now
    }
    if (held == null) {
      pending.put(id, new Pending(request, signedSlot(request), verified));
    } else if (verified) {
      held.verified = true;
    }
    CompletableFuture<AdminLedger.Outcome> outcome = new CompletableFuture<>();
    waiters.computeIfAbsent(id, k -> new ArrayList<>()).add(outcome);
    return outcome;
  }

  /**
   * The outcome here of this exact signed request (body and signature), if it was decided
   * recently. Its signature was checked when it was applied, so a caller may answer with the
   * outcome without checking it again.
   */
  synchronized Optional<AdminLedger.Outcome> decidedOutcome(SignedRequest request) {
    return Optional.ofNullable(recentOutcomes.get(AdminLedger.signedHash(request)));
  }

  /** Admin actions applied here so far. */
  synchronized long sequence() {
    return ledger.sequence();
  }

  // ---------------------------------------------------------------- slots

  private void scheduleTick() {
    long now = clockNanos.getAsLong();
    long next = Math.floorDiv(now, roundNanos) + 1;
    // Half-way through slot `next`: fix the batch for the slot after it, whose round-1 message
    // the agreement node sends when that slot starts. Half a round, not less: a request's
    // f + 1 proposers should all hold it when they fix their batches, or it travels in one
    // batch only and every other server checks its signature (SlotRequests); with Δ/16 here
    // about one request in five missed one proposer's batch under load (2026-11-25).
    timer.schedule(this::tick, next * roundNanos - now + roundNanos / 2, TimeUnit.NANOSECONDS);
  }

  private void tick() {
    try {
      long slot = Math.floorDiv(clockNanos.getAsLong(), roundNanos) + 1;
      propose(slot);
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "admin agreement tick failed ({0})", e.getClass().getName());
    } finally {
      if (!timer.isShutdown()) {
        scheduleTick();
      }
    }
  }

  private synchronized void propose(long slot) {
    if (!connected) {
      return; // see connect
    }
    ShareRefresher r = refresher;
    Optional<dev.meridian.proto.v1.RefreshVote> vote =
        r == null ? Optional.empty() : r.voteFor(slot);
    GridHandoff h = handoff;
    Optional<dev.meridian.proto.v1.HandoffVote> intakeVote =
        h == null ? Optional.empty() : h.voteFor(slot);
    if (pending.isEmpty() && vote.isEmpty() && intakeVote.isEmpty()) {
      return;
    }
    AdminBatch.Builder batch = AdminBatch.newBuilder();
    vote.ifPresent(batch::addVotes);
    intakeVote.ifPresent(batch::addHandoffVotes);
    int bytes = 0;
    List<Pending> chosen = new ArrayList<>();
    for (java.util.Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.proposedIn >= 0 || !proposes(p.signedSlot, slot, f, serverKeys.size(), self)) {
        continue;
      }
      if (!p.verified) {
        // Held unchecked (this server was not among its first proposers): a correct server
        // proposes only requests whose signature it checked, which is what lets the others
        // skip their own check of a request f + 1 proposers decided alike (close).
        if (!ledger.verifiesNow(p.request)) {
          it.remove();
          failWaiters(p, "admin request signature does not verify");
          continue;
        }
        p.verified = true;
      }
      int size = p.request.getSerializedSize() + 8;
      if (batch.getRequestsCount() == MAX_BATCH || bytes + size > Value.MAX_BYTES - 64) {
        break;
      }
      batch.addRequests(p.request);
      chosen.add(p);
      bytes += size;
    }
    if (batch.getRequestsCount() == 0 && batch.getVotesCount() == 0
        && batch.getHandoffVotesCount() == 0) {
      return;
    }
    chosen.forEach(p -> p.proposedIn = slot);
    scheduleClose(slot);
    node.join(config(slot, self), slot * roundNanos, Value.of(batch.build().toByteArray()))
        .thenAccept(d -> record(slot, self, d));
  }

  /**
   * Whether {@code server} proposes, in {@code slot}, a request whose client signed a timestamp
   * in slot σ. Windows of f + 3 slots start at σ + 2 (the first slot whose proposing tick comes
   * after the request reached the servers); the k-th window's proposers are the f + 1 servers
   * (σ + k + j) mod n, j = 0 … f. Every server computes the same from the signed bytes, so
   * requests signed in one slot share their proposers and travel in the same f + 1 batches.
   * One of the f + 1 is correct, so a request that reached every correct server is proposed in
   * its first window. A request that f + 1 proposers put in the slot's decided batches alike was
   * checked by a correct one, so the other servers skip their own check of its signature
   * ({@link #close}): that, not speed of delivery, is why a window has f + 1 proposers.
   * Consecutive windows share f proposers, so a request held by a correct proposer is proposed
   * again if its first batch was not decided. A batch proposed in slot s is applied at
   * (s + f + 1.5)·Δ and the next window's first proposing tick is at (s + f + 2.5)·Δ, so a
   * correct proposer's requests are gone before the next window would propose them again.
   */
  public static boolean proposes(long signedSlot, long slot, int f, int n, int server) {
    long first = signedSlot + 2;
    if (slot < first) {
      return false;
    }
    long window = (slot - first) / (f + 3);
    long offset = Math.floorMod(server - signedSlot - window, (long) n);
    return offset <= Math.min(f, n - 1);
  }

  /** The slot of the timestamp the request's client signed (the core parsed it already). */
  private long signedSlot(SignedRequest request) {
    try {
      return slotOf(RequestBody.parseFrom(request.getBody()).getTimestampMillis());
    } catch (InvalidProtocolBufferException e) {
      return Math.floorDiv(clockNanos.getAsLong(), roundNanos); // cannot happen after the core
    }
  }

  private long slotOf(long timestampMillis) {
    try {
      return Math.floorDiv(Math.multiplyExact(timestampMillis, 1_000_000L), roundNanos);
    } catch (ArithmeticException e) {
      return Math.floorDiv(clockNanos.getAsLong(), roundNanos); // absurd: judged stale later
    }
  }

  /**
   * Tells whoever waits here for this request its outcome; guarded by this. Called once the
   * action is stored and the policy it made is in force here, so that a client told "applied"
   * finds it in force at this server.
   */
  private void answer(AdminLedger.Outcome outcome) {
    List<CompletableFuture<AdminLedger.Outcome>> waiting = waiters.remove(outcome.id());
    if (waiting == null) {
      return;
    }
    // Completed on the timer thread once it leaves this lock: each completion signs the outcome
    // and writes the reply, which must hold up neither the lock (gRPC threads take it for every
    // admin call) nor the gRPC thread a notice came in on (it carries round messages too).
    Runnable complete = () -> waiting.forEach(w -> w.complete(outcome));
    try {
      timer.execute(complete);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      complete.run();
    }
  }

  /**
   * Slot {@code slot}'s requests were applied here with these outcomes (guarded by this): tells
   * the other servers, and answers the waiting clients once n − f servers, this one included,
   * applied the slot (refusals at once: they changed nothing), or {@link #APPLY_GRACE_NANOS}
   * after this server did. So a client told "applied" by a correct server finds the action in
   * force at n − f servers, not just at the f + 1 it may have asked.
   */
  private void appliedHere(long slot, List<AdminLedger.Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    appliedBy.computeIfAbsent(slot, k -> new java.util.BitSet()).set(self);
    long oldest = slot - NOTICE_SLOTS;
    appliedBy.keySet().removeIf(k -> k < oldest);
    List<AdminLedger.Outcome> held = new ArrayList<>();
    for (AdminLedger.Outcome outcome : outcomes) {
      if (outcome.applied() && !inForceAtEnough(slot)) {
        held.add(outcome);
      } else {
        answer(outcome);
      }
    }
    if (!held.isEmpty()) {
      unanswered.computeIfAbsent(slot, k -> new ArrayList<>()).addAll(held);
      timer.schedule(() -> answerSlot(slot), APPLY_GRACE_NANOS, TimeUnit.NANOSECONDS);
    }
    byte[] body = dev.meridian.proto.v1.SlotAppliedBody.newBuilder()
        .setServerId(serverIds.get(self)).setSlot(slot).setPolicySequence(ledger.sequence())
        .build().toByteArray();
    node.broadcastNotice(dev.meridian.proto.v1.SlotApplied.newBuilder()
        .setBody(ByteString.copyFrom(body)).setSignature(ByteString.copyFrom(key.sign(body)))
        .build().toByteArray());
  }

  /** Whether n − f servers (this one included) said they applied {@code slot}; guarded by this. */
  private boolean inForceAtEnough(long slot) {
    java.util.BitSet by = appliedBy.get(slot);
    return by != null && by.cardinality() >= serverKeys.size() - f;
  }

  /** Answers the clients still waiting for slot {@code slot}'s actions. */
  private synchronized void answerSlot(long slot) {
    List<AdminLedger.Outcome> held = unanswered.remove(slot);
    if (held != null) {
      held.forEach(this::answer);
    }
  }

  /**
   * Another server's {@link dev.meridian.proto.v1.SlotApplied}: counted if it is signed by the
   * server it names and about a recent slot (bounded memory); checked only while the count of
   * its slot is short of n − f, beyond which it changes nothing.
   */
  private void onSlotApplied(byte[] bytes) {
    dev.meridian.proto.v1.SlotApplied notice;
    dev.meridian.proto.v1.SlotAppliedBody body;
    try {
      notice = dev.meridian.proto.v1.SlotApplied.parseFrom(bytes);
      body = dev.meridian.proto.v1.SlotAppliedBody.parseFrom(notice.getBody());
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    int from = serverIds.indexOf(body.getServerId());
    long slot = body.getSlot();
    long now = Math.floorDiv(clockNanos.getAsLong(), roundNanos);
    if (from < 0 || from == self || slot < now - NOTICE_SLOTS || slot > now + 1) {
      return;
    }
    synchronized (this) {
      java.util.BitSet by = appliedBy.get(slot);
      if (inForceAtEnough(slot) || (by != null && by.get(from))) {
        return;
      }
    }
    if (!serverKeys.get(from).verify(notice.getBody().toByteArray(),
        notice.getSignature().toByteArray())) {
      return;
    }
    synchronized (this) {
      appliedBy.computeIfAbsent(slot, k -> new java.util.BitSet()).set(from);
      if (inForceAtEnough(slot)) {
        answerSlot(slot);
      }
    }
  }

  /** The key of a request's waiters and outcome ({@link AdminLedger.Outcome#id}). */
  private static String idOf(SignedRequest request) {
    return HexFormat.of().formatHex(Hashes.sha256(request.getBody().toByteArray()));
  }

  /** Fails whoever waits here for {@code p}'s outcome; guarded by this. */
  private void failWaiters(Pending p, String why) {
    List<CompletableFuture<AdminLedger.Outcome>> waiting = waiters.remove(idOf(p.request));
    if (waiting != null) {
      waiting.forEach(w -> w.completeExceptionally(Rejection.unauthenticated(why)));
    }
  }

  private Optional<AgreementNode.Joining> lookup(byte[] instance) {
    if (instance.length != INSTANCE_TAG.length + 10
        || instance[0] != INSTANCE_TAG[0] || instance[1] != INSTANCE_TAG[1]
        || instance[2] != INSTANCE_TAG[2]) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(instance, INSTANCE_TAG.length, 10);
    long slot = b.getLong();
    int sender = b.getShort() & 0xffff;
    if (sender >= serverKeys.size() || sender == self || slot < 0
        || slot > Long.MAX_VALUE / roundNanos - f - 2) {
      return Optional.empty();
    }
    long start = slot * roundNanos;
    long now = clockNanos.getAsLong();
    if (now < start - roundNanos || now >= start + (f + 1) * roundNanos) {
      if (now >= start + (f + 1) * roundNanos && now < start + 10 * (f + 1) * roundNanos
          && lateWarnings.tryAcquire()) {
        // A correct server's message this late breaks the synchrony agreement relies on.
        log.log(Level.WARNING, "admin agreement at server {0}: a message of slot {1} from "
            + "server {2} arrived {3} ms after the slot''s last round; if the servers are "
            + "correct, the round length ({4} ms) is too short for this network or load, and "
            + "this server may miss admin actions", new Object[] {self, slot, sender,
                (now - start - (f + 1) * roundNanos) / 1_000_000, roundNanos / 1_000_000});
      }
      return Optional.empty(); // far ahead, or over: a flood of made-up ids costs nothing
    }
    scheduleClose(slot);
    return Optional.of(new AgreementNode.Joining(config(slot, sender), start,
        d -> record(slot, sender, d)));
  }

  private AgreementConfig config(long slot, int sender) {
    byte[] id = ByteBuffer.allocate(INSTANCE_TAG.length + 10).put(INSTANCE_TAG).putLong(slot)
        .putShort((short) sender).array();
    return new AgreementConfig(id, serverKeys, f, sender);
  }

  private void record(long slot, int sender, Decision decision) {
    TreeMap<Integer, Decision> decided = slots.get(slot);
    if (decided != null) {
      synchronized (decided) {
        decided.putIfAbsent(sender, decision); // the first decision: an instance decides once
      }
    }
  }

  private void scheduleClose(long slot) {
    if (slots.putIfAbsent(slot, new TreeMap<>()) != null) {
      return;
    }
    long at = slot * roundNanos + (f + 1) * roundNanos + roundNanos / 2;
    timer.schedule(() -> close(slot), Math.max(0, at - clockNanos.getAsLong()),
        TimeUnit.NANOSECONDS);
  }

  /** Feeds slot {@code slot}'s decided batches to the ledger, in sender order. */
  private void close(long slot) {
    TreeMap<Integer, Decision> decided = slots.remove(slot);
    if (decided == null) {
      return;
    }
    List<Map.Entry<Integer, Decision>> inOrder;
    synchronized (decided) {
      inOrder = new ArrayList<>(decided.entrySet());
    }
    ShareRefresher refreshes = refresher;
    GridHandoff handoffs = handoff;
    long slotMillis = Math.floorDiv(slot * roundNanos, 1_000_000L);
    Map<Integer, AdminBatch> decidedBatches = new LinkedHashMap<>();
    for (Map.Entry<Integer, Decision> sent : inOrder) {
      if (sent.getValue().value().isEmpty()) {
        continue;
      }
      try {
        decidedBatches.put(sent.getKey(),
            AdminBatch.parseFrom(sent.getValue().value().get().bytes()));
      } catch (InvalidProtocolBufferException e) {
        // a faulty sender's garbage: every correct server skips it alike
      }
    }
    SlotRequests unique = SlotRequests.of(decidedBatches, f);
    synchronized (this) {
      AccessPolicy before = ledger.policy();
      List<AdminLedger.Outcome> answers = new ArrayList<>(); // once the new policy is in force
      unique.checkedByACorrectProposer().forEach(ledger::alreadyVerified);
      for (Map.Entry<Integer, AdminBatch> sent : unique.batches().entrySet()) {
        AdminBatch batch = sent.getValue();
        try {
          persist(slotMillis, batch);
        } catch (StoreException e) {
          // Without the record a restart would forget the action: stop applying, loudly.
          log.log(Level.SEVERE, "admin agreement: could not store decided actions ({0}); "
              + "admin actions stop here", e.getMessage());
          timer.shutdown();
          return;
        }
        long refreshesBefore = ledger.refreshes();
        long handoffsBefore = ledger.handoffs();
        long intakesBefore = ledger.intakes();
        List<AdminLedger.Outcome> outcomes = ledger.apply(slotMillis, batch.getRequestsList());
        if (handoffs != null) {
          if (ledger.handoffs() != handoffsBefore) {
            handoffs.handOff(ledger.handoffs(), ledger.successor(), false);
          }
          if (ledger.intakes() != intakesBefore) {
            handoffs.startIntake(ledger.intakes(), ledger.predecessor(), slot);
            scheduleClose(slot + GridHandoff.INTAKE_SLOTS); // completes then, even if idle
          }
          for (dev.meridian.proto.v1.HandoffVote vote : batch.getHandoffVotesList()) {
            handoffs.decided(slot, sent.getKey(), vote);
          }
        }
        if (refreshes != null) {
          if (ledger.refreshes() != refreshesBefore) {
            refreshes.start(ledger.refreshes(), slot);
            scheduleClose(slot + ShareRefresher.VOTE_SLOTS); // applies then, even if idle
          }
          for (dev.meridian.proto.v1.RefreshVote vote : batch.getVotesList()) {
            refreshes.decided(slot, sent.getKey(), vote);
          }
        }
        for (int i = 0; i < outcomes.size(); i++) {
          onDecided.accept(batch.getRequests(i), outcomes.get(i));
          // The first decision stands: a copy decided again later is refused as a replay.
          recentOutcomes.putIfAbsent(AdminLedger.signedHash(batch.getRequests(i)),
              outcomes.get(i));
        }
        for (AdminLedger.Outcome outcome : outcomes) {
          pending.remove(outcome.id());
          answers.add(outcome);
        }
      }
      if (!ledger.policy().equals(before)) {
        publish.accept(ledger.policy());
      }
      appliedHere(slot, answers);
      if (refreshes != null) {
        refreshes.slotClosed(slot);
      }
      if (handoffs != null) {
        handoffs.slotClosed(slot);
      }
      // Requests we proposed in this slot and still hold were not decided (⊥ here): proposed
      // again. One that never gets through is refused as stale once its window has passed.
      for (Pending p : pending.values()) {
        if (p.proposedIn == slot) {
          p.proposedIn = -1;
        }
      }
    }
  }

  // ---------------------------------------------------------------- durability

  private void persist(long slotMillis, AdminBatch batch) throws StoreException {
    Map<Bytes, byte[]> puts = new LinkedHashMap<>();
    for (SignedRequest request : batch.getRequestsList()) {
      puts.put(storeKey(storedCount++), storedValue(slotMillis, request));
    }
    store.write(puts, List.of());
  }

  private void replay() throws StoreException {
    for (AdminLogEntry e : storedLog()) {
      ledger.apply(e.getSlotMillis(), List.of(e.getRequest()));
      storedCount++;
    }
  }

  // ---------------------------------------------------------------- catching up

  /** Most log entries in one reply. */
  static final int MAX_LOG_ENTRIES = 4096;

  /** Every request fed to the ledger here, in order, with its slot's start. */
  private List<AdminLogEntry> storedLog() throws StoreException {
    List<AdminLogEntry> out = new ArrayList<>();
    for (Map.Entry<Bytes, byte[]> e : store.scan(Bytes.of(STORE_TAG))) {
      ByteBuffer b = ByteBuffer.wrap(e.getValue());
      long slotMillis = b.getLong();
      byte[] rest = new byte[b.remaining()];
      b.get(rest);
      try {
        out.add(AdminLogEntry.newBuilder().setSlotMillis(slotMillis)
            .setRequest(SignedRequest.parseFrom(rest)).build());
      } catch (InvalidProtocolBufferException bad) {
        throw new StoreException("reading stored admin action " + out.size(), null,
            "it is not a request");
      }
    }
    return out;
  }

  /**
   * Answers another server's {@code AdminLog} request: it must be signed by a server's key
   * (its id in {@code client_id}), fresh, and name this server.
   */
  AdminLogReply log(SignedRequest request, long nowMillis, long windowMillis) {
    RequestBody body;
    try {
      body = RequestBody.parseFrom(request.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.invalid("request body is not a valid RequestBody message");
    }
    if (!body.hasAdminLog()) {
      throw Rejection.invalid("an AdminLog request's body must carry an admin_log op");
    }
    int from = serverIds.indexOf(body.getClientId());
    if (from < 0 || !serverKeys.get(from).verify(request.getBody().toByteArray(),
        request.getSignature().toByteArray())) {
      throw Rejection.unauthenticated("the admin log is for servers only: the request is not"
          + " signed by a server's key");
    }
    if (Math.abs(body.getTimestampMillis() - nowMillis) > windowMillis
        || !serverIds.get(self).equals(body.getServerId())) {
      throw Rejection.unauthenticated("stale, or addressed to another server");
    }
    List<AdminLogEntry> entries;
    synchronized (this) {
      try {
        entries = storedLog();
      } catch (StoreException e) {
        throw Rejection.unavailable("server " + serverIds.get(self) + " cannot read its admin log");
      }
    }
    long first = Math.min(body.getAdminLog().getFrom(), entries.size());
    AdminLogBody.Builder reply = AdminLogBody.newBuilder().setServerId(serverIds.get(self))
        .setFrom(first);
    entries.stream().skip(first).limit(MAX_LOG_ENTRIES).forEach(reply::addEntries);
    byte[] bytes = reply.build().toByteArray();
    return AdminLogReply.newBuilder().setBody(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(key.sign(bytes))).build();
  }

  /**
   * Catches up with the other servers: asks each for its admin log and keeps, position by
   * position, the entries that f + 1 of them report alike (so at least one correct server holds
   * each). If this server's own log is a prefix of that, the missing entries are applied; if it
   * differs (this server missed a slot and applied later ones without it), the ledger is rebuilt
   * from the agreed log. Correct servers feed their ledgers the same entries in the same order,
   * so the agreed log is theirs, up to the last slot the slowest of the f + 1 closed.
   *
   * @return entries applied or replaced here
   */
  int catchUp(List<InetSocketAddress> servers, TransportSecurity security, Duration deadline) {
    // All at once, under one deadline: a peer that does not answer (down, or packets dropped)
    // costs the deadline once, not once per peer.
    List<ManagedChannel> channels = new ArrayList<>();
    List<com.google.common.util.concurrent.ListenableFuture<AdminLogReply>> asked =
        new ArrayList<>();
    List<Integer> peers = new ArrayList<>();
    List<List<AdminLogEntry>> logs = new ArrayList<>();
    try {
      for (int i = 0; i < servers.size(); i++) {
        if (i == self) {
          continue;
        }
        ManagedChannel channel = security.dial(servers.get(i));
        channels.add(channel);
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        byte[] body = RequestBody.newBuilder().setClientId(serverIds.get(self))
            .setServerId(serverIds.get(i)).setTimestampMillis(System.currentTimeMillis())
            .setNonce(ByteString.copyFrom(nonce))
            .setAdminLog(AdminLogOp.newBuilder().setFrom(0)).build().toByteArray();
        asked.add(KeystoreGrpc.newFutureStub(channel)
            .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .adminLog(SignedRequest.newBuilder().setBody(ByteString.copyFrom(body))
                .setSignature(ByteString.copyFrom(key.sign(body))).build()));
        peers.add(i);
      }
      for (int k = 0; k < asked.size(); k++) {
        int i = peers.get(k);
        try {
          AdminLogReply reply = asked.get(k).get();
          AdminLogBody log = AdminLogBody.parseFrom(reply.getBody());
          if (serverKeys.get(i).verify(reply.getBody().toByteArray(),
              reply.getSignature().toByteArray()) && log.getServerId().equals(serverIds.get(i))
              && log.getFrom() == 0) {
            logs.add(log.getEntriesList());
          }
        } catch (java.util.concurrent.ExecutionException | InvalidProtocolBufferException e) {
          // down, not yet up, or faulty: it just has no vote
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0;
        }
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
    List<AdminLogEntry> agreed = new ArrayList<>();
    for (int pos = 0; ; pos++) {
      Map<AdminLogEntry, Integer> votes = new java.util.HashMap<>();
      AdminLogEntry chosen = null;
      for (List<AdminLogEntry> log : logs) {
        if (log.size() > pos && votes.merge(log.get(pos), 1, Integer::sum) == f + 1) {
          chosen = log.get(pos);
        }
      }
      if (chosen == null) {
        break;
      }
      agreed.add(chosen);
    }
    synchronized (this) {
      try {
        return adopt(agreed);
      } catch (StoreException e) {
        log.log(Level.SEVERE, "admin agreement: could not store the caught-up log ({0})",
            e.getMessage());
        return 0;
      }
    }
  }

  /** Makes {@code agreed} this server's log if it extends or corrects it; guarded by this. */
  private int adopt(List<AdminLogEntry> agreed) throws StoreException {
    List<AdminLogEntry> mine = storedLog();
    int common = 0;
    while (common < Math.min(mine.size(), agreed.size())
        && mine.get(common).equals(agreed.get(common))) {
      common++;
    }
    if (common == agreed.size()) {
      return 0; // nothing this server lacks (it may be ahead of the slowest of the f + 1)
    }
    AccessPolicy before = ledger.policy();
    Map<Bytes, byte[]> puts = new LinkedHashMap<>();
    List<Bytes> deletes = new ArrayList<>();
    if (common < mine.size()) {
      // This server applied entries the others did not (it missed a slot before them): its
      // ledger is rebuilt from the agreed log.
      ledger = ledger.fresh();
      recentOutcomes.clear(); // outcomes may differ under the rebuilt ledger
      for (int i = 0; i < common; i++) {
        ledger.apply(agreed.get(i).getSlotMillis(), List.of(agreed.get(i).getRequest()));
      }
      for (int i = agreed.size(); i < mine.size(); i++) {
        deletes.add(storeKey(i));
      }
    }
    List<AdminLedger.Outcome> answers = new ArrayList<>();
    for (int i = common; i < agreed.size(); i++) {
      AdminLogEntry e = agreed.get(i);
      SignedRequest request = e.getRequest();
      puts.put(storeKey(i), storedValue(e.getSlotMillis(), request));
      AdminLedger.Outcome outcome = ledger.apply(e.getSlotMillis(), List.of(request)).get(0);
      onDecided.accept(request, outcome);
      recentOutcomes.putIfAbsent(AdminLedger.signedHash(request), outcome);
      pending.remove(outcome.id());
      answers.add(outcome);
    }
    store.write(puts, deletes);
    storedCount = agreed.size();
    if (!ledger.policy().equals(before)) {
      publish.accept(ledger.policy());
    }
    answers.forEach(this::answer); // stored, and in force here
    ShareRefresher r = refresher;
    if (r != null) {
      r.replayed(ledger.refreshes()); // refreshes decided while it was away are not run here
    }
    GridHandoff h = handoff;
    if (h != null && ledger.successor() != null) {
      h.handOff(ledger.handoffs(), ledger.successor(), true); // writes stop; others deal
    }
    log.log(Level.INFO, "admin agreement at server {0}: caught up to {1} decided requests from"
        + " the others ({2} were missing{3})", new Object[] {serverIds.get(self), agreed.size(),
            agreed.size() - common, common < mine.size() ? ", and " + (mine.size() - common)
                + " of its own differed" : ""});
    return agreed.size() - common;
  }

  /** A stored entry: its slot's start (8 bytes), then the request as sent. */
  private static byte[] storedValue(long slotMillis, SignedRequest request) {
    return ByteBuffer.allocate(8 + request.getSerializedSize()).putLong(slotMillis)
        .put(request.toByteArray()).array();
  }

  private static Bytes storeKey(long index) {
    return Bytes.of(ByteBuffer.allocate(STORE_TAG.length + 8).put(STORE_TAG).putLong(index)
        .array());
  }

  @Override
  public void close() {
    timer.shutdownNow();
    node.close();
    ShareRefresher r = refresher;
    if (r != null) {
      r.close();
    }
    GridHandoff h = handoff;
    if (h != null) {
      h.close();
    }
    synchronized (this) {
      waiters.values().forEach(list -> list.forEach(w -> w.completeExceptionally(
          Rejection.unavailable("the server is shutting down"))));
      waiters.clear();
    }
  }
}
