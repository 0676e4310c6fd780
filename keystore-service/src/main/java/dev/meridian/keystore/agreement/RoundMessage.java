package dev.meridian.keystore.agreement;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one process sends every other process in one round of one instance: the values it
 * relays, each with its chain. The only message kind of the protocol. {@link AgreementCodec}
 * gives its byte form.
 *
 * @param instance the instance id (copied); signatures bind it, so a message of one instance is
 *     worthless in another
 * @param round the round it is sent in, 1 .. f+1
 * @param from the sending process's index
 * @param relays the relayed values (at most two: a third value changes no decision)
 * @param echoes echo chains, in the early-deciding mode only (empty otherwise): a chain's first
 *     link is a non-sender's echo of the one value it extracted in round 1, the others relays
 */
public record RoundMessage(byte[] instance, int round, int from, List<Relay> relays,
    List<Relay> echoes) {
  /** Copies the instance id, the relays and the echoes. */
  public RoundMessage {
    instance = Objects.requireNonNull(instance, "instance").clone();
    relays = List.copyOf(relays);
    echoes = List.copyOf(echoes);
  }

  /** A message without echoes (the f+1-round mode). */
  public RoundMessage(byte[] instance, int round, int from, List<Relay> relays) {
    this(instance, round, from, relays, List.of());
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
    return o instanceof RoundMessage other && round == other.round && from == other.from
        && Arrays.equals(instance, other.instance) && relays.equals(other.relays)
        && echoes.equals(other.echoes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(instance), round, from, relays, echoes);
  }

  @Override
  public String toString() {
    return "RoundMessage[round=" + round + ", from=p" + from + ", relays=" + relays
        + (echoes.isEmpty() ? "" : ", echoes=" + echoes.size()) + "]";
  }
}
