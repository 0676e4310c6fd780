/**
 * TLS for the key service's gRPC links: a small certificate authority on BouncyCastle ({@link
 * dev.meridian.keystore.tls.TlsCertificates}: ECDSA P-256, PEM files, private keys owner-only)
 * and {@link dev.meridian.keystore.tls.TransportSecurity}, which turns a certificate, its key and
 * a trusted CA into gRPC credentials for mutual TLS (or plaintext). TLS is a layer under the
 * service's Ed25519-signed requests and answers, not a replacement for them.
 */
package dev.meridian.keystore.tls;
