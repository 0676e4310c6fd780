package dev.meridian.keystore.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.shamir.Commitments;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.shamir.ShareRefresh;
import dev.meridian.keystore.shamir.Verdict;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Versions;
import dev.meridian.proto.v1.DealerDigest;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.RecordDealing;
import dev.meridian.proto.v1.RefreshDealAck;
import dev.meridian.proto.v1.RefreshDealing;
import dev.meridian.proto.v1.RefreshDealingBody;
import dev.meridian.proto.v1.RefreshVote;
import dev.meridian.proto.v1.Version;
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
 * Runs proactive share refreshes at one key server (after Herzberg, Jarecki, Krawczyk and Yung;
 * the math is {@link ShareRefresh}): after a refresh, every secret's shares lie on a new random
 * polynomial with the same secret, so shares stolen before it do not combine with shares stolen
 * after it.
 *
 * <p>The protocol, for refresh number E, decided as an admin action in agreement slot k (so
 * every correct server starts it at the same point of the agreed order):
 * <ol>
 *   <li>Each server deals, for every version it holds a share of, a Feldman sharing of zero
 *       (C_0 the point at infinity), and sends each other server, signed, its manifest (the
 *       versions and commitments) with that server's private contributions ({@code RefreshDeal}).
 *   <li>Each server checks every contribution addressed to it against the dealer's commitments
 *       and its own current sharing, and votes, through the same Byzantine agreement, for the
 *       dealers whose dealings all verified, each with the SHA-256 of the dealer's manifest.
 *       A server votes once it has checked every dealing, or in the last slots with what it has;
 *       votes count in slots k + 1 to k + {@link #VOTE_SLOTS}.
 *   <li>When a slot closes with all n votes in, or when slot k + {@link #VOTE_SLOTS} closes,
 *       every correct server holds the same votes and
 *       computes the same valid dealers ({@link #validDealers}): those that n − f servers voted
 *       for with the same manifest. n − f > n/2, so a dealer that showed two manifests counts
 *       with at most one; every correct dealer counts, since n − f servers are correct.
 *   <li>For each version, the dealers among them that dealt for it; with at least t = f + 1 of
 *       them (so one is correct), each server adds their contributions to its share, moves the
 *       commitments (C_0 unchanged) and overwrites the old share. A server missing a counted
 *       dealer's contribution drops its share instead (kept, it would still combine with other
 *       servers' old shares); a reader's write-back restores it from the new sharing.
 * </ol>
 *
 * <p>Reads and writes do not wait: a reader takes t shares that verify against one commitment
 * vector whose C_0 is the writer-signed one, so during a refresh it may use the old sharing or
 * the new one, never a mix (see {@code KeystoreClient}). A version written during the refresh
 * keeps the fresh sharing its writer dealt.
 *
 * <p>Failure model and limits: up to f servers Byzantine; the agreement's synchrony (Δ). A
 * Byzantine dealer can make up to f correct servers drop their shares of a refresh (it sends
 * them bad contributions while n − f others accept it); reads still find t shares, and
 * write-backs restore the dropped ones. A server down during the refresh keeps its old shares
 * until a reader writes the new ones back over them. One refresh at a time (the ledger refuses a
 * second while the first may run); at most {@link #MAX_VERSIONS} versions per server per
 * refresh (one message each way). Contributions travel in the clear unless the servers use TLS.
 * Old shares are overwritten in the store, but RocksDB may keep old values in files it has not
 * compacted yet.
 */
final class ShareRefresher implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ShareRefresher.class.getName());
  /**
   * Slots after the refresh's own in which votes count. It applies when a slot closes with every
   * server's vote in, or when the last of these closes (a server down or slow). Long enough for a
   * server to check a few thousand contributions: a vote goes out only once every dealing it
   * received was checked (with 300 versions on a 3×3 grid in one JVM on two cores, 6 slots of
   * 500 ms were too few and no dealer counted).
   */
  static final int VOTE_SLOTS = 20;
  /** Versions one server deals for in one refresh (its dealing message stays under 1 MiB). */
  static final int MAX_VERSIONS = 1500;
  private static final byte[] MANIFEST_TAG = "meridian refresh manifest v1".getBytes(
      StandardCharsets.US_ASCII);

  private final int self;
  private final List<String> serverIds;
  private final SigningKey key;
  private final List<VerifyingKey> serverKeys;
  private final int f;
  private final int t;
  private final KeyServerCore core;
  private final List<Integer> xs;
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService worker;
  private final long callMillis;
  private volatile TransportSecurity security = TransportSecurity.plaintext();
  private volatile List<InetSocketAddress> addresses = List.of();
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();

  /** The refresh in progress here (guarded by this), or null. */
  private Running running;
  /** Dealings that arrived before this server started their refresh (guarded by this). */
  private final Map<Integer, RefreshDealingBody> early = new HashMap<>();
  private long lastStarted;
  /** What this dealer sends; tests replace it to make a dealer cheat. */
  volatile java.util.function.UnaryOperator<RefreshDealingBody> outgoing = body -> body;

  /** One running refresh: its number, slot, the versions held at its start, what arrived. */
  private static final class Running {
    final long epoch;
    /** Set by the worker when it deals, before it checks any dealing (one worker thread). */
    volatile List<KeyServerCore.HeldShare> held = List.of();
    final Map<Integer, Received> received = new HashMap<>();
    final VoteWindow<RefreshVote> window;

    Running(long epoch, long slot, int voters) {
      this.epoch = epoch;
      this.window = new VoteWindow<>(slot, VOTE_SLOTS, voters);
    }
  }

  /**
   * One dealer's dealing as it arrived: its manifest hash, whether every contribution to a
   * version held here verified, and the contributions by version.
   */
  private record Received(byte[] manifest, boolean valid, Map<String, RecordDealing> records) {}

  ShareRefresher(int self, List<String> serverIds, SigningKey key, List<VerifyingKey> serverKeys,
      int f, KeyServerCore core, long roundMillis) {
    this.self = self;
    this.serverIds = List.copyOf(serverIds);
    this.key = key;
    this.serverKeys = List.copyOf(serverKeys);
    this.f = f;
    this.t = f + 1;
    this.core = core;
    this.xs = IntStream.rangeClosed(1, serverIds.size()).boxed().toList();
    this.callMillis = Math.max(2_000, roundMillis * VOTE_SLOTS);
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "share-refresh-s" + self);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Where the other servers are (index order), and how to dial them. */
  void connect(List<InetSocketAddress> servers, TransportSecurity security) {
    this.addresses = List.copyOf(servers);
    this.security = security;
  }

  /** After a restart: refreshes {@code 1..refreshes} were decided before (none runs here). */
  synchronized void replayed(long refreshes) {
    lastStarted = Math.max(lastStarted, refreshes);
  }

  /** The running refresh's number, or 0 if none runs. */
  synchronized long runningEpoch() {
    return running == null ? 0 : running.epoch;
  }

  // ---------------------------------------------------------------- 1. dealing

  /** Starts refresh {@code epoch}, decided in {@code slot}: deals, off the caller's thread. */
  synchronized void start(long epoch, long slot) {
    if (running != null) {
      log.log(Level.WARNING, "server {0}: refresh {1} starts while refresh {2} still runs; the"
          + " older one is abandoned", new Object[] {self, epoch, running.epoch});
    }
    Running now = new Running(epoch, slot, serverIds.size());
    running = now;
    lastStarted = epoch;
    Map<Integer, RefreshDealingBody> parked = new HashMap<>(early);
    early.clear();
    worker.execute(() -> {
      try {
        deal(now);
      } catch (RuntimeException e) {
        // This server's dealing then reaches no one and does not count; it still votes.
        log.log(Level.WARNING, "server {0}: could not deal for share refresh {1} ({2})",
            new Object[] {serverIds.get(self), now.epoch, e.getClass().getName()});
      }
      parked.forEach((dealer, body) -> accept(now, dealer, body));
    });
  }

  private void deal(Running now) {
    // The store scan runs here, not on the agreement's timer thread that called start().
    List<KeyServerCore.HeldShare> held = core.heldShares();
    now.held = List.copyOf(held.size() > MAX_VERSIONS ? held.subList(0, MAX_VERSIONS) : held);
    Map<Integer, RefreshDealingBody.Builder> bodies = new TreeMap<>();
    for (int j = 0; j < serverIds.size(); j++) {
      bodies.put(j, RefreshDealingBody.newBuilder().setDealerId(serverIds.get(self))
          .setRecipientId(serverIds.get(j)).setEpoch(now.epoch));
    }
    for (KeyServerCore.HeldShare h : now.held) {
      ShareRefresh.ZeroDealing dealing = ShareRefresh.of(h.commitments(), h.shareEpoch(), xs)
          .deal(self + 1, random);
      ByteString commitments = ByteString.copyFrom(dealing.commitments().encode());
      for (int j = 0; j < serverIds.size(); j++) {
        byte[] y = dealing.to(j + 1).share().yBytes();
        bodies.get(j).addRecords(RecordDealing.newBuilder().setKey(h.key())
            .setVersion(h.version()).setCommitments(commitments)
            .setContribution(ByteString.copyFrom(y)));
        Arrays.fill(y, (byte) 0);
      }
      dealing.destroy();
    }
    accept(now, self, bodies.get(self).build());
    for (int j = 0; j < serverIds.size(); j++) {
      if (j != self) {
        send(j, bodies.get(j).build());
      }
    }
  }

  private void send(int to, RefreshDealingBody body) {
    ManagedChannel channel;
    synchronized (channels) {
      if (to >= addresses.size()) {
        return; // not connected: this server's dealing reaches no one, so it will not count
      }
      channel = channels.computeIfAbsent(to, i -> security.dial(addresses.get(i)));
    }
    byte[] bytes = outgoing.apply(body).toByteArray();
    RefreshDealing dealing = RefreshDealing.newBuilder().setBody(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(key.sign(bytes))).build();
    KeystoreGrpc.newFutureStub(channel).withWaitForReady()
        .withDeadlineAfter(callMillis, TimeUnit.MILLISECONDS).refreshDeal(dealing);
  }

  // ---------------------------------------------------------------- 2. receiving

  /**
   * Takes another server's dealing: signed by that server, addressed here, for the running
   * refresh (or the next one, kept until this server starts it).
   */
  RefreshDealAck receive(RefreshDealing dealing) {
    RefreshDealingBody body;
    try {
      body = RefreshDealingBody.parseFrom(dealing.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.invalid("refresh dealing body is not a RefreshDealingBody");
    }
    int dealer = serverIds.indexOf(body.getDealerId());
    if (dealer < 0 || dealer == self || !serverKeys.get(dealer).verify(
        dealing.getBody().toByteArray(), dealing.getSignature().toByteArray())) {
      throw Rejection.unauthenticated("refresh dealings come from the other servers only: this"
          + " one is not signed by the server it names");
    }
    if (!body.getRecipientId().equals(serverIds.get(self))) {
      throw Rejection.invalid("refresh dealing is addressed to server \"" + body.getRecipientId()
          + "\", this is " + serverIds.get(self));
    }
    Running now;
    synchronized (this) {
      now = running;
      if (now == null || body.getEpoch() != now.epoch) {
        if (body.getEpoch() == lastStarted + 1) {
          early.put(dealer, body); // the dealer closed the deciding slot a moment before us
          return RefreshDealAck.getDefaultInstance();
        }
        throw new Rejection(io.grpc.Status.Code.FAILED_PRECONDITION, "server "
            + serverIds.get(self) + " runs no refresh " + body.getEpoch()
            + (now == null ? "" : " (it runs refresh " + now.epoch + ")"));
      }
    }
    worker.execute(() -> accept(now, dealer, body));
    return RefreshDealAck.getDefaultInstance();
  }

  /** Checks a dealing against the versions held here; remembers it, first one per dealer. */
  private void accept(Running now, int dealer, RefreshDealingBody body) {
    Map<String, KeyServerCore.HeldShare> held = new HashMap<>();
    now.held.forEach(h -> held.put(id(h.key(), h.version()), h));
    Map<String, RecordDealing> records = new HashMap<>();
    boolean valid = body.getRecordsCount() <= MAX_VERSIONS;
    for (RecordDealing r : body.getRecordsList()) {
      String id = id(r.getKey(), r.getVersion());
      if (records.putIfAbsent(id, r) != null) {
        valid = false; // two dealings for one version: equivocation within the message
        continue;
      }
      KeyServerCore.HeldShare mine = held.get(id);
      if (mine != null && valid) {
        valid = verifies(dealer, mine, r);
      }
    }
    byte[] manifest = manifest(dealer, body);
    synchronized (this) {
      if (running == now) {
        now.received.putIfAbsent(dealer, new Received(manifest, valid, records));
      }
    }
  }

  private boolean verifies(int dealer, KeyServerCore.HeldShare mine, RecordDealing r) {
    Share y = null;
    try {
      Commitments dealt = Commitments.decode(r.getCommitments().toByteArray());
      byte[] bytes = r.getContribution().toByteArray();
      y = Share.of(self + 1, bytes, mine.shareEpoch());
      Arrays.fill(bytes, (byte) 0);
      return ShareRefresh.of(mine.commitments(), mine.shareEpoch(), xs)
          .verify(new ShareRefresh.Contribution(dealer + 1, dealt, y), self + 1)
          == Verdict.ACCEPTED;
    } catch (IllegalArgumentException e) {
      return false;
    } finally {
      if (y != null) {
        y.destroy();
      }
    }
  }

  /** SHA-256 of what a dealer showed everyone alike: its versions and their commitments. */
  static byte[] manifest(int dealer, RefreshDealingBody body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MANIFEST_TAG);
      out.writeInt(dealer);
      out.writeLong(body.getEpoch());
      out.writeInt(body.getRecordsCount());
      for (RecordDealing r : body.getRecordsList()) {
        byte[] k = r.getKey().getBytes(StandardCharsets.UTF_8);
        byte[] v = r.getVersion().toByteArray();
        byte[] c = r.getCommitments().toByteArray();
        out.writeInt(k.length);
        out.write(k);
        out.writeInt(v.length);
        out.write(v);
        out.writeInt(c.length);
        out.write(c);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory: cannot happen
    }
    return Hashes.sha256(bytes.toByteArray());
  }

  private static String id(String key, Version version) {
    return key + '\0' + Versions.show(version);
  }

  // ---------------------------------------------------------------- 3. voting

  /**
   * This server's vote, if it should go into its batch for {@code slot}: once every dealing has
   * arrived, or in the last slots where votes still count, with what has arrived.
   */
  synchronized Optional<RefreshVote> voteFor(long slot) {
    Running now = running;
    if (now == null || !now.window.voteNow(slot, now.received.size() == serverIds.size())) {
      return Optional.empty();
    }
    RefreshVote.Builder vote = RefreshVote.newBuilder().setEpoch(now.epoch);
    new TreeMap<>(now.received).forEach((dealer, r) -> {
      if (r.valid()) {
        vote.addAccepted(DealerDigest.newBuilder().setDealer(dealer)
            .setManifestSha256(ByteString.copyFrom(r.manifest())));
      }
    });
    return Optional.of(vote.build());
  }

  /** A vote decided in {@code slot} from server {@code sender}: the first one counts. */
  synchronized void decided(long slot, int sender, RefreshVote vote) {
    Running now = running;
    if (now != null && vote.getEpoch() == now.epoch) {
      now.window.decided(slot, sender, vote);
    }
  }

  /**
   * Called as each slot closes: the running refresh applies now if every server's vote is in, or
   * if this was its last voting slot. Both depend only on the decided votes and the slot, so every
   * correct server applies at the same point.
   */
  synchronized void slotClosed(long slot) {
    Running now = running;
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
    Map<Integer, byte[]> valid = validDealers(now.window.votes(), serverIds.size(), f);
    worker.execute(() -> apply(now, valid));
  }

  /**
   * The dealers that at least n − f votes accepted with the same manifest, each with that
   * manifest's hash. A function of the decided votes alone, so every correct server computes
   * the same set.
   */
  static Map<Integer, byte[]> validDealers(java.util.Collection<RefreshVote> votes, int n,
      int f) {
    return validDealers(votes, n, n, f);
  }

  /**
   * As {@link #validDealers(java.util.Collection, int, int)} when the dealers (indexes below
   * {@code dealers}) are not the voters ({@code voters} of them, up to f faulty): a handoff.
   */
  static Map<Integer, byte[]> validDealers(java.util.Collection<RefreshVote> votes, int dealers,
      int voters, int f) {
    int n = voters;
    Map<String, Integer> counts = new HashMap<>();
    for (RefreshVote vote : votes) {
      Set<Integer> seen = new TreeSet<>();
      for (DealerDigest d : vote.getAcceptedList()) {
        if (d.getDealer() < dealers && seen.add(d.getDealer())) {
          counts.merge(d.getDealer() + "/" + HexFormat.of().formatHex(
              d.getManifestSha256().toByteArray()), 1, Integer::sum);
        }
      }
    }
    Map<Integer, byte[]> valid = new TreeMap<>();
    counts.forEach((k, c) -> {
      if (c >= n - f) {
        int slash = k.indexOf('/');
        valid.put(Integer.parseInt(k.substring(0, slash)),
            HexFormat.of().parseHex(k.substring(slash + 1)));
      }
    });
    return valid;
  }

  // ---------------------------------------------------------------- 4. applying

  private void apply(Running now, Map<Integer, byte[]> valid) {
    boolean complete = true;
    for (Map.Entry<Integer, byte[]> d : valid.entrySet()) {
      Received r = now.received.get(d.getKey());
      if (r == null || !Arrays.equals(r.manifest(), d.getValue())) {
        complete = false; // a counted dealing this server lacks: it cannot tell what to add
      }
    }
    int refreshed = 0;
    int dropped = 0;
    int kept = 0;
    for (KeyServerCore.HeldShare h : now.held) {
      String id = id(h.key(), h.version());
      List<Integer> dealers = new ArrayList<>();
      if (complete) {
        for (Integer d : valid.keySet()) {
          if (now.received.get(d).records().containsKey(id)) {
            dealers.add(d);
          }
        }
        if (dealers.size() < t) {
          kept++; // too few dealt for it: every correct server leaves this version as it is
          continue;
        }
      }
      KeyServerCore.RefreshResult result = core.refreshShare(h.key(), h.version(),
          h.shareEpoch(), (share, commitments) -> {
            if (dealers.isEmpty()) {
              throw new IllegalArgumentException("missing a counted dealing");
            }
            List<ShareRefresh.Contribution> contributions = new ArrayList<>();
            for (Integer d : dealers) {
              RecordDealing r = now.received.get(d).records().get(id);
              byte[] y = r.getContribution().toByteArray();
              contributions.add(new ShareRefresh.Contribution(d + 1,
                  Commitments.decode(r.getCommitments().toByteArray()),
                  Share.of(self + 1, y, h.shareEpoch())));
              Arrays.fill(y, (byte) 0);
            }
            Set<Integer> dealerXs = new TreeSet<>();
            dealers.forEach(d -> dealerXs.add(d + 1));
            try {
              return ShareRefresh.of(commitments, h.shareEpoch(), xs)
                  .apply(share, dealerXs, contributions);
            } finally {
              contributions.forEach(ShareRefresh.Contribution::destroy);
            }
          });
      switch (result) {
        case REFRESHED -> refreshed++;
        case DROPPED -> dropped++;
        case GONE -> kept++;
        default -> throw new IllegalStateException(result.name());
      }
    }
    log.log(dropped == 0 && (refreshed > 0 || kept == 0) ? Level.INFO : Level.WARNING,
        "server {0}: share refresh {1} applied"
        + " with dealers {2}: {3} shares refreshed, {4} dropped (a reader that finds too few holders writes them back),"
        + " {5} left as they were (gone meanwhile, or too few dealers for them)",
        new Object[] {serverIds.get(self), now.epoch,
            valid.keySet().stream().map(serverIds::get).toList(), refreshed, dropped, kept});
    core.refreshApplied(now.epoch, refreshed, dropped);
  }

  @Override
  public void close() {
    worker.shutdownNow();
    synchronized (channels) {
      channels.values().forEach(ManagedChannel::shutdownNow);
      channels.clear();
    }
  }
}
