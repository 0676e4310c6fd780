/**
 * The key service's cryptographic primitives, each a thin, typed wrapper with one job.
 *
 * <ul>
 *   <li>{@link dev.meridian.keystore.crypto.SigningKey} / {@link
 *       dev.meridian.keystore.crypto.VerifyingKey}: Ed25519 (RFC 8032) on BouncyCastle's
 *       low-level implementation; the public point is decoded once per key, not per verify.
 *   <li>{@link dev.meridian.keystore.crypto.Envelope}: AES-256-GCM with a random 96-bit nonce,
 *       for sealing a secret under a fresh data key.
 *   <li>{@link dev.meridian.keystore.crypto.Hashes} and {@link
 *       dev.meridian.keystore.crypto.ConstantTime}: SHA-256 and constant-time comparison.
 * </ul>
 *
 * <p>Failure model shared by all of them: a caller's mistake (a key of the wrong length, a null
 * argument, a destroyed key) is an unchecked exception; data that fails a cryptographic check is
 * an ordinary outcome — {@code false} from {@code verify}, the checked {@link
 * dev.meridian.keystore.crypto.EnvelopeException} from {@code open}. No exception message and no
 * {@code toString} ever contains secret material (private keys, data keys, plaintexts).
 */
package dev.meridian.keystore.crypto;
