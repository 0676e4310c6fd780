package dev.meridian;

/**
 * The name of one member of a group, such as {@code "n1"} or {@code "eu-west.db-3"}.
 *
 * <p>A node id is 1 to 64 characters from {@code [A-Za-z0-9._#-]}. The alphabet is deliberately
 * small: ids appear in logs, in the readable form of vector clocks ({@code [a:1, b:0]}) and on the
 * wire, so they may hold no separators, spaces or control characters that would make any of those
 * ambiguous. Ids order by their string value; that order is what every tie-break in Meridian uses.
 */
public final class NodeId implements Comparable<NodeId> {
  /** Longest id accepted, in characters. */
  public static final int MAX_LENGTH = 64;

  private final String value;
  private final int hash; // ids are map keys on every hot path: one load, not two

  private NodeId(String value) {
    this.value = value;
    this.hash = value.hashCode();
  }

  /**
   * Returns the node id with this value.
   *
   * @throws IllegalArgumentException if {@code value} is null, empty, longer than
   *     {@value #MAX_LENGTH} characters, or has a character outside {@code [A-Za-z0-9._#-]}
   */
  public static NodeId of(String value) {
    if (value == null) {
      throw new IllegalArgumentException("node id must not be null");
    }
    if (value.isEmpty() || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "node id must be 1.." + MAX_LENGTH + " characters, got " + value.length()
              + " characters: " + quoteForError(value));
    }
    for (int i = 0; i < value.length(); i++) {
      if (!isAllowed(value.charAt(i))) {
        throw new IllegalArgumentException(
            "node id " + quoteForError(value) + " has character " + describe(value.charAt(i))
                + " at index " + i + "; allowed are A-Z a-z 0-9 . _ # -");
      }
    }
    return new NodeId(value);
  }

  static boolean isAllowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-' || c == '#';
  }

  private static String describe(char c) {
    return (c >= 0x20 && c < 0x7f) ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  /** Quotes a rejected value for an error message, cut short and with control characters escaped. */
  private static String quoteForError(String value) {
    StringBuilder sb = new StringBuilder("\"");
    int shown = Math.min(value.length(), MAX_LENGTH);
    for (int i = 0; i < shown; i++) {
      char c = value.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return sb.append(value.length() > shown ? "...\"" : "\"").toString();
  }

  /** The id as a string, exactly as given to {@link #of}. */
  public String value() {
    return value;
  }

  @Override
  public int compareTo(NodeId other) {
    return value.compareTo(other.value);
  }

  @Override
  public boolean equals(Object o) {
    return this == o || o instanceof NodeId other && hash == other.hash
        && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return value;
  }
}
