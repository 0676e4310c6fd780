package dev.meridian.core;

import dev.meridian.NodeId;

/**
 * A request a runtime makes of its core on the transport's behalf: {@code peer}'s process looks
 * gone (a connection to it was refused). Only a hint; cores without a failure detector ignore it.
 */
public record PeerUnreachable(NodeId peer) {}
