package dev.meridian.time;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The validated settings of one {@link SyncedClock}, as {@link SyncedClockBuilder} hands them to
 * the engine.
 *
 * @param nodeId this member
 * @param listenAddress {@code host:port} for gRPC, or {@code memory:<group>}
 * @param peers every other member, with its address
 * @param sources the members asked for the time (a subset of the peers, possibly with this one)
 * @param falsetickers f, how many sources may be wrong at once
 * @param maxDrift ρ, the bound on a clock's rate error (1e-4 = 100 ppm)
 * @param minDelay the least one-way delay between members (zero if unknown)
 * @param period how often each source is asked
 * @param referenceError for a reference, the error of its own wall clock that it vouches for;
 *     null for a member that is not a reference
 * @param stepTolerance how far the wall clock may jump against the monotonic clock, beyond the
 *     drift bound, before it counts as stepped
 * @param faultListener called (on an engine thread) with a description of every clock fault seen
 */
public record SyncedClockConfig(
    NodeId nodeId,
    String listenAddress,
    Map<NodeId, String> peers,
    List<NodeId> sources,
    int falsetickers,
    double maxDrift,
    Duration minDelay,
    Duration period,
    Duration referenceError,
    Duration stepTolerance,
    Consumer<String> faultListener) {}
