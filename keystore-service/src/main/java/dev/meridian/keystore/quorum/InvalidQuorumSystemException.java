package dev.meridian.keystore.quorum;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A quorum system that {@link QuorumCheck} refuses: the key service must not start on it.
 *
 * <p>The message names the kind, {@code n}, {@code f}, the property that fails and a witness; the
 * same facts are available as fields. {@link #witness()} holds the two quorums whose intersection
 * is too small ({@link Property#INTERSECTION}), or the one set of at most {@code f} servers whose
 * failure leaves no quorum ({@link Property#AVAILABILITY}), or nothing ({@link
 * Property#TOO_LARGE_TO_CHECK}).
 */
public final class InvalidQuorumSystemException extends Exception {

  /** Which property of a Byzantine quorum system fails. */
  public enum Property {
    /** Two quorums share fewer than {@code f + t = 2f + 1} servers. */
    INTERSECTION,
    /** Some {@code f} servers down leave no quorum among the rest. */
    AVAILABILITY,
    /**
     * The system has too many minimal quorums to be checked exhaustively, so it is not vouched for.
     */
    TOO_LARGE_TO_CHECK
  }

  private final QuorumSystem.Kind kind;
  private final int n;
  private final int f;
  private final Property property;
  private final List<BitSet> witness;

  InvalidQuorumSystemException(
      QuorumSystem system, Property property, List<BitSet> witness, String detail) {
    super(system.describe() + " is not a valid Byzantine quorum system: " + detail);
    this.kind = system.kind();
    this.n = system.n();
    this.f = system.f();
    this.property = Objects.requireNonNull(property, "property");
    this.witness = witness.stream().map(s -> (BitSet) s.clone()).toList();
  }

  /** The kind of the refused system. */
  public QuorumSystem.Kind kind() {
    return kind;
  }

  /** The refused system's number of servers. */
  public int n() {
    return n;
  }

  /** The refused system's fault bound. */
  public int f() {
    return f;
  }

  /** The property that fails. */
  public Property property() {
    return property;
  }

  /** The witness (copies): two quorums, or the failed servers, or empty; see the class comment. */
  public List<BitSet> witness() {
    return witness.stream().map(s -> (BitSet) s.clone()).toList();
  }
}
