package dev.meridian.keystore.wire;

import dev.meridian.proto.v1.Version;
import java.util.Comparator;

/**
 * The total order of versions: by counter, then by the writing client's id. Two writers that
 * read the same highest version both write counter + 1, and their client ids break the tie, so
 * every server and reader orders concurrent writes the same way. Client ids are ASCII (see
 * {@link Names}), so {@link String#compareTo} agrees with the byte order used in storage keys.
 */
public final class Versions {
  /** Orders versions oldest first. */
  public static final Comparator<Version> ORDER =
      Comparator.comparingLong(Version::getCounter)
          .thenComparing(Version::getClientId);

  private Versions() {}

  /** Whether {@code a} is newer than {@code b}. */
  public static boolean newer(Version a, Version b) {
    return ORDER.compare(a, b) > 0;
  }

  /** {@code counter/clientId}, for messages. */
  public static String show(Version v) {
    return v.getCounter() + "/" + v.getClientId();
  }
}
