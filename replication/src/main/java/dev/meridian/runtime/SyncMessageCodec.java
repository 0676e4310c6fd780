package dev.meridian.runtime;

import dev.meridian.core.clocksync.SyncMessage;
import java.nio.ByteBuffer;

/**
 * The wire form of {@link SyncMessage}: a tag byte, then fixed-width big-endian fields. An ask is
 * 9 bytes, an answer 26. Anything else is refused.
 */
final class SyncMessageCodec implements WireCodec<SyncMessage> {
  private static final byte ASK = 1;
  private static final byte ANSWER = 2;
  private static final SyncMessage.Vouch[] VOUCHES = SyncMessage.Vouch.values();

  @Override
  public byte[] encode(SyncMessage message) {
    if (message instanceof SyncMessage.Ask a) {
      return ByteBuffer.allocate(9).put(ASK).putLong(a.id()).array();
    }
    SyncMessage.Answer a = (SyncMessage.Answer) message;
    return ByteBuffer.allocate(26).put(ANSWER).putLong(a.id()).putLong(a.earliest())
        .putLong(a.latest()).put((byte) a.vouch().ordinal()).array();
  }

  @Override
  public SyncMessage decode(byte[] frame) {
    if (frame.length == 9 && frame[0] == ASK) {
      return new SyncMessage.Ask(ByteBuffer.wrap(frame, 1, 8).getLong());
    }
    if (frame.length == 26 && frame[0] == ANSWER) {
      ByteBuffer b = ByteBuffer.wrap(frame, 1, 25);
      long id = b.getLong();
      long earliest = b.getLong();
      long latest = b.getLong();
      int vouch = b.get();
      if (vouch < 0 || vouch >= VOUCHES.length) {
        throw new IllegalArgumentException("clock-sync answer with unknown vouch " + vouch);
      }
      return new SyncMessage.Answer(id, earliest, latest, VOUCHES[vouch]);
    }
    throw new IllegalArgumentException("not a clock-sync message: " + frame.length
        + " bytes" + (frame.length > 0 ? ", tag " + frame[0] : ""));
  }
}
