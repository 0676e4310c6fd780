package dev.meridian.keystore;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.server.KeyServerCore;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.proto.v1.CompleteReply;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.StoredVersion;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.BindableService;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Key servers that misbehave on purpose, speaking the real protocol over real gRPC: each wraps an
 * honest {@link KeyServerCore} (which holds the server's real identity and store) and lies in one
 * way. They are what DESIGN.md's threat model allows a Byzantine server: withhold, delay, replay
 * old data, corrupt, equivocate. They cannot forge a client's signature.
 */
final class ByzantineFaces {
  /** The kinds of misbehaviour of one server alone (equivocation needs two: see {@link Twins}). */
  enum Kind { SILENT, SLOW, STALE, CORRUPT_SHARES, BAD_SIGNATURES }

  private static final ScheduledExecutorService DELAYS = Executors.newScheduledThreadPool(1, r -> {
    Thread t = new Thread(r, "byzantine-delays");
    t.setDaemon(true);
    return t;
  });

  private ByzantineFaces() {}

  static Function<KeyServerCore, BindableService> of(Kind kind) {
    return switch (kind) {
      case SILENT -> core -> new Silent();
      case SLOW -> core -> new Slow(new KeystoreGrpcService(core), 300);
      case STALE -> Stale::new;
      case CORRUPT_SHARES -> CorruptShares::new;
      case BAD_SIGNATURES -> BadSignatures::new;
    };
  }

  /** Never answers (the client's deadline ends each call); requests are dropped. */
  static final class Silent extends KeystoreGrpc.KeystoreImplBase {
    final List<StreamObserver<?>> held = new CopyOnWriteArrayList<>();

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) { held.add(o); }
    @Override public void write(WriteRequest r, StreamObserver<StoreAck> o) { held.add(o); }
    @Override public void writeBack(WriteBackRequest r, StreamObserver<StoreAck> o) { held.add(o); }
    @Override public void complete(SignedRequest r, StreamObserver<CompleteReply> o) { held.add(o); }
    @Override public void openSession(SignedRequest r, StreamObserver<SessionGrant> o) { held.add(o); }
  }

  /** Honest, but every answer comes {@code delayMillis} late. */
  static final class Slow extends KeystoreGrpc.KeystoreImplBase {
    private final KeystoreGrpcService honest;
    private final long delayMillis;

    Slow(KeystoreGrpcService honest, long delayMillis) {
      this.honest = honest;
      this.delayMillis = delayMillis;
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      DELAYS.schedule(() -> honest.read(r, o), delayMillis, TimeUnit.MILLISECONDS);
    }
    @Override public void write(WriteRequest r, StreamObserver<StoreAck> o) {
      DELAYS.schedule(() -> honest.write(r, o), delayMillis, TimeUnit.MILLISECONDS);
    }
    @Override public void writeBack(WriteBackRequest r, StreamObserver<StoreAck> o) {
      DELAYS.schedule(() -> honest.writeBack(r, o), delayMillis, TimeUnit.MILLISECONDS);
    }
    @Override public void complete(SignedRequest r, StreamObserver<CompleteReply> o) {
      DELAYS.schedule(() -> honest.complete(r, o), delayMillis, TimeUnit.MILLISECONDS);
    }
    @Override public void openSession(SignedRequest r, StreamObserver<SessionGrant> o) {
      DELAYS.schedule(() -> honest.openSession(r, o), delayMillis, TimeUnit.MILLISECONDS);
    }
  }

  /** Answers every call as an honest server would; a face overrides what it lies about. */
  abstract static class Forwarding extends KeystoreGrpc.KeystoreImplBase {
    final KeystoreGrpcService honest;

    Forwarding(KeyServerCore core) {
      this.honest = new KeystoreGrpcService(core);
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) { honest.read(r, o); }
    @Override public void write(WriteRequest r, StreamObserver<StoreAck> o) { honest.write(r, o); }
    @Override public void writeBack(WriteBackRequest r, StreamObserver<StoreAck> o) {
      honest.writeBack(r, o);
    }
    @Override public void complete(SignedRequest r, StreamObserver<CompleteReply> o) {
      honest.complete(r, o);
    }
    @Override public void openSession(SignedRequest r, StreamObserver<SessionGrant> o) {
      honest.openSession(r, o);
    }

    /** Answers a read honestly, but with every version that carries a share rewritten. */
    void readRewritingShares(SignedRequest r, StreamObserver<ReadReply> o,
        java.util.function.UnaryOperator<StoredVersion> rewrite) {
      honest.read(r, new Rewriting<>(o, reply -> {
        ReadReply.Builder b = reply.toBuilder().clearVersions();
        for (StoredVersion v : reply.getVersionsList()) {
          b.addVersions(v.getShare().isEmpty() ? v : rewrite.apply(v));
        }
        return b.build();
      }));
    }
  }

  /**
   * Stores honestly and acknowledges honestly, but answers every read of a key with the first
   * answer it ever gave for that key, and ignores completions: it replays old data for ever while
   * counting towards write quorums.
   */
  static final class Stale extends Forwarding {
    private final Map<String, ReadReply> firstAnswers = new ConcurrentHashMap<>();

    Stale(KeyServerCore core) {
      super(core);
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      String key;
      try {
        key = RequestBody.parseFrom(r.getBody()).getRead().getKey();
      } catch (InvalidProtocolBufferException e) {
        key = "";
      }
      String k = key;
      honest.read(r, new Rewriting<>(o, reply -> reply.getVersionsCount() == 0 ? reply
          : firstAnswers.computeIfAbsent(k, x -> reply)));
    }

    @Override public void complete(SignedRequest r, StreamObserver<CompleteReply> o) {
      o.onNext(CompleteReply.getDefaultInstance());
      o.onCompleted();
    }
  }

  /** Honest storage, but the shares it returns have a flipped bit, and its acks are honest. */
  static final class CorruptShares extends Forwarding {

    CorruptShares(KeyServerCore core) {
      super(core);
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      readRewritingShares(r, o, v -> {
        byte[] y = v.getShare().toByteArray();
        y[31] ^= 1;
        return v.toBuilder().setShare(ByteString.copyFrom(y)).build();
      });
    }
  }

  /**
   * Claims a newer share refresh than anyone: each share it returns is of refresh 7 and verifies
   * against commitments it shows with it, but those commit to a secret it made up (another C_0).
   */
  static final class FakeSharing extends Forwarding {
    private final int x;
    private final int t;

    FakeSharing(KeyServerCore core) {
      super(core);
      this.x = core.config().shareX();
      this.t = core.config().threshold();
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      readRewritingShares(r, o, v -> {
        // A dealing needs t holders at least: deal to x and the x-coordinates after it.
        dev.meridian.keystore.shamir.Dealing made = dev.meridian.keystore.shamir.FeldmanVss
            .secp256k1().deal(t, java.util.stream.IntStream.range(x, x + t).boxed().toList(),
                new java.security.SecureRandom());
        return v.toBuilder().setShare(ByteString.copyFrom(made.shares().get(0).yBytes()))
            .setShareEpoch(7)
            .setShareCommitments(ByteString.copyFrom(made.commitments().encode())).build();
      });
    }
  }

  /**
   * Returns records whose writer signature is broken (a body byte changed: a newer counter it
   * hopes the client believes) and acknowledgements with a broken signature.
   */
  static final class BadSignatures extends Forwarding {

    BadSignatures(KeyServerCore core) {
      super(core);
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      honest.read(r, new Rewriting<>(o, reply -> {
        ReadReply.Builder b = reply.toBuilder().clearVersions();
        for (StoredVersion v : reply.getVersionsList()) {
          RecordBody body = parse(v.getRecord().getBody());
          RecordBody forged = body.toBuilder()
              .setVersion(body.getVersion().toBuilder().setCounter(body.getVersion().getCounter() + 1000))
              .build();
          b.addVersions(v.toBuilder().setRecord(v.getRecord().toBuilder()
              .setBody(forged.toByteString())));
        }
        return b.build();
      }));
    }
    @Override public void write(WriteRequest r, StreamObserver<StoreAck> o) {
      honest.write(r, new Rewriting<>(o, ack -> {
        if (!ack.getMac().isEmpty()) {
          byte[] mac = ack.getMac().toByteArray();
          mac[0] ^= 1;
          return ack.toBuilder().setMac(ByteString.copyFrom(mac)).build();
        }
        byte[] sig = ack.getSignature().toByteArray();
        sig[0] ^= 1;
        return ack.toBuilder().setSignature(ByteString.copyFrom(sig)).build();
      }));
    }
  }

  /**
   * Two twins under one identity: two honest cores with the same id and signing key but separate
   * stores; requests from clients in {@code twinB} go to the second, all others to the first. Each
   * twin alone is correct; together they tell different clients different stories.
   */
  static final class Twins extends KeystoreGrpc.KeystoreImplBase {
    private final KeystoreGrpcService a;
    private final KeystoreGrpcService b;
    private final Set<String> twinB;

    Twins(KeyServerCore a, KeyServerCore b, Set<String> twinB) {
      this.a = new KeystoreGrpcService(a);
      this.b = new KeystoreGrpcService(b);
      this.twinB = new HashSet<>(twinB);
    }

    private KeystoreGrpcService pick(String client) {
      return twinB.contains(client) ? b : a;
    }

    @Override public void read(SignedRequest r, StreamObserver<ReadReply> o) {
      pick(client(r)).read(r, o);
    }
    @Override public void write(WriteRequest r, StreamObserver<StoreAck> o) {
      pick(parse(r.getRecord().getBody()).getVersion().getClientId()).write(r, o);
    }
    @Override public void writeBack(WriteBackRequest r, StreamObserver<StoreAck> o) {
      pick(client(r.getRequest())).writeBack(r, o);
    }
    @Override public void complete(SignedRequest r, StreamObserver<CompleteReply> o) {
      pick(client(r)).complete(r, o);
    }
    @Override public void openSession(SignedRequest r, StreamObserver<SessionGrant> o) {
      pick(client(r)).openSession(r, o);
    }

    private static String client(SignedRequest r) {
      try {
        return RequestBody.parseFrom(r.getBody()).getClientId();
      } catch (InvalidProtocolBufferException e) {
        return "";
      }
    }
  }

  static RecordBody parse(ByteString body) {
    try {
      return RecordBody.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      return RecordBody.getDefaultInstance();
    }
  }

  /** Passes answers on after rewriting them. */
  static final class Rewriting<T> implements StreamObserver<T> {
    private final StreamObserver<T> out;
    private final Function<T, T> rewrite;

    Rewriting(StreamObserver<T> out, Function<T, T> rewrite) {
      this.out = out;
      this.rewrite = rewrite;
    }

    @Override public void onNext(T value) { out.onNext(rewrite.apply(value)); }
    @Override public void onError(Throwable t) { out.onError(t); }
    @Override public void onCompleted() { out.onCompleted(); }
  }

}
