package dev.meridian.keystore.agreement;

import java.util.Arrays;
import java.util.Objects;

/**
 * One signature of a chain: process {@code signer} vouches, at position {@code i} of the chain
 * (that is, in round {@code i}), for the value and every link before it. See {@link
 * ChainSignatures} for exactly what is signed.
 *
 * @param signer the signing process's index, 0 .. n-1
 * @param signature the 64-byte Ed25519 signature (copied in and out)
 */
public record Link(int signer, byte[] signature) {
  /** Copies the signature. */
  public Link {
    signature = Objects.requireNonNull(signature, "signature").clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  byte[] unsafeSignature() {
    return signature;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Link other && signer == other.signer
        && Arrays.equals(signature, other.signature);
  }

  @Override
  public int hashCode() {
    return 31 * signer + Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "Link[p" + signer + "]";
  }
}
