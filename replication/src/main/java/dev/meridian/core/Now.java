package dev.meridian.core;

/**
 * A node's own readings of its two clocks at the moment an event is handed to a protocol core.
 *
 * <p>Cores never read a clock themselves; the runtime (real, in-memory or simulated) reads both and
 * passes them in, which is what keeps cores deterministic.
 *
 * @param wallNanos the node's physical (wall) clock, nanoseconds since the epoch. It may be offset
 *     from true time, drift, and step forward or back when the clock misbehaves or is corrected.
 * @param monotonicNanos the node's monotonic clock, nanoseconds from an arbitrary origin. It never
 *     steps, but runs fast or slow by the node's drift. Timers are measured on it.
 */
public record Now(long wallNanos, long monotonicNanos) {}
