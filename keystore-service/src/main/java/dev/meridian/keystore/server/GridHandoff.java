package dev.meridian.keystore.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.shamir.Commitments;
import dev.meridian.keystore.shamir.NextEpoch;
import dev.meridian.keystore.shamir.Resharing;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.shamir.Verdict;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.GridSpecs;
import dev.meridian.keystore.wire.Versions;
import dev.meridian.proto.v1.DealerDigest;
import dev.meridian.proto.v1.GridSpec;
import dev.meridian.proto.v1.HandedRecord;
import dev.meridian.proto.v1.HandoffDealing;
import dev.meridian.proto.v1.HandoffDealingBody;
import dev.meridian.proto.v1.HandoffVote;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RefreshDealAck;
import dev.meridian.proto.v1.RefreshVote;
import dev.meridian.proto.v1.StoredVersion;
import io.grpc.ManagedChannel;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;

/**
 * Moves every stored secret from one grid (threshold t) to another (threshold t', which may
 * differ: t = f + 1 in each) for a reconfiguration (servers added, removed or replaced, more or
 * fewer faults tolerated), run by the servers of both grids; no
 * secret passes through a client. The math is {@link Resharing} (Desmedt–Jajodia, verifiable as
 * in Wong, Wang and Wing). One instance plays both parts at one key server:
 *
 * <ol>
 *   <li><b>Intake</b> (successor grid): an {@code AcceptHandoffOp} naming the predecessor grid is
 *       decided here in agreement slot k; from then on this server takes {@code HandoffDeal}
 *       messages signed by the predecessor's servers and addressed to it and its grid.
 *   <li><b>Handoff</b> (predecessor grid): a {@code HandoffOp} naming the successor is decided
 *       there; from that slot on its servers refuse writes (a write the successor would never
 *       see would be lost), and each one re-deals its share of every version it holds: a
 *       Feldman sharing of its share of degree t' − 1 (C_0 = its share·G, public in the old
 *       commitments) to the successor's x's, signed, one message per successor server, with the writers' records.
 *   <li>Each successor server checks every sub-share addressed to it and votes, through its own
 *       grid's agreement, for the dealers whose dealings all verified, each with the SHA-256 of
 *       the dealer's manifest (records, old sharings, sub-dealing commitments). It votes once
 *       every predecessor server's dealing arrived, or in the last voting slots with what came.
 *   <li>When a slot closes with all n' votes in, or slot k + {@link #INTAKE_SLOTS} closes, every
 *       correct successor server holds the same votes and counts the same dealers: those n' − f
 *       voted for with one manifest (so a dealer counts with at most one). For each version it
 *       takes the counted dealers that dealt it from one old sharing (the newest one that at
 *       least t of them share) and, with at least t of them (so one is correct), combines their
 *       sub-shares with Lagrange coefficients: its share of a new sharing of the same secret
 *       with threshold t', epoch + 1, commitments E_k = Σ λ_i·D_(i,k), so E_0 = C_0 (the
 *       writer's record keeps its old n and t; readers of this grid read it through this
 *       sharing only). Deleted keys (tombstones)
 *       move too: a writer's signature is all they need.
 * </ol>
 *
 * <p>Failure model: at most f Byzantine servers in each grid; the agreements' synchrony (Δ) in
 * each. A Byzantine old server can withhold or deal badly and is then not counted; it cannot
 * move another secret in (every record is the writer's, every C_0 the old sharing's). It can
 * make up to f correct successor servers miss a version's share (bad sub-shares to them while
 * n' − f accept); those keep the record without a share and a reader writes the share back.
 *
 * <p>Limits: the two grids are disjoint sets of server identities (one host may run one server
 * of each). Access rules move only as the intake's admin action carries them. The predecessor keeps its shares, and serves reads, until its servers are stopped and
 * their stores deleted: the handoff is only as final as that deletion. At most {@link
 * #MAX_VERSIONS} versions per server (one message each way). Under TLS both grids' certificates
 * must chain to one CA.
 */
