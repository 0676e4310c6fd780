package dev.meridian.sim.membership;

import dev.meridian.core.membership.GroupState;
import dev.meridian.core.membership.MemberWire;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The membership scenario's replicated state: a digest that depends on the order of total-order
 * messages (a hash chain) and on the set of the others (a sum, since FIFO messages of different
 * senders may interleave differently). Each delivery returns the whole digest, so a checker can
 * compare members' states without reaching into them.
 */
final class DigestState implements GroupState {

  /** The state: {@code chain} over total-order messages in order, {@code sum} over the rest. */
  record Digest(long chain, long sum) {
    static final Digest INITIAL = new Digest(0, 0);
  }

  private long chain;
  private long sum;

  @Override
  public Object apply(MemberWire.App app) {
    long h = app.sender().hashCode();
    h = h * 0x9E3779B97F4A7C15L + app.viewId();
    h = h * 0x9E3779B97F4A7C15L + app.seq();
    h = h * 0x9E3779B97F4A7C15L + Arrays.hashCode(app.payload());
    if (app.total()) {
      chain = Long.rotateLeft(chain * 31 + h, 17);
    } else {
      sum += h;
    }
    return new Digest(chain, sum);
  }

  @Override
  public byte[] snapshot() {
    return ByteBuffer.allocate(16).putLong(chain).putLong(sum).array();
  }

  @Override
  public void restore(byte[] snapshot) {
    if (snapshot.length != 16) {
      throw new IllegalArgumentException("a digest snapshot has 16 bytes, not " + snapshot.length);
    }
    ByteBuffer b = ByteBuffer.wrap(snapshot);
    chain = b.getLong();
    sum = b.getLong();
  }
}
