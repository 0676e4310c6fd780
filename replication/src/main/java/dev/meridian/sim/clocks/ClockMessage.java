package dev.meridian.sim.clocks;

import dev.meridian.time.HybridTimestamp;
import dev.meridian.time.VectorClock;

/** What a {@link ClockCore} stamps on every message it sends. */
public record ClockMessage(long lamport, VectorClock vector, HybridTimestamp hybrid) {}