final class GridHandoff implements AutoCloseable {
  private static final Logger log = Logger.getLogger(GridHandoff.class.getName());
  /** Slots after an intake's own in which its votes count (30 s at the default Δ). */
  static final int INTAKE_SLOTS = 60;
  /** Versions one server hands over (its dealing message stays under 1 MiB). */
  static final int MAX_VERSIONS = 1500;
  /** Largest message of a dealing's records; records are ≤ 1 MiB (a write's limit) each. */
  static final int PART_BYTES = 900 * 1024;
  /** Most messages one dealing may span. */
  static final int MAX_PARTS = 64;
  /** Attempts to deliver one dealing (the successor may close its intake slot a bit later). */
  private static final int SEND_ATTEMPTS = 5;
  private static final byte[] MANIFEST_TAG = "meridian handoff manifest v1".getBytes(
      StandardCharsets.US_ASCII);

  private final int self;
  private final List<String> serverIds;
  private final SigningKey key;
  private final int t;
  private final int f;
  private final byte[] identity;
  private final KeyServerCore core;
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService worker;
  /** Sends dealings, one task per successor server, so that one down server delays no other. */
  private final ExecutorService senders;
  private final long callMillis;
  private volatile TransportSecurity security = TransportSecurity.plaintext();

  /** The intake running here (guarded by this), or null. */
  private Intake running;
  /** What this dealer sends; tests replace it to make a dealer cheat. */
  volatile java.util.function.UnaryOperator<HandoffDealingBody> outgoing = body -> body;

  /** One running intake: its number, slot, the predecessor, and what arrived. */
  private static final class Intake {
    final long number;
    final GridSpecs.Grid predecessor;
    final List<Integer> oldXs;
    final Map<Integer, Received> received = new HashMap<>();
    /** Parts of dealings not yet whole, by dealer and part (guarded by the handoff). */
    final Map<Integer, TreeMap<Integer, HandoffDealingBody>> parts = new HashMap<>();
    /** Dealers whose dealing arrived whole (guarded by the handoff). */
    final Set<Integer> whole = new TreeSet<>();
    final VoteWindow<HandoffVote> window;

    Intake(long number, long slot, GridSpecs.Grid predecessor, int voters) {
      this.number = number;
      this.window = new VoteWindow<>(slot, INTAKE_SLOTS, voters);
      this.predecessor = predecessor;
      this.oldXs = IntStream.rangeClosed(1, predecessor.ids().size()).boxed().toList();
    }
  }

  /** One dealer's dealing: its manifest hash, whether it all verified, its records by version. */
  private record Received(byte[] manifest, boolean valid, Map<String, HandedRecord> records) {}

