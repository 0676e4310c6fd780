package dev.meridian.keystore.wire;

import java.nio.charset.StandardCharsets;

/** What client and server must agree on about sessions (see keystore.proto, OpenSession). */
public final class Sessions {
  /** HKDF info of a session key; the salt is the SHA-256 of the signed grant body. */
  public static final byte[] KEY_INFO =
      "meridian-keystore-session-v1".getBytes(StandardCharsets.UTF_8);

  /**
   * How a server's UNAUTHENTICATED description starts when it does not know the session (it
   * restarted, or the session idled out): the client opens a new one.
   */
  public static final String UNKNOWN_SESSION = "unknown or expired session";

  private Sessions() {}
}
