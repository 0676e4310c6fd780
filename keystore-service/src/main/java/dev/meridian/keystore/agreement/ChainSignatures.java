package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a link of a chain signs: a domain tag, the instance id, the link's position (= the round
 * it is sent in), the signer, the value, and every earlier link (signer and signature). So a
 * signature cannot be moved to another instance, another round, another value or another
 * chain: a relayer vouches for exactly the history it saw.
 */
public final class ChainSignatures {
  private static final byte[] TAG =
      "meridian/keystore/agreement/dolev-strong/v1".getBytes(StandardCharsets.US_ASCII);
  /**
   * Echo chains (the early-deciding mode) sign under their own tag, so that no link of an echo
   * chain verifies as a link of a value chain or the other way round.
   */
  private static final byte[] ECHO_TAG =
      "meridian/keystore/agreement/echo/v1".getBytes(StandardCharsets.US_ASCII);

  private ChainSignatures() {}

  /** The bytes link number {@code position} (1-based) by {@code signer} signs. */
  public static byte[] signedBytes(byte[] instance, int position, int signer, Value value,
      List<Link> earlier) {
    return signedBytes(TAG, instance, position, signer, value, earlier);
  }

  /**
   * The bytes link number {@code position} (1-based) of an echo chain signs: the first link is
   * the echo itself ("in round 1 I extracted exactly this value and no other"), the later ones
   * relays of it.
   */
  public static byte[] echoSignedBytes(byte[] instance, int position, int signer, Value value,
      List<Link> earlier) {
    return signedBytes(ECHO_TAG, instance, position, signer, value, earlier);
  }

  private static byte[] signedBytes(byte[] tag, byte[] instance, int position, int signer,
      Value value, List<Link> earlier) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + value.length()
        + 70 * earlier.size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(tag);
      out.writeShort(instance.length);
      out.write(instance);
      out.writeInt(position);
      out.writeInt(signer);
      out.writeInt(value.length());
      out.write(value.unsafeBytes());
      out.writeInt(earlier.size());
      for (Link link : earlier) {
        out.writeInt(link.signer());
        out.write(link.unsafeSignature());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /** {@code chain} with one more link, by {@code signer} with {@code key}. */
  public static Relay extend(byte[] instance, Relay relay, int signer, SigningKey key) {
    List<Link> chain = relay.chain();
    byte[] signature = key.sign(signedBytes(instance, chain.size() + 1, signer, relay.value(),
        chain));
    Link[] longer = chain.toArray(new Link[chain.size() + 1]);
    longer[chain.size()] = new Link(signer, signature);
    return new Relay(relay.value(), List.of(longer));
  }

  /** The one-link chain by which the sender starts the broadcast of {@code value}. */
  public static Relay start(byte[] instance, Value value, int sender, SigningKey key) {
    byte[] signature = key.sign(signedBytes(instance, 1, sender, value, List.of()));
    return new Relay(value, List.of(new Link(sender, signature)));
  }

  /** The one-link echo chain by which {@code signer} echoes {@code value}. */
  public static Relay echo(byte[] instance, Value value, int signer, SigningKey key) {
    byte[] signature = key.sign(echoSignedBytes(instance, 1, signer, value, List.of()));
    return new Relay(value, List.of(new Link(signer, signature)));
  }

  /** The echo chain {@code echo} with one more link, by {@code signer} with {@code key}. */
  public static Relay extendEcho(byte[] instance, Relay echo, int signer, SigningKey key) {
    List<Link> chain = echo.chain();
    byte[] signature = key.sign(echoSignedBytes(instance, chain.size() + 1, signer,
        echo.value(), chain));
    Link[] longer = chain.toArray(new Link[chain.size() + 1]);
    longer[chain.size()] = new Link(signer, signature);
    return new Relay(echo.value(), List.of(longer));
  }

  /** Whether link {@code index} (0-based) of the echo chain verifies under {@code key}. */
  static boolean verifyEchoLink(byte[] instance, Relay echo, int index, VerifyingKey key) {
    List<Link> chain = echo.chain();
    Link link = chain.get(index);
    return key.verify(echoSignedBytes(instance, index + 1, link.signer(), echo.value(),
        chain.subList(0, index)), link.unsafeSignature());
  }

  /** Whether link {@code index} (0-based) of {@code relay}'s chain verifies under {@code key}. */
  static boolean verifyLink(byte[] instance, Relay relay, int index, VerifyingKey key) {
    List<Link> chain = relay.chain();
    Link link = chain.get(index);
    return key.verify(signedBytes(instance, index + 1, link.signer(), relay.value(),
        chain.subList(0, index)), link.unsafeSignature());
  }
}
