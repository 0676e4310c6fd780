package dev.meridian.keystore.client;

import dev.meridian.proto.v1.Version;
import java.util.Arrays;
import java.util.Map;

/**
 * What a read returned: the secret, the version it is, and the servers caught misbehaving on the
 * way (an invalid signature, a share that fails its commitments, a ciphertext that does not match
 * its signed hash), each with what it did. With at most f faulty servers the value is the last
 * one written (or a concurrent one); {@link #faultBoundExceeded()} says more than f were caught,
 * when the guarantee no longer holds.
 *
 * @param value the secret (the caller's to zero after use); toString never shows it
 */
public record ReadResult(byte[] value, Version version, Map<String, String> misbehaving,
    boolean faultBoundExceeded) {

  public ReadResult {
    misbehaving = Map.copyOf(misbehaving);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReadResult r && Arrays.equals(value, r.value) && version.equals(r.version)
        && misbehaving.equals(r.misbehaving) && faultBoundExceeded == r.faultBoundExceeded;
  }

  @Override
  public int hashCode() {
    return version.hashCode();
  }

  @Override
  public String toString() {
    return "ReadResult[value=<" + value.length + " bytes redacted>, version="
        + version.getCounter() + "/" + version.getClientId() + ", misbehaving=" + misbehaving
        + "]";
  }
}
