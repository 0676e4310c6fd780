package dev.meridian.keystore.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.ConstantTime;
import dev.meridian.keystore.crypto.Envelope;
import dev.meridian.keystore.crypto.EnvelopeException;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.SessionCrypto;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.shamir.Commitments;
import dev.meridian.keystore.shamir.Dealing;
import dev.meridian.keystore.shamir.FeldmanVss;
import dev.meridian.keystore.shamir.SecretScalar;
import dev.meridian.keystore.shamir.Share;
import dev.meridian.keystore.tls.TransportSecurity;
import dev.meridian.keystore.wire.Names;
import dev.meridian.keystore.wire.Sessions;
import dev.meridian.keystore.wire.Versions;
import dev.meridian.proto.v1.AckBody;
import dev.meridian.proto.v1.AclChange;
import dev.meridian.proto.v1.AclRight;
import dev.meridian.proto.v1.AdminOp;
import dev.meridian.proto.v1.GridSpec;
import dev.meridian.keystore.wire.GridSpecs;
import dev.meridian.proto.v1.AdminOutcome;
import dev.meridian.proto.v1.AdminReply;
import dev.meridian.proto.v1.AdminReplyBody;
import dev.meridian.proto.v1.CompleteOp;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.KeyVersion;
import dev.meridian.proto.v1.OpenSessionOp;
import dev.meridian.proto.v1.ReadOp;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SessionGrantBody;
import dev.meridian.proto.v1.SignedRecord;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.StoredVersion;
import dev.meridian.proto.v1.Version;
import dev.meridian.proto.v1.WriteBackOp;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteOp;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * A client of the key service: writes, reads and deletes secrets on n servers of which up to f
 * may be Byzantine (DESIGN.md "Key service").
 *
 * <p>Guarantees, with at most f faulty servers and a correct client: a read returns the value of
 * the last completed write (or of a write concurrent with it) or fails — never a value nobody
 * wrote, since records are signed by their writers and shares are checked against the signed
 * Feldman commitments; reads are atomic, because a reader writes the version it returns back to a
 * whole quorum before returning; f servers together learn nothing of a secret (t = f + 1). Every
 * call has a deadline: when no quorum answers in time it fails with {@code UNAVAILABLE} saying
 * how many servers answered. A write that fails may still take effect later (its outcome is
 * unknown, as with any replicated write whose acknowledgements were lost). A client never reuses
 * one of its own versions for a key while it remembers the key; a client restarted right after
 * such a failed write should wait out the freshness window before writing that key again, or a
 * late copy of the failed write could meet a new record under the same version (readers then
 * report the client as having signed two records).
 *
 * <p>Protocol. Write: read the highest signed version from a quorum; seal the secret with a fresh
 * data key derived from a random field element s; split s with threshold t; sign the record (key,
 * version = (counter + 1, this client), n, t, commitments, ciphertext hash); send the record to
 * all servers, each with its own share; done at a quorum of signed acknowledgements. Versions
 * the client saw complete are reported to the servers in batches ({@code Complete}), after which
 * servers drop older versions. Read: records and shares from a quorum; the newest version with t
 * shares that verify is rebuilt and opened; servers of the quorum that lacked it get it back.
 *
 * <p>Thread-safe; one client may be used by many threads. Close it to release its channels.
 */
public final class KeystoreClient implements AutoCloseable {
  private static final int NONCE_BYTES = 16;
  private static final int COMPLETION_BATCH = 256;
  // Completions wait this long for company: each batch costs a call per server, and a server
  // only keeps an older version a little longer meanwhile.
  private static final long COMPLETION_FLUSH_MILLIS = 250;

  private final String clientId;
  private final SigningKey signingKey;
  private final List<ServerEndpoint> servers;
  private final QuorumSystem quorums;
  private final Duration deadline;
  private final Duration adminDeadline;
  /** The servers' agreement round length, if known ({@link Builder#adminRound}); else null. */
  private final Duration adminRound;
  private final SecureRandom random;
  // Writers' public keys, to verify records (a client reads secrets other clients wrote).
  private final Map<String, VerifyingKey> writerKeys;
  private final FeldmanVss vss = FeldmanVss.secp256k1();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<KeystoreGrpc.KeystoreFutureStub> stubs = new ArrayList<>();
  private final AtomicInteger rotation = new AtomicInteger();
  // The last counter this client used per key. Bounded: the least recently used keys are
  // forgotten, like everything when the client restarts (a limit the class Javadoc states).
  private final java.util.concurrent.ConcurrentMap<String, Long> lastCounters =
      Caffeine.newBuilder().maximumSize(100_000).<String, Long>build().asMap();
  private final AtomicLong callsSent = new AtomicLong();
  // Records whose signatures verified: the body hash binds the content, so a record seen again
  // need not be verified again.
  private final Cache<String, Boolean> verifiedRecords =
      Caffeine.newBuilder().maximumSize(100_000).build();
  private final ScheduledExecutorService completer;
  private final List<KeyVersion> pendingCompletions = new ArrayList<>(); // guarded by itself
  private final boolean perRequestSignatures;
  private final TransportSecurity security;
  // Per server: the session with it, being opened or open (null: none yet, or forgotten).
  private final java.util.concurrent.atomic.AtomicReferenceArray<ListenableFuture<Session>>
      sessions;

