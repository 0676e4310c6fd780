package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.VerifyingKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One broadcast instance: who takes part, who sends, and how many may be Byzantine.
 *
 * <p>Any {@code f < n} is allowed: with signatures a traitor cannot make a relayed value look
 * as if a correct process had vouched for it, so Dolev–Strong needs no {@code n > 3f} (which
 * oral messages do need). What f buys is the length of the run: f + 1 rounds.
 *
 * @param instance the instance id, 1..64 bytes (copied); every signature binds it, so signatures
 *     of one instance are useless in another. Callers pick a fresh id per instance (e.g. epoch
 *     and sequence number of the admin action)
 * @param keys the n processes' public keys, indexed by process
 * @param f how many processes may be Byzantine, 0 <= f < n
 * @param sender the designated sender's index
 * @param earlyDecision whether the instance runs {@link DolevStrong}'s early-deciding mode
 *     (echoes; round 2 when nobody fails, f + 1 at worst). All processes of an instance must
 *     agree on it, like on everything else here
 */
public record AgreementConfig(byte[] instance, List<VerifyingKey> keys, int f, int sender,
    boolean earlyDecision) {
  /** Longest instance id. */
  public static final int MAX_INSTANCE_BYTES = 64;
  /** Most processes supported: the codec writes process indexes in two bytes. */
  public static final int MAX_PROCESSES = 1024;

  /**
   * Validates once; messages name the bad value and the allowed range.
   *
   * @throws IllegalArgumentException if the instance id is empty or over 64 bytes, n is not in
   *     2..1024, f is not in 0..n-1, the sender is not a process, or two keys are equal
   */
  public AgreementConfig {
    Objects.requireNonNull(instance, "instance");
    if (instance.length < 1 || instance.length > MAX_INSTANCE_BYTES) {
      throw new IllegalArgumentException("instance id must be 1.." + MAX_INSTANCE_BYTES
          + " bytes, got " + instance.length);
    }
    instance = instance.clone();
    keys = List.copyOf(keys);
    int n = keys.size();
    if (n < 2 || n > MAX_PROCESSES) {
      throw new IllegalArgumentException("n must be in 2.." + MAX_PROCESSES + ", got " + n);
    }
    if (f < 0 || f >= n) {
      throw new IllegalArgumentException("f must be in 0.." + (n - 1) + " for n = " + n
          + ", got " + f);
    }
    if (sender < 0 || sender >= n) {
      throw new IllegalArgumentException("sender must be in 0.." + (n - 1) + ", got " + sender);
    }
    if (keys.stream().distinct().count() != n) {
      throw new IllegalArgumentException("the " + n + " processes' keys must be distinct");
    }
  }

  /** An instance in the f+1-round mode. */
  public AgreementConfig(byte[] instance, List<VerifyingKey> keys, int f, int sender) {
    this(instance, keys, f, sender, false);
  }

  /** The same instance with the early-deciding mode on. */
  public AgreementConfig withEarlyDecision() {
    return new AgreementConfig(instance, keys, f, sender, true);
  }

  /** Number of processes. */
  public int n() {
    return keys.size();
  }

  /** The round by which every correct process decides: f + 1. */
  public int lastRound() {
    return f + 1;
  }

  @Override
  public byte[] instance() {
    return instance.clone();
  }

  byte[] unsafeInstance() {
    return instance;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AgreementConfig other && f == other.f && sender == other.sender
        && earlyDecision == other.earlyDecision
        && Arrays.equals(instance, other.instance) && keys.equals(other.keys);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(instance), keys, f, sender, earlyDecision);
  }

  @Override
  public String toString() {
    return "AgreementConfig[instance=" + HexFormat.of().formatHex(instance) + ", n=" + n()
        + ", f=" + f + ", sender=p" + sender + (earlyDecision ? ", early decision" : "") + "]";
  }
}
