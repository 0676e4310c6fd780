package dev.meridian.keystore.config;

/**
 * A configuration file, or one of its fields, that cannot be used. The message says which file,
 * which field (when the problem is one field) and what is wrong, e.g. {@code alice.properties:
 * quorum.f: must be an integer >= 0, was "one"}. It never contains a private key: a bad key file
 * is described by its path and its length, not its content.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String field;

  /**
   * @param source the file (or other source) the configuration came from
   * @param field the field that is wrong, or null when the problem is the file as a whole
   * @param problem what is wrong, naming the allowed values where that helps
   */
  public ConfigException(String source, String field, String problem) {
    super(source + ": " + (field == null ? "" : field + ": ") + problem);
    this.field = field;
  }

  /** The field that is wrong, or null when the problem is the file as a whole. */
  public String field() {
    return field;
  }
}