  private KeystoreClient(Builder b) {
    this.clientId = b.clientId;
    this.signingKey = b.signingKey;
    this.servers = List.copyOf(b.servers);
    this.quorums = b.quorums;
    this.deadline = b.deadline;
    this.adminDeadline = b.adminDeadline;
    this.adminRound = b.adminRound;
    this.random = b.random;
    this.perRequestSignatures = b.perRequestSignatures;
    this.security = b.security;
    this.sessions = new java.util.concurrent.atomic.AtomicReferenceArray<>(b.servers.size());
    Map<String, VerifyingKey> writers = new HashMap<>(b.writers);
    writers.put(b.clientId, b.signingKey.verifyingKey());
    this.writerKeys = Map.copyOf(writers);
    for (ServerEndpoint server : servers) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(server.address(),
              security.channelCredentials())
          .maxInboundMessageSize(2 << 20)
          .directExecutor()
          .build();
      channels.add(channel);
      stubs.add(KeystoreGrpc.newFutureStub(channel));
    }
    this.completer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keystore-client-" + clientId + "-complete");
      t.setDaemon(true);
      return t;
    });
    completer.scheduleWithFixedDelay(this::flushCompletions, COMPLETION_FLUSH_MILLIS,
        COMPLETION_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** A builder; clientId, signingKey, servers and quorums are required. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- public calls

  /** Stores {@code secret} (1 byte to 60 KiB) as the next version of {@code key}; returns it. */
  public Version put(String key, byte[] secret) throws KeystoreException {
    Names.checkKey(key);
    if (secret == null || secret.length == 0 || secret.length > 60 * 1024) {
      throw new IllegalArgumentException("secret must be 1 byte to 60 KiB, was "
          + (secret == null ? "null" : secret.length + " bytes"));
    }
    return write(key, secret);
  }

  /** Deletes {@code key}: a signed tombstone version; later reads fail with NOT_FOUND. */
  public Version delete(String key) throws KeystoreException {
    Names.checkKey(key);
    return write(key, null);
  }

  /** Reads the current value of {@code key}; NOT_FOUND if it was never written or was deleted. */
  public ReadResult get(String key) throws KeystoreException {
    Names.checkKey(key);
    long until = System.nanoTime() + deadline.toNanos();
    Map<String, String> misbehaving = new LinkedHashMap<>();
    Gather<ReadReply> replies = gatherQuorum(until, "read of " + key, server ->
        Futures.transformAsync(authenticate(server, readBody(key, true,
            servers.get(server).id()), until), auth -> stubs.get(server)
                .withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
                .read(auth.request()), MoreExecutors.directExecutor()));
    Map<Integer, ReadReply> answers = replies.answers();
    TreeMap<Version, Candidate> candidates = candidates(key, answers, misbehaving);
    for (Candidate c : candidates.descendingMap().values()) {
      Opened opened = open(c, misbehaving);
      if (opened == null) {
        continue; // fewer than t valid shares: an incomplete write, or liars
      }
      writeBack(key, c, opened, answers.keySet(), until, misbehaving);
      if (c.body.getTombstone()) {
        throw new KeystoreException(Status.Code.NOT_FOUND, "key " + key + " was deleted (version "
            + Versions.show(c.body.getVersion()) + ")" + suspects(misbehaving));
      }
      return new ReadResult(opened.value, c.body.getVersion(), misbehaving,
          misbehaving.size() > quorums.f());
    }
    if (candidates.isEmpty()) {
      throw new KeystoreException(Status.Code.NOT_FOUND, "key " + key + " has no value"
          + suspects(misbehaving));
    }
    throw new KeystoreException(Status.Code.DATA_LOSS, "no version of " + key + " has t = "
        + quorums.t() + " valid shares among the " + answers.size()
        + " servers that answered; versions seen: " + candidates.keySet().stream()
            .map(Versions::show).toList() + suspects(misbehaving));
  }

  /**
   * Gives {@code client} {@code right} on the keys starting with {@code keyPrefix} ('' = every
   * key). An admin action: the servers order it by Byzantine agreement (a few round lengths), and
   * it takes effect at every correct server at once. This client must administer the prefix.
   *
   * @return how many admin actions the servers have applied, this one included
   * @throws KeystoreException PERMISSION_DENIED (with the servers' reason) if f + 1 servers
   *     refused it, UNAVAILABLE if f + 1 servers did not answer alike within the admin deadline
   *     ({@link Builder#adminDeadline})
   */
  public long grant(String keyPrefix, String client, AccessPolicy.Right right)
      throws KeystoreException {
    return admin(AdminOp.newBuilder().setGrant(aclChange(keyPrefix, client, right)).build());
  }

  /** Takes {@code right} on {@code keyPrefix} from {@code client}; as {@link #grant}. */
  public long revoke(String keyPrefix, String client, AccessPolicy.Right right)
      throws KeystoreException {
    return admin(AdminOp.newBuilder().setRevoke(aclChange(keyPrefix, client, right)).build());
  }

  /**
   * Starts a proactive share refresh of every stored secret: an admin action (this client must
   * administer every key, prefix ""), after which the servers deal zero sharings to each other,
   * agree on the valid dealers and move their shares to new polynomials of the same secrets.
   * Returns once the servers have decided to run it; they apply it once every server has checked
   * the others' dealings and voted (seconds; at most f + 22 rounds later), and reads and writes
   * go on meanwhile.
   *
   * @return how many admin actions the servers have applied, this one included
   * @throws KeystoreException PERMISSION_DENIED if refused (not an admin of every key, or a
   *     refresh is still running), UNAVAILABLE as for {@link #grant}
   */
  public long refresh() throws KeystoreException {
    return admin(AdminOp.newBuilder().setRefresh(dev.meridian.proto.v1.RefreshOp
        .getDefaultInstance()).build());
  }

  /**
   * The grid this client talks to, as another grid is told about it in a handoff: its servers
   * (ids, keys, addresses), quorum kind and f.
   */
  public GridSpec gridSpec() {
    return GridSpecs.of(servers, quorums);
  }

  /**
   * Tells this client's grid to take over the secrets {@code predecessor} is about to hand it:
   * an admin action (this client must administer every key here). Its servers then accept
   * handoff dealings from the predecessor's servers for 60 agreement rounds (30 s at the
   * default Δ = 500 ms); run
   * {@link #handOff} on the predecessor within that time. Use {@code keystore handoff}, which
   * runs both and waits for the result.
   *
   * @return how many admin actions the servers have applied, this one included
   * @throws KeystoreException PERMISSION_DENIED if refused (not an admin of every key, a bad
   *     grid, another threshold t, an intake still running), UNAVAILABLE as for {@link #grant}
   */
  public long acceptHandoff(GridSpec predecessor) throws KeystoreException {
    return acceptHandoff(predecessor, List.of());
  }

  /**
   * As {@link #acceptHandoff(GridSpec)}, and from the same slot on the access rules here are
   * {@code rules} (the predecessor's, as {@code keystore handoff} reads them from f + 1 of its
   * servers); none: this grid keeps its own. Every client a rule names must be known here.
   */
  public long acceptHandoff(GridSpec predecessor, List<dev.meridian.proto.v1.AclRule> rules)
      throws KeystoreException {
    return admin(AdminOp.newBuilder().setAcceptHandoff(dev.meridian.proto.v1.AcceptHandoffOp
        .newBuilder().setPredecessor(predecessor).addAllRules(rules)).build());
  }

  /**
   * Hands every secret this client's grid stores over to {@code successor}, re-shared with its
   * threshold:
   * an admin action (this client must administer every key). From the slot that decides it, the
   * servers here refuse writes; each re-deals its shares to the successor's servers, which must
   * have decided {@link #acceptHandoff} first. Reads here keep working until the servers are
   * stopped.
   *
   * @return how many admin actions the servers have applied, this one included
   * @throws KeystoreException PERMISSION_DENIED if refused, UNAVAILABLE as for {@link #grant}
   */
  public long handOff(GridSpec successor) throws KeystoreException {
    return admin(AdminOp.newBuilder().setHandoff(dev.meridian.proto.v1.HandoffOp.newBuilder()
        .setSuccessor(successor)).build());
  }

  /** Deadline of an admin action unless {@link Builder#adminDeadline} says otherwise. */
  public static final Duration DEFAULT_ADMIN_DEADLINE = Duration.ofSeconds(30);

  private static AclChange aclChange(String keyPrefix, String client, AccessPolicy.Right right) {
    if (!keyPrefix.isEmpty()) {
      Names.checkKey(keyPrefix);
    }
    Names.checkId("client id", client);
    return AclChange.newBuilder().setKeyPrefix(keyPrefix).setClientId(client)
        .setRight(switch (right) {
          case READ -> AclRight.ACL_RIGHT_READ;
          case WRITE -> AclRight.ACL_RIGHT_WRITE;
          case ADMIN -> AclRight.ACL_RIGHT_ADMIN;
        }).build();
  }

  /**
   * Sends one signed admin request and waits for f + 1 servers to sign the same outcome: at least
   * one of them is correct, and every correct server decides the same. A correct server answers
   * "applied" only once n − f servers applied it (or two seconds after it did), so the reads and
   * writes that follow find it in force nearly everywhere.
   *
   * <p>With the servers' round length known ({@link Builder#adminRound}), the request goes to its
   * f + 1 first proposers only (the servers compute them from its signed timestamp; one of them
   * is correct, so it is decided in its first window), and to every other server as well once
   * one of them fails or answers badly, or after 2·(f + 4) rounds. Otherwise it goes to every
   * server (it is not addressed to one: the servers relay it in their agreement).
   */
  private long admin(AdminOp op) throws KeystoreException {
    long sentAt = System.nanoTime();
    long until = sentAt + adminDeadline.toNanos();
    RequestBody body = requestBody("").setAdmin(op).build();
    SignedRequest request = signed(body);
    byte[] hash = Hashes.sha256(request.getBody().toByteArray());
    java.util.concurrent.BlockingQueue<Object> answers =
        new java.util.concurrent.LinkedBlockingQueue<>();
    boolean[] asked = new boolean[servers.size()];
    int contacted = 0;
    for (int server : firstAsked(body.getTimestampMillis())) {
      askAdmin(server, request, until, answers);
      asked[server] = true;
      contacted++;
    }
    long widenAt = contacted == servers.size() ? Long.MAX_VALUE
        : sentAt + 2L * (quorums.f() + 4) * adminRound.toNanos();
    Map<String, Integer> vouched = new HashMap<>(); // outcome -> servers whose signature verified
    Map<Integer, Status> failures = new LinkedHashMap<>();
    int heard = 0;
    try {
      while (true) {
        boolean widen = false;
        long wait = remaining(until);
        if (contacted < servers.size()) {
          wait = Math.min(wait, Math.max(0, widenAt - System.nanoTime()));
        }
        Object answer = answers.poll(wait, TimeUnit.NANOSECONDS);
        if (answer == null) {
          if (contacted == servers.size() || System.nanoTime() - until >= 0) {
            break; // the deadline
          }
          widen = true; // the first proposers took too long
        } else {
          heard++;
          if (answer instanceof AdminAnswer a) {
            AdminReplyBody reply = adminBody(a.server(), a.reply(), hash);
            if (reply == null || !adminSignatureVerifies(a.server(), a.reply())) {
              failures.put(failures.size(), badAdminOutcome(a.server()));
              widen = true;
            } else {
              String outcome = reply.getOutcome() + "/" + reply.getReason();
              if (vouched.merge(outcome, 1, Integer::sum) == quorums.f() + 1) {
                if (reply.getOutcome() == AdminOutcome.ADMIN_OUTCOME_APPLIED) {
                  return reply.getPolicySequence();
                }
                throw new KeystoreException(Status.Code.PERMISSION_DENIED, "admin action "
                    + "refused by " + (quorums.f() + 1) + " servers: " + reply.getReason());
              }
              // Answered, but not alike (or not yet by f + 1): the others may settle it.
              widen = heard == contacted;
            }
          } else if (answer instanceof Status status) {
            failures.put(failures.size(), status);
            widen = true;
          }
        }
        if (widen && contacted < servers.size()) {
          for (int server = 0; server < servers.size(); server++) {
            if (!asked[server]) {
              askAdmin(server, request, until, answers);
              asked[server] = true;
              contacted++;
            }
          }
        } else if (heard == servers.size()) {
          break; // everyone answered, and no f + 1 alike
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeystoreException(Status.Code.CANCELLED, "interrupted waiting for the admin action");
    }
    throw new KeystoreException(Status.Code.UNAVAILABLE, "admin action: " + heard + " of "
        + servers.size() + " servers answered within " + adminDeadline.toMillis()
        + " ms, but no f + 1 = " + (quorums.f() + 1) + " of them signed the same outcome"
        + (failures.isEmpty() ? ""
            : "; failures: " + failures.values().stream().map(st -> st.getCode().toString())
                .distinct().toList()));
  }

  /**
   * The servers an admin request signed at {@code timestampMillis} goes to first: the f + 1
   * proposers of its first window (the servers' own rule, {@link
   * dev.meridian.keystore.server.AdminAgreement#proposes}, for the slot σ of the timestamp and
   * the window's first slot σ + 2) if the round length is known, else every server.
   */
  private List<Integer> firstAsked(long timestampMillis) {
    int n = servers.size();
    long signed = adminRound == null ? 0
        : Math.floorDiv(Math.multiplyExact(timestampMillis, 1_000_000L), adminRound.toNanos());
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (adminRound == null || dev.meridian.keystore.server.AdminAgreement.proposes(signed,
          signed + 2, quorums.f(), n, i)) {
        out.add(i);
      }
    }
    return out;
  }

  private void askAdmin(int server, SignedRequest request, long until,
      java.util.concurrent.BlockingQueue<Object> answers) {
    callsSent.incrementAndGet();
    Futures.addCallback(stubs.get(server).withDeadlineAfter(remaining(until),
        TimeUnit.NANOSECONDS).admin(request), new FutureCallback<AdminReply>() {
          @Override
          public void onSuccess(AdminReply reply) {
            answers.add(new AdminAnswer(server, reply));
          }

          @Override
          public void onFailure(Throwable t) {
            answers.add(Status.fromThrowable(t));
          }
        }, MoreExecutors.directExecutor());
  }

  /** A server's reply to an admin request, not yet checked. */
  private record AdminAnswer(int server, AdminReply reply) {}

  /** The reply's body if it parses and names this server and request, else null. */
  private AdminReplyBody adminBody(int server, AdminReply reply, byte[] requestHash) {
    try {
      AdminReplyBody body = AdminReplyBody.parseFrom(reply.getBody());
      if (body.getServerId().equals(servers.get(server).id())
          && ConstantTime.equal(body.getRequestSha256().toByteArray(), requestHash)) {
        return body;
      }
    } catch (InvalidProtocolBufferException e) {
      // falls through: a bad answer
    }
    return null;
  }

  private boolean adminSignatureVerifies(int server, AdminReply reply) {
    return servers.get(server).key().verify(reply.getBody().toByteArray(),
        reply.getSignature().toByteArray());
  }

  private Status badAdminOutcome(int server) {
    String what = "server " + servers.get(server).id()
        + " sent an admin outcome that does not verify";
    java.util.logging.Logger.getLogger(KeystoreClient.class.getName()).warning(what);
    return Status.DATA_LOSS.withDescription(what);
  }

  /** Calls sent so far (each is one request and one reply message). */
  public long callsSent() {
    return callsSent.get();
  }

  /** Sends the completions waiting for their batch now. */
  public void flushCompletions() {
    List<KeyVersion> batch;
    synchronized (pendingCompletions) {
      if (pendingCompletions.isEmpty()) {
        return;
      }
      int size = Math.min(COMPLETION_BATCH, pendingCompletions.size());
      batch = new ArrayList<>(pendingCompletions.subList(0, size));
      pendingCompletions.subList(0, size).clear();
    }
    // Nothing secret in it, so one body serves every server.
    RequestBody body = requestBody("")
        .setComplete(CompleteOp.newBuilder().addAllVersions(batch)).build();
    long until = System.nanoTime() + deadline.toNanos();
    for (int i = 0; i < servers.size(); i++) {
      int server = i;
      callsSent.incrementAndGet();
      // Best effort: a server that misses it only keeps more versions for a while.
      Futures.transformAsync(authenticate(server, body, until), auth -> stubs.get(server)
          .withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
          .complete(auth.request()), MoreExecutors.directExecutor());
    }
  }

  @Override
  public void close() {
    completer.shutdownNow();
    flushCompletions();
    for (ManagedChannel channel : channels) {
      channel.shutdown();
    }
    for (ManagedChannel channel : channels) {
      try {
        if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "KeystoreClient[" + clientId + ", " + servers.size() + " servers, "
        + quorums.describe() + "]";
  }

  // ---------------------------------------------------------------- write

  private Version write(String key, byte[] secret) throws KeystoreException {
    long until = System.nanoTime() + deadline.toNanos();
    Map<String, String> misbehaving = new LinkedHashMap<>();
    // Phase 1: the highest version a quorum knows. Nothing secret is returned, so one
    // signature serves every server.
    RequestBody versionQuery = readBody(key, false, "");
    Gather<ReadReply> replies = gatherQuorum(until, "write of " + key, server ->
        Futures.transformAsync(authenticate(server, versionQuery, until), auth -> stubs
            .get(server).withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
            .read(auth.request()), MoreExecutors.directExecutor()));
    TreeMap<Version, Candidate> seen = candidates(key, replies.answers(), misbehaving);
    long counter = seen.isEmpty() ? 1 : seen.lastKey().getCounter() + 1;
    // Never reuse a version of our own: a write whose outcome we never learned may have reached
    // servers the version query did not hear, and two records under one version would be ours.
    counter = lastCounters.merge(key, counter, (old, next) -> Math.max(old + 1, next));
    Version version = Version.newBuilder().setCounter(counter).setClientId(clientId).build();

    // Phase 2: seal, split, sign, send every server its share.
    RecordBody.Builder body = RecordBody.newBuilder()
        .setKey(key)
        .setVersion(version)
        .setEpoch(0)
        .setN(servers.size())
        .setT(quorums.t())
        .setTombstone(secret == null)
        .setTimestampMillis(System.currentTimeMillis())
        .setNonce(ByteString.copyFrom(nonce()));
    List<ByteString> shares = new ArrayList<>();
    byte[] ciphertext = new byte[0];
    if (secret != null) {
      List<Integer> xs = IntStream.rangeClosed(1, servers.size()).boxed().toList();
      Dealing dealing = vss.deal(quorums.t(), xs, random);
      byte[] dataKey = dealing.secret().dataKey();
      try {
        ciphertext = Envelope.seal(dataKey, secret, associatedData(key, version), random);
      } finally {
        Arrays.fill(dataKey, (byte) 0);
        dealing.secret().destroy();
      }
      for (Share share : dealing.shares()) {
        byte[] y = share.yBytes();
        shares.add(ByteString.copyFrom(y));
        Arrays.fill(y, (byte) 0);
        share.destroy();
      }
      body.setCommitments(ByteString.copyFrom(dealing.commitments().encode()))
          .setCiphertextSha256(ByteString.copyFrom(Hashes.sha256(ciphertext)));
    }
    byte[] bodyBytes = body.build().toByteArray();
    SignedRecord record = SignedRecord.newBuilder()
        .setBody(ByteString.copyFrom(bodyBytes))
        .setSignature(ByteString.copyFrom(signingKey.sign(bodyBytes)))
        .setCiphertext(ByteString.copyFrom(ciphertext))
        .build();
    byte[] recordHash = Hashes.sha256(bodyBytes);
    verifiedRecords.put(HexFormat.of().formatHex(recordHash), Boolean.TRUE);

    Gather<StoreAck> acks = new Gather<>();
    for (int i = 0; i < servers.size(); i++) {
      WriteRequest.Builder request = WriteRequest.newBuilder()
          .setRecord(record)
          .setShare(secret == null ? ByteString.EMPTY : shares.get(i));
      int server = i;
      ListenableFuture<Authenticated> auth;
      if (perRequestSignatures) {
        auth = Futures.immediateFuture(new Authenticated(null, null)); // the record's signature
      } else {
        auth = authenticate(server, requestBody(servers.get(server).id())
            .setWrite(WriteOp.newBuilder().setRecordSha256(ByteString.copyFrom(recordHash)))
            .build(), until);
      }
      call(acks, server, s -> Futures.transformAsync(auth, a -> {
        if (a.request() != null) {
          request.setAuth(a.request());
        }
        return checked(stubs.get(s).withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
            .write(request.build()), ack -> validAck(server, ack, a.key(), key, version,
                recordHash, misbehaving));
      }, MoreExecutors.directExecutor()));
    }
    awaitQuorum(acks, until, "write of " + key + " version " + Versions.show(version),
        "acknowledged", true);
    synchronized (pendingCompletions) {
      pendingCompletions.add(KeyVersion.newBuilder().setKey(key).setVersion(version).build());
    }
    return version;
  }

  private boolean validAck(int server, StoreAck ack, byte[] sessionKey, String key,
      Version version, byte[] hash, Map<String, String> misbehaving) {
    try {
      AckBody body = AckBody.parseFrom(ack.getBody());
      boolean matches = body.getServerId().equals(servers.get(server).id())
          && body.getKey().equals(key) && body.getVersion().equals(version)
          && ConstantTime.equal(body.getRecordSha256().toByteArray(), hash);
      boolean authentic = sessionKey != null
          ? SessionCrypto.verifyHmac(sessionKey, ack.getBody().toByteArray(),
              ack.getMac().toByteArray())
          : servers.get(server).key().verify(ack.getBody().toByteArray(),
              ack.getSignature().toByteArray());
      if (matches && authentic) {
        return true;
      }
    } catch (InvalidProtocolBufferException e) {
      // falls through: a malformed acknowledgement is as bad as a forged one
    }
    synchronized (misbehaving) {
      misbehaving.put(servers.get(server).id(), "sent an acknowledgement that does not verify");
    }
    return false;
  }

  // ---------------------------------------------------------------- read helpers

  /** One version seen in replies: its record (signature verified) and who sent shares. */
  private static final class Candidate {
    final RecordBody body;
    final SignedRecord record;
    final Map<Integer, ByteString> shares = new TreeMap<>(); // server index -> y
    // server index -> the refresh its share came from, and that sharing's commitments (empty:
    // the writer's, in the record)
    final Map<Integer, Long> shareEpochs = new HashMap<>();
    final Map<Integer, ByteString> shareCommitments = new HashMap<>();
    final List<SignedRecord> copies = new ArrayList<>(); // ciphertext copies, one per holder
    final BitSet holders = new BitSet();

    Candidate(RecordBody body, SignedRecord record) {
      this.body = body;
      this.record = record;
    }
  }

  /**
   * A version opened from t shares of one sharing: refresh {@code epoch} of it (0: the writer's),
   * with {@code commitments}, which a write-back uses for the shares it interpolates.
   */
  private record Opened(byte[] value, List<Share> shares, long epoch, Commitments commitments) {}

  private TreeMap<Version, Candidate> candidates(String key, Map<Integer, ReadReply> answers,
      Map<String, String> misbehaving) {
    TreeMap<Version, Candidate> out = new TreeMap<>(Versions.ORDER);
    for (Map.Entry<Integer, ReadReply> e : answers.entrySet()) {
      int server = e.getKey();
      String id = servers.get(server).id();
      for (StoredVersion stored : e.getValue().getVersionsList()) {
        RecordBody body;
        try {
          body = RecordBody.parseFrom(stored.getRecord().getBody());
        } catch (InvalidProtocolBufferException ex) {
          misbehaving.put(id, "sent a record that does not parse");
          continue;
        }
        if (!body.getKey().equals(key) || !body.hasVersion()) {
          misbehaving.put(id, "sent a record of another key");
          continue;
        }
        Candidate c = out.get(body.getVersion());
        byte[] hash = Hashes.sha256(stored.getRecord().getBody().toByteArray());
        if (c != null && !ConstantTime.equal(hash,
            Hashes.sha256(c.record.getBody().toByteArray()))) {
          if (recordVerifies(body, stored.getRecord(), hash)) {
            // Two validly signed records for one version: the writer itself equivocated.
            misbehaving.put("writer " + body.getVersion().getClientId(),
                "signed two records for " + key + " version " + Versions.show(body.getVersion()));
          } else {
            misbehaving.put(id, "sent a record whose signature does not verify");
          }
          continue;
        }
        if (c == null) {
          if (!recordVerifies(body, stored.getRecord(), hash)) {
            misbehaving.put(id, "sent a record whose signature does not verify");
            continue;
          }
          c = new Candidate(body, stored.getRecord());
          out.put(body.getVersion(), c);
        }
        c.holders.set(server);
        if (!stored.getShare().isEmpty()) {
          c.shares.put(server, stored.getShare());
          c.shareEpochs.put(server, stored.getShareEpoch());
          c.shareCommitments.put(server, stored.getShareEpoch() == 0 ? ByteString.EMPTY
              : stored.getShareCommitments());
        }
        if (!stored.getRecord().getCiphertext().isEmpty()) {
          c.copies.add(stored.getRecord());
        }
      }
    }
    return out;
  }

  private boolean recordVerifies(RecordBody body, SignedRecord record, byte[] hash) {
    String hex = HexFormat.of().formatHex(hash);
    if (verifiedRecords.getIfPresent(hex) != null) {
      return true;
    }
    VerifyingKey writer = writerKeys.get(
        body.getVersion().getClientId());
    if (writer == null || !writer.verify(record.getBody().toByteArray(),
        record.getSignature().toByteArray())) {
      return false;
    }
    verifiedRecords.put(hex, Boolean.TRUE);
    return true;
  }

  /** The candidate's value from t verified shares, or null if it has fewer. */
  private Opened open(Candidate c, Map<String, String> misbehaving) {
    if (c.body.getTombstone()) {
      return new Opened(new byte[0], List.of(), 0, null);
    }
    // Split for a grid of another size or threshold: readable here only from a sharing a
    // handoff moved here (its commitments still commit to the writer's C_0, with this grid's t).
    boolean movedHere = c.body.getN() != servers.size() || c.body.getT() != quorums.t();
    Commitments signed;
    try {
      signed = Commitments.decode(c.body.getCommitments().toByteArray());
    } catch (IllegalArgumentException e) {
      return null;
    }
    // Shares from different sharings (before and after a share refresh) never combine: take t
    // that verify against one commitment vector, newest sharing first. Any vector will do if it
    // commits to the writer's secret (the signed C_0 and t): t shares on it interpolate to that
    // secret, so a liar can make a read fail, never return another value.
    Map<ByteString, List<Integer>> holders = new LinkedHashMap<>();
    c.shares.keySet().forEach(server -> holders.computeIfAbsent(
        c.shareCommitments.get(server), k -> new ArrayList<>()).add(server));
    List<Map.Entry<ByteString, List<Integer>>> sharings = new ArrayList<>(holders.entrySet());
    sharings.sort(java.util.Comparator.comparingLong(
        (Map.Entry<ByteString, List<Integer>> e) -> c.shareEpochs.get(e.getValue().get(0)))
        .reversed());
    List<Share> valid = new ArrayList<>();
    Commitments commitments = signed;
    long epoch = 0;
    for (Map.Entry<ByteString, List<Integer>> sharing : sharings) {
      valid.forEach(Share::destroy);
      valid.clear();
      if (sharing.getKey().isEmpty()) {
        if (movedHere) {
          continue;
        }
        commitments = signed;
        epoch = 0;
      } else {
        epoch = c.shareEpochs.get(sharing.getValue().get(0));
        try {
          commitments = Commitments.decode(sharing.getKey().toByteArray());
        } catch (IllegalArgumentException e) {
          commitments = null;
        }
        if (commitments == null || !signed.commitsToSecretOf(commitments)
            || commitments.threshold() != quorums.t()) {
          for (Integer server : sharing.getValue()) {
            misbehaving.put(servers.get(server).id(), "sent share commitments that do not commit"
                + " to the writer's secret (version " + Versions.show(c.body.getVersion()) + ")");
          }
          continue;
        }
      }
      collectValid(c, sharing.getValue(), commitments, valid, misbehaving);
      if (valid.size() == quorums.t()) {
        break;
      }
    }
    if (valid.size() < quorums.t()) {
      valid.forEach(Share::destroy);
      return null;
    }
    SecretScalar secret = vss.reconstruct(valid, quorums.t());
    byte[] dataKey = secret.dataKey();
    secret.destroy();
    try {
      for (SignedRecord copy : c.copies) {
        byte[] ct = copy.getCiphertext().toByteArray();
        if (!ConstantTime.equal(Hashes.sha256(ct), c.body.getCiphertextSha256().toByteArray())) {
          continue; // a server altered it; another holder's copy will do
        }
        try {
          byte[] value = Envelope.open(dataKey, ct,
              associatedData(c.body.getKey(), c.body.getVersion()));
          return new Opened(value, valid, epoch, commitments);
        } catch (EnvelopeException e) {
          // The signed hash matched, so the writer sealed it with another key: a faulty writer.
          misbehaving.put("writer " + c.body.getVersion().getClientId(),
              "sealed a ciphertext its shares do not open");
          return null;
        }
      }
      return null;
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /** Adds the shares of {@code holders} that verify against {@code commitments}, up to t. */
  private void collectValid(Candidate c, List<Integer> holders, Commitments commitments,
      List<Share> valid, Map<String, String> misbehaving) {
    for (Integer server : holders) {
      if (valid.size() == quorums.t()) {
        return;
      }
      String id = servers.get(server).id();
      Share share;
      byte[] y = c.shares.get(server).toByteArray();
      try {
        share = Share.of(server + 1, y);
      } catch (IllegalArgumentException ex) {
        misbehaving.put(id, "sent a share that is not a field element");
        continue;
      } finally {
        Arrays.fill(y, (byte) 0);
      }
      if (vss.verify(share, commitments)) {
        valid.add(share);
      } else {
        share.destroy();
        misbehaving.put(id, "sent a share that fails its commitments (version "
            + Versions.show(c.body.getVersion()) + ")");
      }
    }
  }

  /**
   * Makes the version read held by a whole quorum before the read returns (atomic reads): the
   * servers that answered without it get the record and their share, interpolated from t valid
   * shares, until holders and acknowledgers together contain a quorum. A holder counts only with
   * a share of the sharing the read opened: one whose share an unfinished share refresh dropped,
   * or left on the sharing before it, gets the opened sharing's share.
   */
  private void writeBack(String key, Candidate c, Opened opened, java.util.Set<Integer>
      answered, long until, Map<String, String> misbehaving) throws KeystoreException {
    List<Share> valid = opened.shares();
    BitSet holders = new BitSet();
    ByteString sharing = ByteString.EMPTY;
    if (c.body.getTombstone()) {
      holders.or(c.holders);
    } else {
      for (Share s : valid) {
        holders.set(s.x() - 1);
      }
      sharing = opened.epoch() == 0 ? ByteString.EMPTY
          : ByteString.copyFrom(opened.commitments().encode());
      // Holders whose shares were not checked (beyond the first t) hold it too if they sent one
      // of the same sharing.
      for (Map.Entry<Integer, ByteString> e : c.shareCommitments.entrySet()) {
        if (e.getValue().equals(sharing)) {
          holders.set(e.getKey());
        }
      }
    }
    try {
      if (quorums.containsQuorum(holders)) {
        return;
      }
      byte[] recordHash = Hashes.sha256(c.record.getBody().toByteArray());
      SignedRecord full = c.copies.isEmpty() ? c.record : c.copies.get(0);
      Gather<StoreAck> acks = new Gather<>();
      for (int server = 0; server < servers.size(); server++) {
        if (holders.get(server)) {
          continue;
        }
        ByteString share = ByteString.EMPTY;
        if (!c.body.getTombstone()) {
          Share s = vss.interpolate(valid, quorums.t(), server + 1);
          byte[] y = s.yBytes();
          share = ByteString.copyFrom(y);
          Arrays.fill(y, (byte) 0);
          s.destroy();
        }
        RequestBody body = requestBody(servers.get(server).id())
            .setWriteBack(WriteBackOp.newBuilder().setRecordSha256(ByteString.copyFrom(recordHash)))
            .build();
        WriteBackRequest.Builder request = WriteBackRequest.newBuilder()
            .setRecord(full).setShare(share).setShareEpoch(opened.epoch())
            .setShareCommitments(sharing);
        int s = server;
        call(acks, server, i -> Futures.transformAsync(authenticate(i, body, until), a ->
            checked(stubs.get(i).withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
                .writeBack(request.setRequest(a.request()).build()), ack -> validAck(s, ack,
                    a.key(), key, c.body.getVersion(), recordHash, misbehaving)),
            MoreExecutors.directExecutor()));
      }
      BitSet base = holders;
      boolean done;
      try {
        done = acks.await(g -> {
          BitSet all = (BitSet) base.clone();
          all.or(g.answeredSet());
          return quorums.containsQuorum(all);
        }, until);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KeystoreException(Status.Code.CANCELLED, "read of " + key + " interrupted");
      }
      if (!done) {
        throw unavailable("read of " + key + " (writing version "
            + Versions.show(c.body.getVersion()) + " back)", holders.cardinality()
            + acks.answeredSet().cardinality(), acks.failures());
      }
    } finally {
      valid.forEach(Share::destroy);
    }
  }

  // ---------------------------------------------------------------- calls and quorums

  /**
   * Asks a quorum (rotating, to spread load) and, when one of them fails or is slow, the other
   * servers too; returns once the answers contain a quorum.
   */
  private Gather<ReadReply> gatherQuorum(long until, String what,
      Function<Integer, ListenableFuture<ReadReply>> send) throws KeystoreException {
    Gather<ReadReply> gather = new Gather<>();
    BitSet all = new BitSet();
    all.set(0, servers.size());
    BitSet first = quorums.pickQuorum(all, rotation.getAndIncrement()).orElse(all);
    for (int i = first.nextSetBit(0); i >= 0; i = first.nextSetBit(i + 1)) {
      call(gather, i, send, r -> true);
    }
    // Hedge: after a short wait (or at once, when someone failed), ask everyone else too.
    long hedgeAt = Math.min(until, System.nanoTime() + hedgeNanos());
    try {
      boolean done = gather.await(g -> quorums.containsQuorum(g.answeredSet())
          || !g.failures().isEmpty(), hedgeAt);
      if (!done || !quorums.containsQuorum(gather.answeredSet())) {
        for (int i = 0; i < servers.size(); i++) {
          if (!gather.wasAsked(i)) {
            call(gather, i, send, r -> true);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeystoreException(Status.Code.CANCELLED, what + " interrupted");
    }
    awaitQuorum(gather, until, what, "answered", false);
    return gather;
  }

  private long hedgeNanos() {
    return Math.max(20_000_000L, deadline.toNanos() / 10);
  }

  private <R> void awaitQuorum(Gather<R> gather, long until, String what, String verb,
      boolean writing) throws KeystoreException {
    boolean done;
    try {
      done = gather.await(g -> quorums.containsQuorum(g.answeredSet()), until);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeystoreException(Status.Code.CANCELLED, what + " interrupted");
    }
    if (done) {
      return;
    }
    Map<Integer, Status> failures = gather.failures();
    // Refusals (not reachability) from enough servers to rule out a quorum are the answer.
    Map<Status.Code, List<Status>> refusals = new HashMap<>();
    for (Status s : failures.values()) {
      if (s.getCode() != Status.Code.UNAVAILABLE && s.getCode() != Status.Code.DEADLINE_EXCEEDED
          && s.getCode() != Status.Code.CANCELLED && s.getCode() != Status.Code.INTERNAL) {
        refusals.computeIfAbsent(s.getCode(), k -> new ArrayList<>()).add(s);
      }
    }
    for (Map.Entry<Status.Code, List<Status>> e : refusals.entrySet()) {
      if (e.getValue().size() > quorums.f()) {
        throw new KeystoreException(e.getKey(), what + ": " + e.getValue().size() + " of "
            + servers.size() + " servers refused: " + e.getValue().get(0).getDescription());
      }
    }
    throw unavailable(what, gather.answeredSet().cardinality(), failures,
        writing ? " The write may still take effect." : "");
  }

  private KeystoreException unavailable(String what, int answered, Map<Integer, Status> failures) {
    return unavailable(what, answered, failures, "");
  }

  private KeystoreException unavailable(String what, int answered, Map<Integer, Status> failures,
      String tail) {
    StringBuilder why = new StringBuilder();
    failures.forEach((server, status) -> why.append(why.length() == 0 ? "" : "; ")
        .append(servers.get(server).id()).append(": ").append(reason(status)));
    // A server that requires TLS just drops a plaintext connection, which names no cause.
    String hint = answered == 0 && !security.isTls() && !failures.isEmpty()
        ? " This client dials in plaintext; servers that require TLS close such connections."
        : "";
    return new KeystoreException(Status.Code.UNAVAILABLE, what + ": only " + answered + " of "
        + servers.size() + " servers answered within " + deadline.toMillis() + " ms; "
        + quorums.describe() + " needs a quorum of at least " + quorums.quorumSize()
        + (why.length() == 0 ? "" : " (" + why + ")") + "." + tail + hint);
  }

  /** A failure in a few words (a TLS handshake that failed says so; see TransportSecurity). */
  static String reason(Status status) {
    return status.getCode() == Status.Code.UNAVAILABLE ? TransportSecurity.explain(status)
        : status.getCode().toString();
  }

  private <R> void call(Gather<R> gather, int server,
      Function<Integer, ListenableFuture<R>> send) {
    call(gather, server, send, r -> true);
  }

  private <R> void call(Gather<R> gather, int server, Function<Integer, ListenableFuture<R>> send,
      java.util.function.Predicate<R> valid) {
    gather.asked(server);
    send(gather, server, send, valid, true);
  }

  private <R> void send(Gather<R> gather, int server, Function<Integer, ListenableFuture<R>> send,
      java.util.function.Predicate<R> valid, boolean mayRetry) {
    callsSent.incrementAndGet();
    ListenableFuture<R> future;
    try {
      future = send.apply(server);
    } catch (RuntimeException e) {
      gather.failed(server, Status.fromThrowable(e));
      return;
    }
    Futures.addCallback(future, new FutureCallback<R>() {
      @Override
      public void onSuccess(R result) {
        if (valid.test(result)) {
          gather.answered(server, result);
        } else {
          gather.failed(server, Status.DATA_LOSS.withDescription("invalid answer"));
        }
      }

      @Override
      public void onFailure(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.UNAUTHENTICATED && status.getDescription() != null
            && status.getDescription().startsWith(Sessions.UNKNOWN_SESSION)) {
          // The server restarted or forgot the session: open a new one and ask once more.
          forgetSession(server);
          if (mayRetry) {
            send(gather, server, send, valid, false);
            return;
          }
        }
        if (status.getCode() == Status.Code.UNAVAILABLE) {
          forgetSession(server); // a restarted server knows none of its old sessions
          // A server that restarts should be reached now, not after gRPC's reconnect backoff
          // (which grows to two minutes): a call on a channel waiting out its backoff fails at
          // once with the last connection error, even if the server is back. So reconnect and
          // ask once more; a server really down fails the second call as fast as the first.
          ManagedChannel channel = channels.get(server);
          channel.resetConnectBackoff();
          if (mayRetry) {
            afterConnectAttempt(channel, connected -> {
              if (connected) {
                send(gather, server, send, valid, false);
              } else {
                gather.failed(server, status);
              }
            });
            return;
          }
        }
        gather.failed(server, status);
      }
    }, MoreExecutors.directExecutor());
  }


  /**
   * Tells {@code done} whether {@code channel} connects on its next attempt: true once READY,
   * false once it fails again (or shuts down). Each step waits for a state change, so it ends
   * after one connection attempt.
   */
  private static void afterConnectAttempt(ManagedChannel channel,
      java.util.function.Consumer<Boolean> done) {
    io.grpc.ConnectivityState now = channel.getState(true); // IDLE: start connecting
    switch (now) {
      case READY -> done.accept(true);
      case SHUTDOWN -> done.accept(false);
      default -> channel.notifyWhenStateChanged(now, () -> {
        io.grpc.ConnectivityState next = channel.getState(false);
        if (next == io.grpc.ConnectivityState.READY) {
          done.accept(true);
        } else if (now == io.grpc.ConnectivityState.CONNECTING
            || next == io.grpc.ConnectivityState.SHUTDOWN) {
          done.accept(false); // the attempt failed
        } else {
          afterConnectAttempt(channel, done); // left the backoff: now the attempt itself
        }
      });
    }
  }

  // ---------------------------------------------------------------- signing

  private RequestBody readBody(String key, boolean shares, String serverId) {
    return requestBody(serverId)
        .setRead(ReadOp.newBuilder().setKey(key).setShares(shares))
        .build();
  }

  private RequestBody.Builder requestBody(String serverId) {
    return RequestBody.newBuilder()
        .setClientId(clientId)
        .setTimestampMillis(System.currentTimeMillis())
        .setNonce(ByteString.copyFrom(nonce()))
        .setServerId(serverId);
  }

  /** A request ready to send, and the session key its answer is MACed with (null: signed). */
  private record Authenticated(SignedRequest request, byte[] key) {}

  /** A session with one server: its id and the key both sides derived. */
  private record Session(ByteString id, byte[] key) {}

  /**
   * {@code body} authenticated for {@code server}: MACed under the session with it (opened on
   * first use), or signed when this client signs every request.
   */
  private ListenableFuture<Authenticated> authenticate(int server, RequestBody body, long until) {
    if (perRequestSignatures) {
      return Futures.immediateFuture(new Authenticated(signed(body), null));
    }
    return Futures.transform(session(server, until), session -> {
      byte[] bytes = body.toByteArray();
      return new Authenticated(SignedRequest.newBuilder()
          .setBody(ByteString.copyFrom(bytes))
          .setSessionId(session.id())
          .setMac(ByteString.copyFrom(SessionCrypto.hmac(session.key(), bytes)))
          .build(), session.key());
    }, MoreExecutors.directExecutor());
  }

  private ListenableFuture<Session> session(int server, long until) {
    synchronized (sessions) {
      ListenableFuture<Session> s = sessions.get(server);
      if (s == null || (s.isDone() && failed(s))) {
        s = openSession(server, until);
        sessions.set(server, s);
      }
      return s;
    }
  }

  private void forgetSession(int server) {
    synchronized (sessions) {
      sessions.set(server, null);
    }
  }

  private static boolean failed(ListenableFuture<?> f) {
    try {
      Futures.getDone(f);
      return false;
    } catch (Exception e) {
      return true;
    }
  }

  /** Agrees a session key with {@code server}: both ephemeral X25519 halves signed. */
  private ListenableFuture<Session> openSession(int server, long until) {
    byte[] ephemeral = SessionCrypto.newPrivateKey(random);
    byte[] myShare = SessionCrypto.publicKey(ephemeral);
    ServerEndpoint endpoint = servers.get(server);
    RequestBody body = requestBody(endpoint.id())
        .setOpenSession(OpenSessionOp.newBuilder().setClientShare(ByteString.copyFrom(myShare)))
        .build();
    callsSent.incrementAndGet();
    ListenableFuture<SessionGrant> grant = stubs.get(server)
        .withDeadlineAfter(remaining(until), TimeUnit.NANOSECONDS)
        .openSession(signed(body));
    return Futures.transform(grant, g -> {
      try {
        SessionGrantBody gb = SessionGrantBody.parseFrom(g.getBody());
        if (!endpoint.key().verify(g.getBody().toByteArray(), g.getSignature().toByteArray())
            || !gb.getServerId().equals(endpoint.id()) || !gb.getClientId().equals(clientId)
            || !ConstantTime.equal(gb.getClientShare().toByteArray(), myShare)
            || gb.getSessionId().size() != 16) {
          throw Status.UNAUTHENTICATED.withDescription("server " + endpoint.id()
              + " sent a session grant that does not verify").asRuntimeException();
        }
        byte[] shared = SessionCrypto.agree(ephemeral, gb.getServerShare().toByteArray());
        byte[] key = SessionCrypto.deriveKey(shared, Hashes.sha256(g.getBody().toByteArray()),
            Sessions.KEY_INFO);
        Arrays.fill(shared, (byte) 0);
        return new Session(gb.getSessionId(), key);
      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
        throw Status.UNAUTHENTICATED.withDescription("server " + endpoint.id()
            + " sent a malformed session grant").asRuntimeException();
      } finally {
        Arrays.fill(ephemeral, (byte) 0);
      }
    }, MoreExecutors.directExecutor());
  }

  /** {@code answer}, failed with DATA_LOSS when {@code valid} rejects it. */
  private static <R> ListenableFuture<R> checked(ListenableFuture<R> answer,
      java.util.function.Predicate<R> valid) {
    return Futures.transform(answer, r -> {
      if (!valid.test(r)) {
        throw Status.DATA_LOSS.withDescription("invalid answer").asRuntimeException();
      }
      return r;
    }, MoreExecutors.directExecutor());
  }

  private SignedRequest signed(RequestBody body) {
    byte[] bytes = body.toByteArray();
    return SignedRequest.newBuilder()
        .setBody(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(signingKey.sign(bytes)))
        .build();
  }

  private byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    random.nextBytes(n);
    return n;
  }

  private static long remaining(long untilNanos) {
    return Math.max(1, untilNanos - System.nanoTime());
  }

  /** Binds a ciphertext to its key and version, so that it cannot be moved to another. */
  static byte[] associatedData(String key, Version version) {
    return ("meridian-keystore-v1|" + key + "|" + version.getCounter() + "|"
        + version.getClientId()).getBytes(StandardCharsets.UTF_8);
  }

  private static String suspects(Map<String, String> misbehaving) {
    return misbehaving.isEmpty() ? "" : "; misbehaving: " + misbehaving;
  }

  /** Builds a {@link KeystoreClient}, validating every setting once. */
  public static final class Builder {
    private String clientId;
    private SigningKey signingKey;
    private List<ServerEndpoint> servers;
    private QuorumSystem quorums;
    private Duration deadline = Duration.ofSeconds(5);
    private Duration adminDeadline = DEFAULT_ADMIN_DEADLINE;
    private Duration adminRound;
    private SecureRandom random = new SecureRandom();
    private boolean perRequestSignatures;
    private TransportSecurity security = TransportSecurity.plaintext();
    private final Map<String, VerifyingKey> writers = new HashMap<>();

    private Builder() {}

    /** This client's id, as the servers know it. */
    public Builder clientId(String id) {
      this.clientId = Names.checkId("client id", id);
      return this;
    }

    /** This client's Ed25519 key; its public half must be registered with the servers. */
    public Builder signingKey(SigningKey key) {
      this.signingKey = Objects.requireNonNull(key, "signingKey");
      return this;
    }

    /** The servers, in index order (server i holds the share at x = i + 1). */
    public Builder servers(List<ServerEndpoint> servers) {
      this.servers = List.copyOf(servers);
      return this;
    }

    /** The quorum system the servers run (its n must equal the number of servers). */
    public Builder quorums(QuorumSystem quorums) {
      this.quorums = Objects.requireNonNull(quorums, "quorums");
      return this;
    }

    /** Deadline of every call (default 5 s), in (0, 10 min]. */
    public Builder deadline(Duration deadline) {
      if (deadline == null || deadline.isNegative() || deadline.isZero()
          || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("deadline must be in (0, 10 min], was " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * Deadline of an admin action ({@link KeystoreClient#grant}, {@link KeystoreClient#revoke};
     * default 30 s), in (0, 10 min]. Separate from {@link #deadline} because an action waits for the servers' agreement: with
     * rounds of Δ it takes about (f + 3.5)·Δ, and f + 3 slots more for each faulty
     * server whose turn it was to propose it (4.25 s at f = 1 with the default Δ = 500 ms).
     */
    public Builder adminDeadline(Duration deadline) {
      if (deadline == null || deadline.isNegative() || deadline.isZero()
          || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("admin deadline must be in (0, 10 min], was "
            + deadline);
      }
      this.adminDeadline = deadline;
      return this;
    }

    /**
     * The servers' agreement round length Δ (their {@code admin} settings; 500 ms unless
     * configured). Known, it lets an admin request go to the f + 1 servers that propose it first
     * rather than to all n, which saves the servers n − f − 1 calls, outcome signatures and
     * held requests per action; a wrong value only costs time (the client asks everyone after
     * 2·(f + 4) of its rounds). Unset (the default), admin requests go to every server.
     */
    public Builder adminRound(Duration round) {
      if (round == null || round.isNegative() || round.isZero()
          || round.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("admin round must be in (0, 1 min], was " + round);
      }
      this.adminRound = round;
      return this;
    }

    /**
     * Sign every request with Ed25519 (true) instead of MACing it under a session agreed once
     * per server with signed X25519 halves (false, the default). Both are authentic and fresh;
     * a signature check costs a server ~100 µs of a core, an HMAC ~1 µs (README "Key service").
     */
    public Builder perRequestSignatures(boolean sign) {
      this.perRequestSignatures = sign;
      return this;
    }

    /**
     * How the channels to the servers are protected (default: plaintext). With mutual TLS the
     * client presents its certificate and checks each server's against the trusted CA and the
     * address dialled; requests are still signed with {@link #signingKey} as without TLS.
     */
    public Builder transportSecurity(TransportSecurity security) {
      this.security = Objects.requireNonNull(security, "security");
      return this;
    }

    /** Source of data keys, polynomials and nonces (default: a new SecureRandom). */
    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** A writer whose records this client will read (its own key is added automatically). */
    public Builder writer(String clientId, VerifyingKey key) {
      writers.put(Names.checkId("writer id", clientId), Objects.requireNonNull(key, "key"));
      return this;
    }

    /** The client; it opens one channel per server (connections are made on first use). */
    public KeystoreClient build() {
      if (clientId == null || signingKey == null || servers == null || quorums == null) {
        throw new IllegalStateException("clientId, signingKey, servers and quorums are required");
      }
      if (servers.size() != quorums.n()) {
        throw new IllegalArgumentException(servers.size() + " servers listed but the quorum "
            + "system has n = " + quorums.n());
      }
      if (servers.stream().map(ServerEndpoint::id).distinct().count() != servers.size()) {
        throw new IllegalArgumentException("server ids must be distinct");
      }
      return new KeystoreClient(this);
    }
  }
}