  GridHandoff(int self, List<String> serverIds, SigningKey key, List<VerifyingKey> serverKeys,
      dev.meridian.keystore.quorum.QuorumSystem quorums, KeyServerCore core, long roundMillis) {
    this.self = self;
    this.serverIds = List.copyOf(serverIds);
    this.key = key;
    this.f = quorums.f();
    this.t = quorums.t();
    this.identity = GridSpecs.identity(serverIds, serverKeys, quorums);
    this.core = core;
    this.callMillis = Math.max(5_000, roundMillis * INTAKE_SLOTS / 2);
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "grid-handoff-s" + self);
      thread.setDaemon(true);
      return thread;
    });
    this.senders = Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "grid-handoff-send-s" + self);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** How to dial the successor's servers. */
  void connect(TransportSecurity security) {
    this.security = security;
  }

  /** A short, public name of a grid for messages: its first server and size. */
  static String name(GridSpec spec) {
    return spec.getServersCount() == 0 ? "(empty)" : spec.getServers(0).getId() + "…("
        + spec.getServersCount() + " servers)";
  }

  // ---------------------------------------------------------------- handing over

  /**
   * Handoff {@code number} to {@code successor} was decided: writes stop now; the dealing runs
   * off the caller's thread unless {@code replayed} (a restart: writes stay refused, nothing is
   * dealt again).
   */
  void handOff(long number, GridSpec successor, boolean replayed) {
    core.handedOff(name(successor));
    if (replayed) {
      return;
    }
    worker.execute(() -> {
      try {
        deal(number, GridSpecs.parse(successor));
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "server {0}: could not deal for handoff {1} ({2}: {3})",
            new Object[] {serverIds.get(self), number, e.getClass().getName(), e.getMessage()});
      }
    });
  }

  private void deal(long number, GridSpecs.Grid next) {
    int n = serverIds.size();
    List<Integer> oldXs = IntStream.rangeClosed(1, n).boxed().toList();
    List<Integer> newXs = IntStream.rangeClosed(1, next.ids().size()).boxed().toList();
    List<StoredVersion> held = core.heldVersions();
    if (held.size() > MAX_VERSIONS) {
      log.log(Level.WARNING, "server {0}: holds {1} versions, hands over the first {2}",
          new Object[] {serverIds.get(self), held.size(), MAX_VERSIONS});
      held = held.subList(0, MAX_VERSIONS);
    }
    List<HandoffDealingBody.Builder> bodies = new ArrayList<>();
    for (String id : next.ids()) {
      bodies.add(HandoffDealingBody.newBuilder().setDealerId(serverIds.get(self))
          .setRecipientId(id).setSuccessorSha256(ByteString.copyFrom(next.identity())));
    }
    for (StoredVersion stored : held) {
      RecordBody body;
      try {
        body = RecordBody.parseFrom(stored.getRecord().getBody());
      } catch (InvalidProtocolBufferException e) {
        continue; // stored only after it parsed: cannot happen
      }
      if (body.getTombstone()) {
        bodies.forEach(b -> b.addRecords(HandedRecord.newBuilder()
            .setRecord(stored.getRecord())));
        continue;
      }
      if (stored.getShare().isEmpty()) {
        continue; // lost in a refresh: the other holders deal this version
      }
      long epoch = stored.getShareEpoch();
      ByteString oldCommitments = epoch == 0 ? body.getCommitments()
          : stored.getShareCommitments();
      byte[] y = stored.getShare().toByteArray();
      Share mine = Share.of(self + 1, y, epoch);
      Arrays.fill(y, (byte) 0);
      Resharing.SubDealing dealing;
      try {
        dealing = Resharing.of(Commitments.decode(oldCommitments.toByteArray()), epoch, oldXs,
            next.quorums().t(), newXs).deal(mine, random);
      } catch (IllegalArgumentException e) {
        continue; // a share that does not verify: not dealt, the other holders deal it
      } finally {
        mine.destroy();
      }
      ByteString dealt = ByteString.copyFrom(dealing.commitments().encode());
      for (int j = 0; j < bodies.size(); j++) {
        byte[] sub = dealing.to(j + 1).share().yBytes();
        bodies.get(j).addRecords(HandedRecord.newBuilder().setRecord(stored.getRecord())
            .setShareEpoch(epoch).setShareCommitments(epoch == 0 ? ByteString.EMPTY
                : oldCommitments).setCommitments(dealt).setSubShare(ByteString.copyFrom(sub)));
        Arrays.fill(sub, (byte) 0);
      }
      dealing.destroy();
    }
    for (int j = 0; j < bodies.size(); j++) {
      InetSocketAddress unresolved = next.addresses().get(j);
      InetSocketAddress to = new InetSocketAddress(unresolved.getHostString(),
          unresolved.getPort());
      List<HandoffDealingBody> parts = split(bodies.get(j).build());
      senders.execute(() -> parts.forEach(part -> send(to, part, number)));
    }
  }

  /** One dealing as messages of at most {@link #PART_BYTES} of records each, numbered. */
  static List<HandoffDealingBody> split(HandoffDealingBody dealing) {
    List<List<HandedRecord>> groups = new ArrayList<>();
    List<HandedRecord> group = new ArrayList<>();
    int bytes = 0;
    for (HandedRecord r : dealing.getRecordsList()) {
      int size = r.getSerializedSize() + 8;
      if (!group.isEmpty() && bytes + size > PART_BYTES) {
        groups.add(group);
        group = new ArrayList<>();
        bytes = 0;
      }
      group.add(r);
      bytes += size;
    }
    groups.add(group);
    List<HandoffDealingBody> parts = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      parts.add(dealing.toBuilder().clearRecords().addAllRecords(groups.get(i)).setPart(i)
          .setParts(groups.size()).build());
    }
    return parts;
  }

  private void send(InetSocketAddress to, HandoffDealingBody body, long number) {
    byte[] bytes = outgoing.apply(body).toByteArray();
    HandoffDealing dealing = HandoffDealing.newBuilder().setBody(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(key.sign(bytes))).build();
    ManagedChannel channel = security.dial(to);
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          KeystoreGrpc.newBlockingStub(channel).withWaitForReady()
              .withDeadlineAfter(callMillis, TimeUnit.MILLISECONDS).handoffDeal(dealing);
          return;
        } catch (io.grpc.StatusRuntimeException e) {
          if (attempt == SEND_ATTEMPTS) {
            log.log(Level.WARNING, "server {0}: handoff {1}: server {2} refused the dealing"
                + " ({3})", new Object[] {serverIds.get(self), number, body.getRecipientId(),
                    e.getStatus()});
            return;
          }
          Thread.sleep(1_000); // its intake may start a slot after ours: try again
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      channel.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- taking over

  /** Intake {@code number} from {@code predecessor} was decided in {@code slot}. */
  synchronized void startIntake(long number, GridSpec predecessor, long slot) {
    if (running != null) {
      log.log(Level.WARNING, "server {0}: intake {1} starts while intake {2} still runs; the"
          + " older one is abandoned", new Object[] {serverIds.get(self), number,
              running.number});
    }
    running = new Intake(number, slot, GridSpecs.parse(predecessor), // the ledger checked it
        serverIds.size());
  }

  /** Whether an intake runs here (its voting window is open). */
  synchronized boolean intakeRunning() {
    return running != null;
  }

  /**
   * Takes a predecessor server's dealing: signed by a server of the grid the running intake
   * names, addressed to this server of this grid.
   */
  RefreshDealAck receive(HandoffDealing dealing) {
    HandoffDealingBody body;
    try {
      body = HandoffDealingBody.parseFrom(dealing.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.invalid("handoff dealing body is not a HandoffDealingBody");
    }
    Intake now;
    synchronized (this) {
      now = running;
    }
    if (now == null) {
      throw new Rejection(io.grpc.Status.Code.FAILED_PRECONDITION, "server "
          + serverIds.get(self) + " is taking over no grid (no AcceptHandoffOp is running)");
    }
    int dealer = now.predecessor.ids().indexOf(body.getDealerId());
    if (dealer < 0 || !now.predecessor.keys().get(dealer).verify(dealing.getBody().toByteArray(),
        dealing.getSignature().toByteArray())) {
      throw Rejection.unauthenticated("handoff dealings come from the predecessor grid's servers"
          + " only: this one is not signed by the server it names");
    }
    if (!body.getRecipientId().equals(serverIds.get(self))
        || !Arrays.equals(body.getSuccessorSha256().toByteArray(), identity)) {
      throw Rejection.invalid("handoff dealing is addressed to server \"" + body.getRecipientId()
          + "\" of another grid than this one (" + serverIds.get(self) + ")");
    }
    if (body.getParts() < 1 || body.getParts() > MAX_PARTS || body.getPart() >= body.getParts()) {
      throw Rejection.invalid("handoff dealing part " + body.getPart() + " of " + body.getParts()
          + ": a dealing spans 1-" + MAX_PARTS + " parts, numbered from 0");
    }
    HandoffDealingBody whole;
    synchronized (this) {
      if (running != now || now.whole.contains(dealer)) {
        return RefreshDealAck.getDefaultInstance(); // a resend: the first copy counts
      }
      TreeMap<Integer, HandoffDealingBody> parts = now.parts.computeIfAbsent(dealer,
          d -> new TreeMap<>());
      if (!parts.isEmpty() && parts.firstEntry().getValue().getParts() != body.getParts()) {
        throw Rejection.invalid("handoff dealing of " + body.getDealerId() + " said "
            + parts.firstEntry().getValue().getParts() + " parts before, now "
            + body.getParts());
      }
      parts.putIfAbsent(body.getPart(), body);
      if (parts.size() < body.getParts()) {
        return RefreshDealAck.getDefaultInstance();
      }
      now.parts.remove(dealer);
      now.whole.add(dealer);
      HandoffDealingBody.Builder merged = body.toBuilder().clearRecords().clearPart()
          .clearParts();
      parts.values().forEach(p -> merged.addAllRecords(p.getRecordsList()));
      whole = merged.build();
    }
    worker.execute(() -> accept(now, dealer, whole));
    return RefreshDealAck.getDefaultInstance();
  }

  /** Checks every sub-share of a dealing; remembers it, the first one per dealer. */
  private void accept(Intake now, int dealer, HandoffDealingBody body) {
    Map<String, HandedRecord> records = new LinkedHashMap<>();
    boolean valid = body.getRecordsCount() <= MAX_VERSIONS;
    for (HandedRecord r : body.getRecordsList()) {
      RecordBody record;
      try {
        record = RecordBody.parseFrom(r.getRecord().getBody());
      } catch (InvalidProtocolBufferException e) {
        valid = false;
        continue;
      }
      if (records.putIfAbsent(id(record), r) != null) {
        valid = false; // two dealings for one version: equivocation within the message
        continue;
      }
      if (valid && !record.getTombstone()) {
        valid = verifies(now, dealer, record, r);
      }
    }
    byte[] manifest = manifest(dealer, body);
    synchronized (this) {
      if (running == now) {
        now.received.putIfAbsent(dealer, new Received(manifest, valid, records));
      }
    }
  }

  private boolean verifies(Intake now, int dealer, RecordBody record, HandedRecord r) {
    Share y = null;
    try {
      Commitments signed = Commitments.decode(record.getCommitments().toByteArray());
      Commitments old = r.getShareEpoch() == 0 ? signed
          : Commitments.decode(r.getShareCommitments().toByteArray());
      // The dealer's sharing has its grid's t (a refreshed or moved one too).
      if (!signed.commitsToSecretOf(old) || old.threshold() != now.predecessor.quorums().t()) {
        return false;
      }
      byte[] bytes = r.getSubShare().toByteArray();
      y = Share.of(self + 1, bytes, r.getShareEpoch());
      Arrays.fill(bytes, (byte) 0);
      Commitments dealt = Commitments.decode(r.getCommitments().toByteArray());
      return resharing(now, old, r.getShareEpoch()).verify(
          new Resharing.SubShare(dealer + 1, dealt, y), self + 1) == Verdict.ACCEPTED;
    } catch (IllegalArgumentException e) {
      return false;
    } finally {
      if (y != null) {
        y.destroy();
      }
    }
  }

  private Resharing resharing(Intake now, Commitments old, long epoch) {
    return Resharing.of(old, epoch, now.oldXs, t,
        IntStream.rangeClosed(1, serverIds.size()).boxed().toList());
  }

  /** SHA-256 of what a dealer showed every successor server alike (sub-shares left out). */
  static byte[] manifest(int dealer, HandoffDealingBody body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MANIFEST_TAG);
      out.writeInt(dealer);
      out.write(body.getSuccessorSha256().toByteArray());
      out.writeInt(body.getRecordsCount());
      for (HandedRecord r : body.getRecordsList()) {
        HandedRecord shown = r.toBuilder().clearSubShare().build();
        byte[] b = shown.toByteArray();
        out.writeInt(b.length);
        out.write(b);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory: cannot happen
    }
    return Hashes.sha256(bytes.toByteArray());
  }

  private static String id(RecordBody record) {
    return record.getKey() + '\0' + Versions.show(record.getVersion());
  }

  /**
   * This server's vote, if it should go into its batch for {@code slot}: once every predecessor
   * server's dealing has arrived, or in the last slots where votes still count.
   */
  synchronized Optional<HandoffVote> voteFor(long slot) {
    Intake now = running;
    if (now == null || !now.window.voteNow(slot,
        now.received.size() == now.predecessor.ids().size())) {
      return Optional.empty();
    }
    HandoffVote.Builder vote = HandoffVote.newBuilder().setIntake(now.number);
    new TreeMap<>(now.received).forEach((dealer, r) -> {
      if (r.valid()) {
        vote.addAccepted(DealerDigest.newBuilder().setDealer(dealer)
            .setManifestSha256(ByteString.copyFrom(r.manifest())));
      }
    });
    return Optional.of(vote.build());
  }

  /** A vote decided in {@code slot} from server {@code sender}: the first one counts. */
  synchronized void decided(long slot, int sender, HandoffVote vote) {
    Intake now = running;
    if (now != null && vote.getIntake() == now.number) {
      now.window.decided(slot, sender, vote);
    }
  }

  /**
   * Called as each slot closes: the running intake completes if every server's vote is in, or
   * if this was its last voting slot; both depend only on decided votes and the slot.
   */
  synchronized void slotClosed(long slot) {
    Intake now = running;
    if (now == null) {
      return;
    }
    VoteWindow.Closing closing = now.window.slotClosed(slot);
    if (closing == VoteWindow.Closing.OPEN) {
      return;
    }
    running = null;
    if (closing == VoteWindow.Closing.MISSED) {
      return;
    }
    List<RefreshVote> votes = now.window.votes().stream().map(v -> RefreshVote.newBuilder()
        .setEpoch(v.getIntake()).addAllAccepted(v.getAcceptedList()).build()).toList();
    Map<Integer, byte[]> valid = ShareRefresher.validDealers(votes,
        now.predecessor.ids().size(), serverIds.size(), f);
    worker.execute(() -> complete(now, valid));
  }

  /** One old sharing of one version, as counted dealers dealt it. */
  private record Sharing(long epoch, ByteString commitments) {}

  private void complete(Intake now, Map<Integer, byte[]> valid) {
    boolean whole = true;
    for (Map.Entry<Integer, byte[]> d : valid.entrySet()) {
      Received r = now.received.get(d.getKey());
      if (r == null || !Arrays.equals(r.manifest(), d.getValue())) {
        whole = false; // a counted dealing this server lacks: it cannot tell which to combine
      }
    }
    // Every version any counted dealer (or, lacking one, any dealer) handed over, by id.
    Map<String, List<Integer>> dealersOf = new TreeMap<>();
    for (Integer d : whole ? valid.keySet() : now.received.keySet()) {
      Received r = now.received.get(d);
      if (r != null) {
        r.records().keySet().forEach(id -> dealersOf.computeIfAbsent(id, k -> new ArrayList<>())
            .add(d));
      }
    }
    int moved = 0;
    int withoutShare = 0;
    int refused = 0;
    for (Map.Entry<String, List<Integer>> version : dealersOf.entrySet()) {
      List<HandedRecord> copies = version.getValue().stream()
          .map(d -> now.received.get(d).records().get(version.getKey())).toList();
      try {
        NextEpoch share = whole ? combine(now, version.getKey(), version.getValue()) : null;
        storeFirstValid(copies, share);
        if (share != null || tombstone(copies.get(0))) {
          moved++;
        } else {
          withoutShare++;
        }
      } catch (Rejection e) {
        refused++;
        log.log(Level.WARNING, "server {0}: intake {1}: a handed-over version was refused: {2}",
            new Object[] {serverIds.get(self), now.number, e.getMessage()});
      }
    }
    log.log(withoutShare == 0 && refused == 0 && !valid.isEmpty() ? Level.INFO : Level.WARNING,
        "server {0}: intake {1} complete with dealers {2}: {3} versions moved here, {4} kept"
        + " without a share (a reader writes it back), {5} refused",
        new Object[] {serverIds.get(self), now.number,
            valid.keySet().stream().map(now.predecessor.ids()::get).toList(), moved,
            withoutShare, refused});
    core.intakeApplied(now.number, moved, withoutShare);
  }

  private static boolean tombstone(HandedRecord r) {
    return r.getCommitments().isEmpty();
  }

  /**
   * This server's share of the moved sharing of one version, or null if fewer than t counted
   * dealers dealt it from one old sharing. The old sharing chosen is the newest (then the
   * smallest commitments) that at least t of them dealt from: a function of agreed manifests.
   */
  private NextEpoch combine(Intake now, String id, List<Integer> dealers) {
    TreeMap<String, List<Integer>> bySharing = new TreeMap<>();
    Map<String, Sharing> sharings = new HashMap<>();
    for (Integer d : dealers) {
      HandedRecord r = now.received.get(d).records().get(id);
      if (tombstone(r)) {
        return null;
      }
      // Sorts newest epoch first, then by commitments: the same order at every server.
      String k = String.format("%020d", Long.MAX_VALUE - r.getShareEpoch()) + '/'
          + HexFormat.of().formatHex(r.getShareCommitments().toByteArray());
      bySharing.computeIfAbsent(k, x -> new ArrayList<>()).add(d);
      sharings.putIfAbsent(k, new Sharing(r.getShareEpoch(), r.getShareCommitments()));
    }
    for (Map.Entry<String, List<Integer>> e : bySharing.entrySet()) {
      if (e.getValue().size() < now.predecessor.quorums().t()) {
        continue; // fewer than the old t: maybe none of them correct, and too few to combine
      }
      Sharing sharing = sharings.get(e.getKey());
      List<Resharing.SubShare> subShares = new ArrayList<>();
      Set<Integer> xs = new TreeSet<>();
      try {
        HandedRecord first = now.received.get(e.getValue().get(0)).records().get(id);
        Commitments old = sharing.epoch() == 0
            ? Commitments.decode(RecordBody.parseFrom(first.getRecord().getBody())
                .getCommitments().toByteArray())
            : Commitments.decode(sharing.commitments().toByteArray());
        for (Integer d : e.getValue()) {
          HandedRecord r = now.received.get(d).records().get(id);
          byte[] y = r.getSubShare().toByteArray();
          subShares.add(new Resharing.SubShare(d + 1,
              Commitments.decode(r.getCommitments().toByteArray()),
              Share.of(self + 1, y, sharing.epoch())));
          Arrays.fill(y, (byte) 0);
          xs.add(d + 1);
        }
        return resharing(now, old, sharing.epoch()).combine(self + 1, xs, subShares);
      } catch (IllegalArgumentException | InvalidProtocolBufferException ex) {
        return null; // a counted sub-share that does not verify here: keep the record alone
      } finally {
        subShares.forEach(Resharing.SubShare::destroy);
      }
    }
    return null;
  }

  /** Stores the first copy whose record the core accepts (a record is the writer's alone). */
  private void storeFirstValid(List<HandedRecord> copies, NextEpoch share) {
    Rejection last = null;
    try {
      for (HandedRecord copy : copies) {
        Share mine = null;
        if (share != null) {
          byte[] y = share.share().yBytes(); // a copy per attempt: the store destroys what it takes
          mine = Share.of(self + 1, y, share.epoch());
          Arrays.fill(y, (byte) 0);
        }
        try {
          core.storeHandedOver(copy.getRecord(), mine, share == null ? 0 : share.epoch(),
              share == null ? null : share.commitments());
          return;
        } catch (Rejection e) {
          last = e;
        } finally {
          if (mine != null) {
            mine.destroy();
          }
        }
      }
      throw last;
    } finally {
      if (share != null) {
        share.destroy();
      }
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    senders.shutdownNow();
  }
}
