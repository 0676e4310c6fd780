package dev.meridian.examples;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadOp;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.RecordBody;
import dev.meridian.proto.v1.RequestBody;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StoredVersion;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A key-service client written against the generated gRPC stubs ({@code KeystoreGrpc}) and the
 * protobuf messages of {@code proto/meridian/v1/keystore.proto} alone, with BouncyCastle's
 * Ed25519 for signatures: what a client in another language would write first. It asks every
 * server for the newest records of one key (records only, no shares), each in its own signed
 * request, and checks each record's writer signature.
 *
 * <p>What it shows a client must do itself: serialize a {@code RequestBody} (its client id, a
 * current timestamp, 16 fresh random bytes of nonce, the server it is for, the operation) and
 * sign exactly those bytes with its Ed25519 key; trust a record only if its writer's signature
 * over the record body verifies. What a full reader must do beyond this (see README, "Clients
 * in other languages"): ask a quorum, take the newest version with t shares that verify against
 * the record's Feldman commitments, rebuild the data key, open the ciphertext, and write the
 * version back to the quorum members that lacked it.
 *
 * <p>Usage: {@code StubsOnlyReader CLIENT_CONFIG KEY}, with a client config as {@code keystore
 * local-grid --dir} writes it. When the config has {@code tls.cert}, {@code tls.key} and {@code
 * tls.ca}, it dials with gRPC's own mutual-TLS credentials from those PEM files; otherwise in
 * plaintext.
 */
public final class StubsOnlyReader {
  private static final SecureRandom RANDOM = new SecureRandom();

  private StubsOnlyReader() {}

  /** A server as the client config names it. */
  public record Server(String id, String host, int port) {}

  /**
   * What one server answered: its newest version of the key ("-" if it holds none, or the call's
   * status if it failed), the writer, and whether the writer's signature verified.
   */
  public record Answer(String server, String version, boolean signatureVerifies) {}

  /**
   * Asks each server for the key's newest record.
   *
   * @param sign signs bytes with the client's Ed25519 key
   * @param writers writers' 32-byte Ed25519 public keys, by client id
   */
  public static List<Answer> newestRecords(List<Server> servers, String clientId,
      UnaryOperator<byte[]> sign, Map<String, byte[]> writers, String key, Duration deadline) {
    return newestRecords(servers, clientId, sign, writers, key, deadline,
        InsecureChannelCredentials.create());
  }

  /**
   * As {@link #newestRecords(List, String, UnaryOperator, Map, String, Duration)}, dialling with
   * {@code credentials} (e.g. TLS).
   */
  public static List<Answer> newestRecords(List<Server> servers, String clientId,
      UnaryOperator<byte[]> sign, Map<String, byte[]> writers, String key, Duration deadline,
      ChannelCredentials credentials) {
    List<Answer> answers = new ArrayList<>();
    for (Server server : servers) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(server.host(), server.port(),
          credentials).build();
      try {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        byte[] body = RequestBody.newBuilder()
            .setClientId(clientId)
            .setTimestampMillis(System.currentTimeMillis())
            .setNonce(ByteString.copyFrom(nonce))
            .setServerId(server.id())
            .setRead(ReadOp.newBuilder().setKey(key).setShares(false))
            .build().toByteArray();
        SignedRequest request = SignedRequest.newBuilder()
            .setBody(ByteString.copyFrom(body))
            .setSignature(ByteString.copyFrom(sign.apply(body)))
            .build();
        ReadReply reply = KeystoreGrpc.newBlockingStub(channel)
            .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .read(request);
        if (reply.getVersionsCount() == 0) {
          answers.add(new Answer(server.id(), "-", false));
          continue;
        }
        StoredVersion newest = reply.getVersions(0); // newest first
        RecordBody record = RecordBody.parseFrom(newest.getRecord().getBody());
        String writer = record.getVersion().getClientId();
        byte[] writerKey = writers.get(writer);
        byte[] signed = newest.getRecord().getBody().toByteArray();
        byte[] signature = newest.getRecord().getSignature().toByteArray();
        boolean verifies = writerKey != null && signature.length == Ed25519.SIGNATURE_SIZE
            && Ed25519.verify(signature, 0, writerKey, 0, signed, 0, signed.length);
        answers.add(new Answer(server.id(), record.getVersion().getCounter() + "/" + writer
            + (record.getTombstone() ? " (deleted)" : ""), verifies));
      } catch (StatusRuntimeException e) {
        answers.add(new Answer(server.id(), e.getStatus().getCode().toString(), false));
      } catch (InvalidProtocolBufferException e) {
        answers.add(new Answer(server.id(), "an unparseable record", false));
      } finally {
        channel.shutdownNow();
      }
    }
    return answers;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: StubsOnlyReader CLIENT_CONFIG KEY");
      System.exit(2);
    }
    Path config = Path.of(args[0]);
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    String clientId = value(p, "client.id");
    byte[] seed = HexFormat.of().parseHex(Files.readString(
        config.resolveSibling(value(p, "key-file"))).strip());
    List<Server> servers = new ArrayList<>();
    for (String entry : value(p, "servers").split(",")) {
      String[] idAndAddress = entry.strip().split("@", 2);
      int colon = idAndAddress[1].lastIndexOf(':');
      servers.add(new Server(idAndAddress[0], idAndAddress[1].substring(0, colon),
          Integer.parseInt(idAndAddress[1].substring(colon + 1))));
    }
    Map<String, byte[]> writers = new LinkedHashMap<>();
    byte[] own = new byte[Ed25519.PUBLIC_KEY_SIZE];
    Ed25519.generatePublicKey(seed, 0, own, 0);
    writers.put(clientId, own);
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith("writer.") && name.endsWith(".public-key")) {
        String v = value(p, name);
        String hex = v.matches("[0-9a-fA-F]{64}") ? v
            : Files.readString(config.resolveSibling(v)).strip();
        writers.put(name.substring(7, name.length() - 11), HexFormat.of().parseHex(hex));
      }
    }
    UnaryOperator<byte[]> sign = body -> {
      byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
      Ed25519.sign(seed, 0, body, 0, body.length, signature, 0);
      return signature;
    };
    ChannelCredentials credentials = InsecureChannelCredentials.create();
    if (p.getProperty("tls.cert") != null) {
      // Mutual TLS as the servers require it: our certificate and key, and the CA to trust.
      credentials = TlsChannelCredentials.newBuilder()
          .keyManager(config.resolveSibling(value(p, "tls.cert")).toFile(),
              config.resolveSibling(value(p, "tls.key")).toFile())
          .trustManager(config.resolveSibling(value(p, "tls.ca")).toFile())
          .build();
    }
    for (Answer a : newestRecords(servers, clientId, sign, writers, args[1],
        Duration.ofSeconds(3), credentials)) {
      System.out.println(a.server() + ": " + a.version()
          + (a.version().contains("/") ? (a.signatureVerifies() ? ", writer's signature verifies"
              : ", WRITER'S SIGNATURE DOES NOT VERIFY") : ""));
    }
  }

  /** A property's value, without a trailing " # comment" (as the config files allow). */
  private static String value(Properties p, String name) {
    String v = p.getProperty(name);
    if (v == null) {
      throw new IllegalArgumentException("the client config has no " + name);
    }
    int comment = v.indexOf(" #");
    return (comment >= 0 ? v.substring(0, comment) : v).strip();
  }
}
