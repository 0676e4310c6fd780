package dev.meridian.core.snapshot;

import dev.meridian.core.link.LinkSettings;

/**
 * Settings of a {@link SnapshotCore}.
 *
 * @param links the reliable links carrying application messages and snapshot messages alike
 * @param controlReserve places kept free in every link's send buffer for markers, contributions
 *     and withdrawals: an application send is refused once fewer remain, so a busy application can
 *     never starve a snapshot of the room its markers need
 * @param finishedMemory how many finished snapshot ids a member remembers, so a marker that
 *     arrives after its snapshot finished here is not taken for a new one
 */
public record SnapshotSettings(LinkSettings links, int controlReserve, int finishedMemory) {

  /** @throws IllegalArgumentException naming the setting and its allowed range */
  public SnapshotSettings {
    if (links == null) {
      throw new IllegalArgumentException("link settings must not be null");
    }
    if (controlReserve < 1 || controlReserve >= links.sendBufferPerPeer()) {
      throw new IllegalArgumentException("controlReserve must be in [1, sendBufferPerPeer = "
          + links.sendBufferPerPeer() + "), got " + controlReserve);
    }
    if (finishedMemory < 1 || finishedMemory > 1 << 20) {
      throw new IllegalArgumentException(
          "finishedMemory must be in [1, 1048576], got " + finishedMemory);
    }
  }

  /** Default links, 64 places reserved for control messages, 4096 finished ids remembered. */
  public static SnapshotSettings defaults() {
    return new SnapshotSettings(LinkSettings.defaults(), 64, 4096);
  }

  /** These settings with other link settings (the reserve must still fit). */
  public SnapshotSettings withLinks(LinkSettings links) {
    return new SnapshotSettings(links, controlReserve, finishedMemory);
  }
}
