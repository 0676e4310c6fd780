package dev.meridian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {

  @ParameterizedTest
  @ValueSource(strings = {"n1", "a", "Z", "0", "eu-west.db-3", "node_7", "shard#2", "-", ".", "_",
      "#", "ABCxyz019._#-"})
  void acceptsIdsFromTheAllowedAlphabet(String value) {
    NodeId id = NodeId.of(value);
    assertEquals(value, id.value());
    assertEquals(value, id.toString());
  }

  @Test
  void acceptsEveryAllowedCharacterAndNoOtherAscii() {
    String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._#-";
    for (char c = 0; c < 128; c++) {
      String value = "x" + c;
      if (allowed.indexOf(c) >= 0) {
        assertEquals(value, NodeId.of(value).value(), "char " + (int) c);
      } else {
        char bad = c;
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(value),
            "char " + (int) bad + " must be rejected");
      }
    }
  }

  @Test
  void acceptsExactlyMaxLength() {
    String value = "a".repeat(NodeId.MAX_LENGTH);
    assertEquals(64, NodeId.MAX_LENGTH);
    assertEquals(value, NodeId.of(value).value());
  }

  @Test
  void rejectsNull() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void rejectsEmpty() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeId.of(""));
    assertTrue(e.getMessage().contains("got 0 characters"), e.getMessage());
    assertTrue(e.getMessage().contains("\"\""), e.getMessage());
  }

  @Test
  void rejectsOneOverMaxLengthNamingTheLengthAndValue() {
    String value = "b".repeat(NodeId.MAX_LENGTH + 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(value));
    assertTrue(e.getMessage().contains("got 65 characters"), e.getMessage());
    assertTrue(e.getMessage().contains("1..64"), e.getMessage());
    // The value is quoted, cut short at MAX_LENGTH characters.
    assertTrue(e.getMessage().contains("\"" + "b".repeat(64) + "...\""), e.getMessage());
  }

  @Test
  void rejectsVeryLongValueWithoutEchoingAllOfIt() {
    String value = "c".repeat(10_000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(value));
    assertTrue(e.getMessage().contains("got 10000 characters"), e.getMessage());
    assertTrue(e.getMessage().length() < 300, "message too long: " + e.getMessage().length());
  }

  @Test
  void rejectsSpaceNamingCharacterIndexAndValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of("ab cd"));
    String m = e.getMessage();
    assertTrue(m.contains("\"ab cd\""), m);
    assertTrue(m.contains("' '"), m);
    assertTrue(m.contains("at index 2"), m);
  }

  @Test
  void rejectsColonNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of("a:1"));
    String m = e.getMessage();
    assertTrue(m.contains("\"a:1\""), m);
    assertTrue(m.contains("':'"), m);
    assertTrue(m.contains("at index 1"), m);
  }

  @Test
  void rejectsControlCharacterNamingItAsCodePointAndEscapingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of("ab\ncd"));
    String m = e.getMessage();
    assertTrue(m.contains("U+000A"), m);
    assertTrue(m.contains("at index 2"), m);
    // The raw newline must not leak into the message; it is escaped.
    assertTrue(m.indexOf('\n') < 0, m);
    assertTrue(m.contains("\"ab\\u000acd\""), m);
  }

  @Test
  void rejectsNulAndDelAndNonAscii() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeId.of("\0"))
        .getMessage().contains("U+0000"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeId.of("a\u007f"))
        .getMessage().contains("U+007F"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeId.of("caf\u00e9"))
        .getMessage().contains("U+00E9"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a,b", "a/b", "a[b", "a]b", "a=b", "a\tb", "a@b", "a+b", "a\"b"})
  void rejectsSeparators(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(value));
    assertTrue(e.getMessage().contains("at index 1"), e.getMessage());
  }

  @Test
  void reportsFirstBadCharacter() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of("ok:then space"));
    assertTrue(e.getMessage().contains("':' at index 2"), e.getMessage());
  }

  @Test
  void equalityAndHashCodeFollowTheValue() {
    NodeId a1 = NodeId.of("alpha");
    NodeId a2 = NodeId.of(new String("alpha"));
    NodeId b = NodeId.of("beta");
    assertEquals(a1, a2);
    assertEquals(a1.hashCode(), a2.hashCode());
    assertNotEquals(a1, b);
    assertNotEquals(NodeId.of("Alpha"), a1, "ids are case-sensitive");
    assertNotEquals(a1, "alpha", "a NodeId never equals a String");
    assertNotEquals(a1, null);
  }

  @Test
  void ordersByStringValue() {
    List<NodeId> ids = new ArrayList<>();
    for (String s : new String[] {"n2", "n10", "N1", "n1", "a", "#", "-", "_", "."}) {
      ids.add(NodeId.of(s));
    }
    Collections.sort(ids);
    List<String> values = ids.stream().map(NodeId::value).toList();
    List<String> expected = new ArrayList<>(values);
    Collections.sort(expected);
    assertEquals(expected, values);
    // String order, not numeric order: "n10" before "n2"; uppercase before lowercase.
    assertEquals(List.of("#", "-", ".", "N1", "_", "a", "n1", "n10", "n2"), values);
  }

  @Test
  void compareToIsConsistentWithEquals() {
    assertEquals(0, NodeId.of("x").compareTo(NodeId.of("x")));
    assertTrue(NodeId.of("a").compareTo(NodeId.of("b")) < 0);
    assertTrue(NodeId.of("b").compareTo(NodeId.of("a")) > 0);
    assertTrue(NodeId.of("a").compareTo(NodeId.of("aa")) < 0);
  }
}
