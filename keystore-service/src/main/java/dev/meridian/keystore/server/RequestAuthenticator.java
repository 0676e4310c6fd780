package dev.meridian.keystore.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.keystore.crypto.SessionCrypto;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.wire.Names;
import dev.meridian.keystore.wire.Sessions;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Decides whether a signed message really comes from the client it names, now, for the first
 * time: the signature verifies under that client's registered key, the timestamp is within the
 * freshness window of this server's clock, and the (client, nonce) pair has not been seen within
 * twice that window. The signature is checked before the nonce is remembered, so unauthenticated
 * traffic cannot fill the nonce cache or burn a real client's nonce.
 *
 * <p>Limit: the nonce cache is bounded ({@link #MAX_NONCES}); if a flood of authenticated
 * requests ever exceeded it within one window, the oldest nonces would be forgotten early. At
 * the figures measured here that needs tens of thousands of requests per second per server.
 */
final class RequestAuthenticator {
  static final int NONCE_BYTES = 16;
  static final long MAX_NONCES = 4_000_000;

  private final Map<String, VerifyingKey> clients;
  private final long windowMillis;
  private final LongSupplier clockMillis;
  private final Cache<String, Boolean> seen;
  // Sessions agreed by OpenSession: a client that finds its session gone opens another.
  private final Cache<ByteString, Session> sessions = Caffeine.newBuilder()
      .expireAfterAccess(10, TimeUnit.MINUTES)
      .maximumSize(100_000)
      .build();

  RequestAuthenticator(Map<String, VerifyingKey> clients, Duration window, LongSupplier clockMillis) {
    this.clients = clients;
    this.windowMillis = window.toMillis();
    this.clockMillis = clockMillis;
    this.seen = Caffeine.newBuilder()
        .expireAfterWrite(2 * windowMillis, TimeUnit.MILLISECONDS)
        .maximumSize(MAX_NONCES)
        .build();
  }

  /**
   * An authenticated, fresh request: its body, and the key of the session it came over (null if
   * it was signed), with which the answer is MACed.
   */
  record Authenticated(RequestBody body, byte[] sessionKey) {}

  /** The request, if it is authentic and fresh; a {@link Rejection} if not. */
  Authenticated authenticate(SignedRequest request) {
    RequestBody body = parse(request);
    byte[] sessionKey = null;
    if (!request.getSessionId().isEmpty()) {
      Session session = sessions.getIfPresent(request.getSessionId());
      if (session == null) {
        throw Rejection.unauthenticated(Sessions.UNKNOWN_SESSION + " (client " + body.getClientId()
            + "): open a new one");
      }
      if (!session.clientId().equals(body.getClientId())
          || !SessionCrypto.verifyHmac(session.key(), request.getBody().toByteArray(),
              request.getMac().toByteArray())) {
        throw Rejection.unauthenticated("request MAC does not verify under the session of client "
            + session.clientId());
      }
      sessionKey = session.key();
    } else {
      VerifyingKey key = clientKey(body.getClientId());
      if (!key.verify(request.getBody().toByteArray(), request.getSignature().toByteArray())) {
        throw Rejection.unauthenticated("request signature does not verify under client "
            + body.getClientId() + "'s key");
      }
    }
    checkFresh(body.getClientId(), body.getTimestampMillis(), body.getNonce());
    return new Authenticated(body, sessionKey);
  }

  /** Remembers a session agreed with {@code clientId} (idle sessions expire). */
  void addSession(ByteString sessionId, String clientId, byte[] key) {
    sessions.put(sessionId, new Session(clientId, key));
  }

  private record Session(String clientId, byte[] key) {}

  /** The registered key of {@code clientId}; UNAUTHENTICATED naming it if unknown. */
  VerifyingKey clientKey(String clientId) {
    if (!Names.isId(clientId)) {
      throw Rejection.invalid("client id is missing or malformed");
    }
    VerifyingKey key = clients.get(clientId);
    if (key == null) {
      throw Rejection.unauthenticated("unknown client " + clientId);
    }
    return key;
  }

  /** The request's body; INVALID_ARGUMENT if it does not parse. */
  static RequestBody parse(SignedRequest request) {
    try {
      return RequestBody.parseFrom(request.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.invalid("request body is not a valid RequestBody message");
    }
  }

  /**
   * What can be checked of a request without its signature: the client is registered and the
   * timestamp is within the window of this server's clock. Remembers no nonce (unchecked bytes
   * must not burn a real client's nonce).
   */
  void checkTimestamp(String clientId, long timestampMillis) {
    clientKey(clientId);
    checkWindow(clientId, timestampMillis);
  }

  /**
   * Checks a signed message's timestamp and nonce (call after its signature verified): within
   * the window, and a nonce this client has not used within twice the window.
   */
  void checkFresh(String clientId, long timestampMillis, ByteString nonce) {
    checkWindow(clientId, timestampMillis);
    rememberNonce(clientId, nonce);
  }

  private void checkWindow(String clientId, long timestampMillis) {
    long now = clockMillis.getAsLong();
    long skew = timestampMillis - now;
    if (Math.abs(skew) > windowMillis) {
      throw new Rejection(Rejection.Reason.STALE, "request from " + clientId
          + " is stale or from the future: its timestamp is " + skew
          + " ms from this server's clock, the window is ±" + windowMillis + " ms");
    }
  }

  private void rememberNonce(String clientId, ByteString nonce) {
    if (nonce.size() != NONCE_BYTES) {
      throw Rejection.invalid("nonce must be " + NONCE_BYTES + " bytes, was " + nonce.size());
    }
    String id = clientId + '/' + HexFormat.of().formatHex(nonce.toByteArray());
    if (seen.asMap().putIfAbsent(id, Boolean.TRUE) != null) {
      throw new Rejection(Rejection.Reason.REPLAYED, "replayed request: client " + clientId
          + " already used this nonce");
    }
  }
}
