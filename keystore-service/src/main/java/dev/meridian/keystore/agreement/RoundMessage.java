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
 */
public record RoundMessage(byte[] instance, int round, int from, List<Relay> relays) {
  /** Copies the instance id and the relays. */
  public RoundMessage {
    instance = Objects.requireNonNull(instance, "instance").clone();
    relays = List.copyOf(relays);
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
        && Arrays.equals(instance, other.instance) && relays.equals(other.relays);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(instance), round, from, relays);
  }

  @Override
  public String toString() {
    return "RoundMessage[round=" + round + ", from=p" + from + ", relays=" + relays + "]";
  }
}
