package dev.meridian.transport;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS for the links of a {@link GrpcTransport}. Every member is both a server (its peers dial it)
 * and a client (it dials its peers), so one configuration serves both roles:
 *
 * <ul>
 *   <li>{@code certChain} and {@code privateKey}: this member's certificate chain and its
 *       unencrypted PKCS#8 private key, PEM files. Presented as server certificate, and as client
 *       certificate when {@code requireClientAuth} is set.
 *   <li>{@code trustCerts}: PEM file of the CA certificates (or self-signed member certificates)
 *       that peers' certificates must chain to. A client checks that the peer's certificate names
 *       the host or IP address it dialed.
 *   <li>{@code requireClientAuth}: mutual TLS; a server refuses a peer that presents no
 *       certificate signed by {@code trustCerts}. Recommended, and what {@link #mutual} gives.
 * </ul>
 *
 * <p>TLS authenticates the peer as <em>some</em> holder of a trusted certificate; it does not bind
 * the certificate to the {@code from_node} a peer claims in its frames (see {@link GrpcTransport}).
 *
 * @param certChain this member's certificate chain, PEM
 * @param privateKey this member's private key, unencrypted PKCS#8 PEM
 * @param trustCerts certificates that peers must chain to, PEM
 * @param requireClientAuth whether the server demands a client certificate (mutual TLS)
 */
public record TlsConfig(Path certChain, Path privateKey, Path trustCerts,
    boolean requireClientAuth) {

  /**
   * @throws IllegalArgumentException if a path is null or names no readable file
   */
  public TlsConfig {
    requireReadable(certChain, "certChain");
    requireReadable(privateKey, "privateKey");
    requireReadable(trustCerts, "trustCerts");
  }

  /** Mutual TLS: both ends of every link present and check certificates. */
  public static TlsConfig mutual(Path certChain, Path privateKey, Path trustCerts) {
    return new TlsConfig(certChain, privateKey, trustCerts, true);
  }

  /** Server-authenticated TLS only: clients check servers, servers accept any client. */
  public static TlsConfig serverAuthOnly(Path certChain, Path privateKey, Path trustCerts) {
    return new TlsConfig(certChain, privateKey, trustCerts, false);
  }

  private static void requireReadable(Path p, String what) {
    if (p == null) {
      throw new IllegalArgumentException("TLS " + what + " must not be null");
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException("TLS " + what + " " + p + " is not a readable file");
    }
  }

  ServerCredentials serverCredentials() {
    try {
      TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder()
          .keyManager(certChain.toFile(), privateKey.toFile());
      if (requireClientAuth) {
        b.trustManager(trustCerts.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files " + certChain + ", " + privateKey
          + ", " + trustCerts, e);
    }
  }

  ChannelCredentials channelCredentials() {
    try {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder()
          .trustManager(trustCerts.toFile());
      if (requireClientAuth) {
        b.keyManager(certChain.toFile(), privateKey.toFile());
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files " + certChain + ", " + privateKey
          + ", " + trustCerts, e);
    }
  }
}
