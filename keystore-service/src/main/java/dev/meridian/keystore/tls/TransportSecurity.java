package dev.meridian.keystore.tls;

import dev.meridian.keystore.tls.TlsFileException.Part;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a key-service transport protects its connections: plaintext, or mutual TLS. One value
 * serves both ends of a link, since a key server accepts calls (from clients and peers) and an
 * agreement node also dials its peers: {@link #serverCredentials()} for the listening side,
 * {@link #channelCredentials()} for the dialling side.
 *
 * <p>Mutual TLS: each end presents its certificate ({@link #certificate()}, with {@link
 * #privateKey()}), and accepts the other end's only if it chains to a certificate in {@link
 * #trustedCa()}. A server requires a client certificate (no certificate, no call); a client checks
 * that the server's certificate names the host or IP address it dialled. TLS is a layer under the
 * key service's own authentication, not a replacement: every request is still signed (or MACed
 * under a signed session) by the client's Ed25519 key and every answer by the server's, so a
 * holder of a CA-signed certificate is not thereby a client the servers accept, and TLS does not
 * bind a certificate to a server or client id. What TLS adds: confidentiality of the traffic
 * (record metadata, key names, which client asks what; shares are already encrypted to their
 * server), and that only holders of the CA's certificates can open a connection at all.
 *
 * <p>Failure model: {@link #mutualTls} reads and checks the three files at once and throws
 * {@link TlsFileException} naming the file at fault ({@link TlsFileException#part()}): missing or
 * unreadable, not PEM, a key that is not the certificate's, a key file others may read, a
 * certificate not signed by a trusted CA, or one outside its validity. The files are read once;
 * later changes to them are not seen. A handshake that fails at run time (the other end
 * trusts another CA, presents no certificate, or speaks plaintext) fails the call with {@code
 * UNAVAILABLE}; {@link #toString()} shows the paths only.
 */
public final class TransportSecurity {
  private static final TransportSecurity PLAINTEXT = new TransportSecurity(null, null, null,
      null, null, null);

  private final Path certificate;
  private final Path privateKey;
  private final Path trustedCa;
  // The PEM bytes read and checked at construction, so credentials never meet a changed file.
  private final byte[] certificatePem;
  private final byte[] privateKeyPem;
  private final byte[] trustedCaPem;

  private TransportSecurity(Path certificate, Path privateKey, Path trustedCa,
      byte[] certificatePem, byte[] privateKeyPem, byte[] trustedCaPem) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.trustedCa = trustedCa;
    this.certificatePem = certificatePem;
    this.privateKeyPem = privateKeyPem;
    this.trustedCaPem = trustedCaPem;
  }

  /** No TLS: for 127.0.0.1 and trusted networks. */
  public static TransportSecurity plaintext() {
    return PLAINTEXT;
  }

  /**
   * Mutual TLS with this end's certificate and key, trusting the CA certificates in {@code
   * trustedCa}.
   *
   * @throws TlsFileException naming the file at fault (see the class comment)
   */
  public static TransportSecurity mutualTls(Path certificate, Path privateKey, Path trustedCa)
      throws TlsFileException {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCa, "trustedCa");
    List<X509Certificate> chain = TlsCertificates.readCertificates(certificate, Part.CERTIFICATE);
    List<X509Certificate> cas = TlsCertificates.readCertificates(trustedCa, Part.TRUSTED_CA);
    PrivateKey key = TlsCertificates.readPrivateKey(privateKey);
    TlsCertificates.checkPair(chain.get(0), key, certificate, privateKey);
    TlsCertificates.checkIssuedBy(chain.get(chain.size() - 1), cas, certificate, trustedCa);
    return new TransportSecurity(certificate, privateKey, trustedCa,
        read(certificate, Part.CERTIFICATE), read(privateKey, Part.PRIVATE_KEY),
        read(trustedCa, Part.TRUSTED_CA));
  }

  private static byte[] read(Path file, Part part) throws TlsFileException {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException(part, file + " cannot be read: " + e);
    }
  }

  /** Whether this is TLS (else plaintext). */
  public boolean isTls() {
    return certificate != null;
  }

  /** This end's certificate file; empty for plaintext. */
  public Optional<Path> certificate() {
    return Optional.ofNullable(certificate);
  }

  /** This end's private key file; empty for plaintext. */
  public Optional<Path> privateKey() {
    return Optional.ofNullable(privateKey);
  }

  /** The file of CA certificates the other end must chain to; empty for plaintext. */
  public Optional<Path> trustedCa() {
    return Optional.ofNullable(trustedCa);
  }

  /** For a listening server: TLS requiring a client certificate from the CA, or plaintext. */
  public ServerCredentials serverCredentials() {
    if (!isTls()) {
      return InsecureServerCredentials.create();
    }
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(new ByteArrayInputStream(certificatePem),
              new ByteArrayInputStream(privateKeyPem))
          .trustManager(new ByteArrayInputStream(trustedCaPem))
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
    } catch (IOException e) {
      // In-memory streams over files that were checked when this was made.
      throw new UncheckedIOException("TLS files " + certificate + ", " + trustedCa, e);
    }
  }

  /** For a dialling channel: TLS presenting this end's certificate, or plaintext. */
  public ChannelCredentials channelCredentials() {
    if (!isTls()) {
      return InsecureChannelCredentials.create();
    }
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(new ByteArrayInputStream(certificatePem),
              new ByteArrayInputStream(privateKeyPem))
          .trustManager(new ByteArrayInputStream(trustedCaPem))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("TLS files " + certificate + ", " + trustedCa, e);
    }
  }

  /**
   * A channel to {@code address} with {@link #channelCredentials()}, its calls completed on the
   * transport's threads (callers only hand results on): how the key service's clients and
   * servers dial each other.
   */
  public ManagedChannel dial(InetSocketAddress address) {
    return NettyChannelBuilder.forAddress(address, channelCredentials()).directExecutor().build();
  }

  /**
   * A failed call's status in one line, naming a TLS handshake failure as such with its root
   * cause (e.g. {@code UNAVAILABLE: TLS handshake failed: unable to find valid certification
   * path to requested target}), and for other connection failures the cause gRPC summarises as
   * "io exception" (e.g. {@code Connection refused}).
   */
  public static String explain(Status status) {
    Throwable ssl = null;
    Throwable root = null;
    for (Throwable t = status.getCause(); t != null && t != root; t = t.getCause()) {
      if (ssl == null && t instanceof javax.net.ssl.SSLException) {
        ssl = t;
      }
      root = t;
    }
    if (ssl != null) {
      return status.getCode() + ": TLS handshake failed: " + firstLine(root.getMessage());
    }
    String description = status.getDescription() == null ? ""
        : firstLine(status.getDescription());
    if (root != null && (description.isEmpty() || description.equals("io exception"))) {
      description = firstLine(root.getMessage());
    }
    return status.getCode() + (description.isEmpty() ? "" : ": " + description);
  }

  private static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }

  /** Plaintext, or the three paths; never key material. */
  @Override
  public String toString() {
    return isTls() ? "TransportSecurity[mutual TLS, certificate " + certificate + ", key "
        + privateKey + ", trusted CA " + trustedCa + "]" : "TransportSecurity[plaintext]";
  }
}
