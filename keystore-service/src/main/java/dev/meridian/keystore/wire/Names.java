package dev.meridian.keystore.wire;

import java.util.regex.Pattern;

/**
 * The names the key service accepts: key names, client ids and server ids. Checked at every edge
 * (client calls, server requests) so that a bad name is refused with a message naming it, and so
 * that names can be laid out in storage keys without escaping (none contains a NUL byte).
 */
public final class Names {
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._/:@-]{1,256}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private Names() {}

  /** The key name, if it is 1-256 characters of {@code [A-Za-z0-9._/:@-]}. */
  public static String checkKey(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("key name " + quoted(key)
          + " is not 1-256 characters of [A-Za-z0-9._/:@-]");
    }
    return key;
  }

  /** The client or server id, if it is 1-64 characters of {@code [A-Za-z0-9._-]}. */
  public static String checkId(String what, String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(what + " " + quoted(id)
          + " is not 1-64 characters of [A-Za-z0-9._-]");
    }
    return id;
  }

  /** Whether {@code key} is a valid key name. */
  public static boolean isKey(String key) {
    return key != null && KEY.matcher(key).matches();
  }

  /** Whether {@code id} is a valid client or server id. */
  public static boolean isId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  private static String quoted(String s) {
    if (s == null) {
      return "null";
    }
    String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return "\"" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
  }
}
