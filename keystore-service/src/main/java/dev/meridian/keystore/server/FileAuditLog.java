package dev.meridian.keystore.server;

import dev.meridian.proto.v1.Version;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An {@link AuditLog} appending one JSON object per line to a file (created with permissions
 * 600 if missing, appended to otherwise):
 *
 * <pre>{@code
 * {"time":"2026-11-24T19:13:32.123Z","kind":"access","server":"s2","client":"alice",
 *  "op":"read","key":"db/password","version":null,"decision":"allowed","reason":"ok","detail":""}
 * }</pre>
 *
 * (one line in the file). {@code kind} is {@code access} or {@code admin}; {@code version} is
 * {@code null} or {@code {"counter":3,"client":"alice"}}. Strings are escaped so that the output
 * is printable ASCII whatever a request sent: quotes, backslashes, control characters and every
 * non-ASCII character are written as JSON escapes, and a string longer than {@value #MAX_CHARS}
 * characters is cut there and marked with a trailing {@code ...}.
 *
 * <p>Why synchronous: the log is fail-closed (see {@link AuditLog}), so a request's answer must
 * wait until its line is written anyway; a queue and a writer thread would add a hand-off and
 * still make the request wait. Each line is written under one lock and flushed to the operating
 * system at once (about a microsecond or two of system call, small beside the signature check
 * every request costs); it survives a crash of this process, not of the machine (no fsync per
 * line, which would cost a disk round trip per request). The price of fail-closed: a disk that
 * stalls (a hung network file system) stalls the requests waiting on it; put the log on a
 * local disk.
 *
 * <p>Failure model: when a line cannot be written (disk full, file system gone) the event is
 * counted in {@link #failures()}, the first failure of an outage is logged once (SEVERE, naming
 * the file, never the event), and {@link AuditException} is thrown. The next event reopens the
 * file and starts with a line break, so a line cut short by the failure stays on its own line;
 * when that works, the recovery is logged once (INFO).
 */
public final class FileAuditLog implements AuditLog {
  /** The longest string field written; longer ones are cut. */
  static final int MAX_CHARS = 512;

  private static final Logger log = Logger.getLogger(FileAuditLog.class.getName());

  private final Path file;
  private Writer out; // null while broken or closed; guarded by this
  private boolean broken; // a failure not yet followed by a successful write; guarded by this
  private boolean closed; // guarded by this
  private long failures; // guarded by this

  private FileAuditLog(Path file, Writer out) {
    this.file = file;
    this.out = out;
  }

  /**
   * Opens {@code file} for appending, creating it (permissions 600 where the file system has
   * POSIX permissions) if missing.
   *
   * @throws IOException if it cannot be created or opened; the message names the file
   */
  public static FileAuditLog open(Path file) throws IOException {
    return new FileAuditLog(file, openWriter(file));
  }

  private static Writer openWriter(Path file) throws IOException {
    try {
      if (!Files.exists(file)) {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.createFile(file,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
          Files.createFile(file);
        }
      }
    } catch (FileAlreadyExistsException raced) {
      // created meanwhile: append to it
    }
    if (Files.isDirectory(file)) {
      throw new IOException("audit log " + file + " is a directory");
    }
    try {
      return new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND), StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new IOException("cannot open audit log " + file + ": " + e, e);
    }
  }

  /** The file written. */
  public Path file() {
    return file;
  }

  @Override
  public void accessDecision(Event event) {
    append("access", event);
  }

  @Override
  public void adminAction(Event event) {
    append("admin", event);
  }

  private synchronized void append(String kind, Event event) {
    if (closed) {
      failures++;
      throw new AuditException("audit log " + file + " is closed", null);
    }
    String line = line(kind, event);
    try {
      if (out == null) {
        out = openWriter(file);
        out.write('\n'); // ends a line the failure may have cut short
      }
      out.write(line);
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      failures++;
      if (!broken) {
        broken = true;
        log.log(Level.SEVERE, "audit log {0} cannot be written ({1}); the server refuses every"
            + " request it would allow until it can", new Object[] {file, e.toString()});
      }
      closeQuietly();
      throw new AuditException("audit log " + file + " cannot be written: " + e, e);
    }
    if (broken) {
      broken = false;
      log.log(Level.INFO, "audit log {0} is written again after {1} failed events",
          new Object[] {file, failures});
    }
  }

  @Override
  public synchronized long failures() {
    return failures;
  }

  @Override
  public synchronized void close() {
    closed = true;
    closeQuietly();
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // the failure that matters was already reported, or the log is being closed
      }
      out = null;
    }
  }

  /** The JSON line for one event, without its line break. */
  static String line(String kind, Event e) {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"time\":");
    string(b, Instant.ofEpochMilli(e.timeMillis()).toString());
    b.append(",\"kind\":");
    string(b, kind);
    b.append(",\"server\":");
    string(b, e.serverId());
    b.append(",\"client\":");
    string(b, e.clientId());
    b.append(",\"op\":");
    string(b, e.operation());
    b.append(",\"key\":");
    string(b, e.key());
    b.append(",\"version\":");
    Version v = e.version();
    if (v == null) {
      b.append("null");
    } else {
      b.append("{\"counter\":").append(Long.toUnsignedString(v.getCounter()))
          .append(",\"client\":");
      string(b, v.getClientId());
      b.append('}');
    }
    b.append(",\"decision\":");
    string(b, e.decision().label());
    b.append(",\"reason\":");
    string(b, e.reason());
    b.append(",\"detail\":");
    string(b, e.detail());
    return b.append('}').toString();
  }

  /** {@code s} as a JSON string of printable ASCII, or {@code null}. */
  static void string(StringBuilder b, String s) {
    if (s == null) {
      b.append("null");
      return;
    }
    boolean cut = s.length() > MAX_CHARS;
    int end = cut ? MAX_CHARS : s.length();
    b.append('"');
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            // Every char, lone surrogates included, as its UTF-16 unit: valid JSON, pure ASCII.
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (cut) {
      b.append("...");
    }
    b.append('"');
  }

  @Override
  public String toString() {
    return "FileAuditLog[" + file + "]";
  }
}
