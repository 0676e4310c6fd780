package dev.meridian.keystore.agreement;

import dev.meridian.keystore.crypto.SigningKey;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte form of a {@link RoundMessage}: compact, deterministic (one encoding per message),
 * big-endian.
 *
 * <pre>{@code
 * u8  magic 0xD5, u8 version (1: no echoes, 2: echoes follow the relays)
 * u8  instance length (1..64), instance bytes
 * u16 round (1..1024), u16 from
 * u8  relay count (0..2)
 * per relay: u32 value length (0..65536), value bytes,
 *            u16 chain length (1..1024), per link: u16 signer, 64-byte signature
 * version 2 only: u16 echo count (1..1024), per echo chain: as a relay
 * }</pre>
 *
 * <p>A message without echoes is written as version 1, so the f+1-round mode's bytes are as
 * they always were.
 *
 * <p>Failure model: {@link #decode} never trusts a length: every count is range-checked before
 * anything is allocated, and truncated input, trailing bytes, an unknown magic or version, or an
 * out-of-range field is an {@link IllegalArgumentException} naming the field — never another
 * exception, never an allocation larger than the input. Whether signatures verify and chains
 * fit the round is the protocol's business ({@link DolevStrong}), not the codec's.
 */
public final class AgreementCodec {
  static final int MAGIC = 0xD5;
  static final int VERSION = 1;
  static final int VERSION_WITH_ECHOES = 2;
  /** Most relays a message carries: a correct process relays at most two values. */
  public static final int MAX_RELAYS = 2;

  private AgreementCodec() {}

  /** The bytes of {@code message}. */
  public static byte[] encode(RoundMessage message) {
    byte[] instance = message.unsafeInstance();
    int size = 2 + 1 + instance.length + 4 + 1;
    for (Relay relay : message.relays()) {
      size += encodedSize(relay);
    }
    boolean echoes = !message.echoes().isEmpty();
    if (echoes) {
      size += 2;
      for (Relay echo : message.echoes()) {
        size += encodedSize(echo);
      }
      if (message.echoes().size() > AgreementConfig.MAX_PROCESSES) {
        throw new IllegalArgumentException("a message carries at most "
            + AgreementConfig.MAX_PROCESSES + " echoes, got " + message.echoes().size());
      }
    }
    if (message.relays().size() > MAX_RELAYS) {
      throw new IllegalArgumentException("a message carries at most " + MAX_RELAYS
          + " relays, got " + message.relays().size());
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put((byte) MAGIC).put((byte) (echoes ? VERSION_WITH_ECHOES : VERSION));
    out.put((byte) instance.length).put(instance);
    out.putShort(checkU16(message.round(), "round")).putShort(checkU16(message.from(), "from"));
    out.put((byte) message.relays().size());
    for (Relay relay : message.relays()) {
      put(out, relay);
    }
    if (echoes) {
      out.putShort((short) message.echoes().size());
      for (Relay echo : message.echoes()) {
        put(out, echo);
      }
    }
    return out.array();
  }

  private static int encodedSize(Relay relay) {
    return 4 + relay.value().length() + 2 + relay.chain().size() * (2
        + SigningKey.SIGNATURE_BYTES);
  }

  private static void put(ByteBuffer out, Relay relay) {
    out.putInt(relay.value().length()).put(relay.value().unsafeBytes());
    out.putShort(checkU16(relay.chain().size(), "chain length"));
    for (Link link : relay.chain()) {
      if (link.unsafeSignature().length != SigningKey.SIGNATURE_BYTES) {
        throw new IllegalArgumentException("signature must be " + SigningKey.SIGNATURE_BYTES
            + " bytes, got " + link.unsafeSignature().length);
      }
      out.putShort(checkU16(link.signer(), "signer")).put(link.unsafeSignature());
    }
  }

  /**
   * The message these bytes encode.
   *
   * @throws IllegalArgumentException naming the problem, for any input that is not exactly one
   *     well-formed message
   */
  public static RoundMessage decode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("no bytes");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      int magic = in.get() & 0xFF;
      if (magic != MAGIC) {
        throw new IllegalArgumentException("not an agreement message: magic 0x"
            + Integer.toHexString(magic) + ", expected 0xd5");
      }
      int version = in.get() & 0xFF;
      if (version != VERSION && version != VERSION_WITH_ECHOES) {
        throw new IllegalArgumentException("unknown agreement message version " + version
            + ", expected " + VERSION + " or " + VERSION_WITH_ECHOES);
      }
      int instanceLength = in.get() & 0xFF;
      if (instanceLength < 1 || instanceLength > AgreementConfig.MAX_INSTANCE_BYTES) {
        throw new IllegalArgumentException("instance id length " + instanceLength
            + " out of range 1.." + AgreementConfig.MAX_INSTANCE_BYTES);
      }
      byte[] instance = take(in, instanceLength, "instance id");
      int round = in.getShort() & 0xFFFF;
      if (round < 1 || round > AgreementConfig.MAX_PROCESSES) {
        throw new IllegalArgumentException("round " + round + " out of range 1.."
            + AgreementConfig.MAX_PROCESSES);
      }
      int from = in.getShort() & 0xFFFF;
      if (from >= AgreementConfig.MAX_PROCESSES) {
        throw new IllegalArgumentException("sender index " + from + " out of range 0.."
            + (AgreementConfig.MAX_PROCESSES - 1));
      }
      int relayCount = in.get() & 0xFF;
      if (relayCount > MAX_RELAYS) {
        throw new IllegalArgumentException("relay count " + relayCount + " over " + MAX_RELAYS);
      }
      List<Relay> relays = new ArrayList<>(relayCount);
      for (int i = 0; i < relayCount; i++) {
        relays.add(takeRelay(in));
      }
      List<Relay> echoes = new ArrayList<>();
      if (version == VERSION_WITH_ECHOES) {
        int echoCount = in.getShort() & 0xFFFF;
        if (echoCount < 1 || echoCount > AgreementConfig.MAX_PROCESSES) {
          throw new IllegalArgumentException("echo count " + echoCount + " out of range 1.."
              + AgreementConfig.MAX_PROCESSES);
        }
        for (int i = 0; i < echoCount; i++) {
          echoes.add(takeRelay(in));
        }
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " trailing bytes after the message");
      }
      return new RoundMessage(instance, round, from, relays, echoes);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated agreement message (" + bytes.length
          + " bytes)");
    }
  }

  /** One relay or echo chain; every length checked against what is left before allocating. */
  private static Relay takeRelay(ByteBuffer in) {
    int valueLength = in.getInt();
    if (valueLength < 0 || valueLength > Value.MAX_BYTES) {
      throw new IllegalArgumentException("value length " + Integer.toUnsignedString(
          valueLength) + " out of range 0.." + Value.MAX_BYTES);
    }
    Value value = Value.of(take(in, valueLength, "value"));
    int chainLength = in.getShort() & 0xFFFF;
    if (chainLength < 1 || chainLength > AgreementConfig.MAX_PROCESSES) {
      throw new IllegalArgumentException("chain length " + chainLength + " out of range 1.."
          + AgreementConfig.MAX_PROCESSES);
    }
    if ((long) chainLength * (2 + SigningKey.SIGNATURE_BYTES) > in.remaining()) {
      throw new IllegalArgumentException("truncated: chain of " + chainLength
          + " links needs " + chainLength * (2 + SigningKey.SIGNATURE_BYTES)
          + " bytes, " + in.remaining() + " left");
    }
    List<Link> chain = new ArrayList<>(chainLength);
    for (int j = 0; j < chainLength; j++) {
      int signer = in.getShort() & 0xFFFF;
      chain.add(new Link(signer, take(in, SigningKey.SIGNATURE_BYTES, "signature")));
    }
    return new Relay(value, chain);
  }

  private static byte[] take(ByteBuffer in, int length, String what) {
    if (length > in.remaining()) {
      throw new IllegalArgumentException("truncated: " + what + " needs " + length + " bytes, "
          + in.remaining() + " left");
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }

  private static short checkU16(int v, String what) {
    if (v < 0 || v > 0xFFFF) {
      throw new IllegalArgumentException(what + " " + v + " does not fit in 16 bits");
    }
    return (short) v;
  }
}
