package dev.meridian.keystore.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader of the JSON the audit log writes (objects of strings, integers, null and
 * nested objects), so that tests check each line really is one JSON object and read its fields
 * back, escapes decoded. Anything else (a raw control character, trailing text) fails.
 */
final class Json {
  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  /** The object {@code line} holds; AssertionError naming the position if it is not exactly one. */
  static Map<String, Object> object(String line) {
    Json p = new Json(line);
    Map<String, Object> out = p.readObject();
    if (p.i != line.length()) {
      throw p.fail("trailing text");
    }
    return out;
  }

  private Map<String, Object> readObject() {
    expect('{');
    Map<String, Object> out = new LinkedHashMap<>();
    if (peek() == '}') {
      i++;
      return out;
    }
    while (true) {
      String name = readString();
      expect(':');
      if (out.put(name, readValue()) != null) {
        throw fail("field " + name + " twice");
      }
      char c = next();
      if (c == '}') {
        return out;
      }
      if (c != ',') {
        throw fail("expected , or }");
      }
    }
  }

  private Object readValue() {
    char c = peek();
    if (c == '"') {
      return readString();
    }
    if (c == '{') {
      return readObject();
    }
    if (s.startsWith("null", i)) {
      i += 4;
      return null;
    }
    int start = i;
    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
      i++;
    }
    if (start == i) {
      throw fail("expected a value");
    }
    return Long.parseLong(s.substring(start, i));
  }

  private String readString() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw fail("raw control character");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> throw fail("bad escape \\" + e);
      }
    }
  }

  private void expect(char c) {
    if (next() != c) {
      throw fail("expected " + c);
    }
  }

  private char peek() {
    if (i >= s.length()) {
      throw fail("unexpected end");
    }
    return s.charAt(i);
  }

  private char next() {
    char c = peek();
    i++;
    return c;
  }

  private AssertionError fail(String why) {
    return new AssertionError(why + " at " + i + " of: " + s);
  }
}
