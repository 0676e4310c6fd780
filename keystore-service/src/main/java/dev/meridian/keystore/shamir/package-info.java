/**
 * Feldman-verifiable Shamir secret sharing over the secp256k1 group order: {@link
 * dev.meridian.keystore.shamir.FeldmanVss} deals a secret into {@link
 * dev.meridian.keystore.shamir.Share}s with public {@link
 * dev.meridian.keystore.shamir.Commitments}, verifies a share against them, and reconstructs
 * the secret (or any other share) from t shares. {@link
 * dev.meridian.keystore.shamir.ShareRefresh} renews the shares of the same secret (a proactive
 * refresh, epoch e to e + 1) and {@link dev.meridian.keystore.shamir.Resharing} moves them to a
 * new set of holders with a possibly different threshold; shares of different epochs never
 * combine. Which dealers count in either is decided by Byzantine agreement, outside this
 * package.
 *
 * <p>Secrets ({@link dev.meridian.keystore.shamir.SecretScalar}, a share's y) are {@link
 * javax.security.auth.Destroyable}, print as {@code <redacted>}, and are computed on in constant
 * time with fixed-width limbs; see the class comment of {@code ModQ} for how, and for what the
 * JVM does not let us promise.
 */
package dev.meridian.keystore.shamir;
