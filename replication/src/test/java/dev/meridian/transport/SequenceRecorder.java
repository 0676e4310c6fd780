package dev.meridian.transport;

import dev.meridian.NodeId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A frame handler for tests: frames are {@link #frame numbered} by their sender; it records, per
 * sender, how many arrived and the last number, and notes every frame that is not strictly after
 * its predecessor (a duplicate or a reordering) or whose filler bytes are wrong (corruption).
 * Tests wait on it with {@link #await}, which blocks on a monitor with a deadline.
 */
final class SequenceRecorder implements Transport.FrameHandler {
  /** A numbered test frame of {@code size} bytes (at least 8): the number, then filler. */
  static byte[] frame(long seq, int size) {
    ByteBuffer b = ByteBuffer.allocate(Math.max(8, size));
    b.putLong(seq);
    while (b.hasRemaining()) {
      b.put((byte) (seq + b.position()));
    }
    return b.array();
  }

  static long seqOf(byte[] frame) {
    return ByteBuffer.wrap(frame).getLong();
  }

  private final Map<NodeId, Long> last = new HashMap<>();
  private final Map<NodeId, Long> count = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  @Override
  public synchronized void onFrame(NodeId from, byte[] frame) {
    long seq = seqOf(frame);
    for (int i = 8; i < frame.length; i++) {
      if (frame[i] != (byte) (seq + i)) {
        violations.add("frame " + seq + " from " + from + " corrupted at byte " + i);
        break;
      }
    }
    long previous = last.getOrDefault(from, 0L);
    if (seq <= previous && violations.size() < 20) {
      violations.add("frame " + seq + " from " + from + " arrived after frame " + previous);
    }
    last.put(from, seq);
    count.merge(from, 1L, Long::sum);
    if (threads.size() < 16 && !threads.contains(Thread.currentThread())) {
      threads.add(Thread.currentThread());
    }
    notifyAll();
  }

  synchronized long last(NodeId from) {
    return last.getOrDefault(from, 0L);
  }

  synchronized long count(NodeId from) {
    return count.getOrDefault(from, 0L);
  }

  synchronized long total() {
    return count.values().stream().mapToLong(Long::longValue).sum();
  }

  synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  synchronized List<Thread> threads() {
    return List.copyOf(threads);
  }

  /** Waits until {@code condition} holds of this recorder; false if the timeout passed first. */
  synchronized boolean await(Predicate<SequenceRecorder> condition, long timeoutMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (!condition.test(this)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }
}
