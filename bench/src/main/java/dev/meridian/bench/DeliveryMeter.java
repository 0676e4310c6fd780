package dev.meridian.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one member of a benchmarked group delivered: a count per origin, a check that each
 * origin's operations arrive in the order issued without gaps or duplicates, and (inside a
 * latency window) submit-to-delivery latency. The same meter serves Meridian and JGroups.
 *
 * <p>Every payload is {@link #PAYLOAD_BYTES} bytes: the submitter's {@link System#nanoTime()} at
 * submit (bytes 0-7), the operation's number at its origin, from 1 (bytes 8-15), filler.
 *
 * <p>Threads: calls for one origin must not overlap (both systems deliver one sender's messages
 * one at a time); calls for different origins may run concurrently.
 */
final class DeliveryMeter {
  static final int PAYLOAD_BYTES = 64;

  private final int self;
  private final AtomicLongArray perOrigin; // single writer per slot
  private final AtomicLong orderErrors = new AtomicLong();
  private final LatencyHistogram all = new LatencyHistogram();
  private final LatencyHistogram remote = new LatencyHistogram();
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MIN_VALUE;

  DeliveryMeter(int self, int members) {
    this.self = self;
    this.perOrigin = new AtomicLongArray(members);
  }

  /** A payload stamped with the current {@code nanoTime} and operation number {@code seq}. */
  static byte[] payload(long seq) {
    byte[] p = new byte[PAYLOAD_BYTES];
    putLong(p, 0, System.nanoTime());
    putLong(p, 8, seq);
    for (int i = 16; i < PAYLOAD_BYTES; i++) {
      p[i] = (byte) i;
    }
    return p;
  }

  /** Records the delivery of {@code payload} (from {@code offset}) issued by {@code origin}. */
  void delivered(int origin, byte[] payload, int offset, int length) {
    long now = System.nanoTime();
    if (length != PAYLOAD_BYTES) {
      orderErrors.incrementAndGet();
      return;
    }
    long stamp = getLong(payload, offset);
    long seq = getLong(payload, offset + 8);
    long before = perOrigin.get(origin);
    if (seq != before + 1) {
      orderErrors.incrementAndGet();
    }
    perOrigin.lazySet(origin, before + 1);
    if (stamp >= windowStart && stamp < windowEnd) {
      all.record(now - stamp);
      if (origin != self) {
        remote.record(now - stamp);
      }
    }
  }

  /** Latency is recorded for operations submitted in [start, end) of {@code nanoTime}. */
  void latencyWindow(long start, long end) {
    windowEnd = end;
    windowStart = start;
  }

  long delivered() {
    long n = 0;
    for (int i = 0; i < perOrigin.length(); i++) {
      n += perOrigin.get(i);
    }
    return n;
  }

  long deliveredFrom(int origin) {
    return perOrigin.get(origin);
  }

  long orderErrors() {
    return orderErrors.get();
  }

  LatencyHistogram latencies() {
    return all;
  }

  LatencyHistogram remoteLatencies() {
    return remote;
  }

  static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }
}
