package dev.meridian.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Filter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps a benchmark's stderr readable: each distinct java.util.logging message (by logger, level
 * and text) is printed in full the first {@value #SHOWN} times; later repeats are only counted,
 * and {@link #takeSummary} reports them, so nothing goes unmentioned. JGroups' INFO chatter
 * (addresses, views) is dropped; its warnings and errors are kept.
 */
final class LogDeduplication {
  static final int SHOWN = 2;
  private static final Map<String, Integer> SEEN = new TreeMap<>();
  private static final Map<String, Integer> SUPPRESSED = new TreeMap<>();

  private LogDeduplication() {}

  static void install() {
    Logger.getLogger("org.jgroups").setLevel(Level.WARNING);
    Filter filter = LogDeduplication::admit;
    for (Handler h : Logger.getLogger("").getHandlers()) {
      h.setFilter(filter);
    }
  }

  private static synchronized boolean admit(LogRecord r) {
    String source = r.getSourceClassName() != null ? r.getSourceClassName() : "";
    String logger = r.getLoggerName() != null ? r.getLoggerName() : "";
    if ((source.startsWith("org.jgroups") || logger.startsWith("org.jgroups"))
        && r.getLevel().intValue() < Level.WARNING.intValue()) {
      return false;
    }
    String key = r.getLevel() + " " + (logger.isEmpty() ? source : logger) + ": "
        + r.getMessage();
    int n = SEEN.merge(key, 1, Integer::sum);
    if (n <= SHOWN) {
      return true;
    }
    SUPPRESSED.merge(key, 1, Integer::sum);
    return false;
  }

  /** What was suppressed since the last call, e.g. "log: 37 more of SEVERE ...", or "". */
  static synchronized String takeSummary() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Integer> e : SUPPRESSED.entrySet()) {
      sb.append(sb.length() == 0 ? "" : "; ").append("log: ").append(e.getValue())
          .append(" more of \"").append(e.getKey()).append('"');
    }
    SUPPRESSED.clear();
    return sb.toString();
  }
}
