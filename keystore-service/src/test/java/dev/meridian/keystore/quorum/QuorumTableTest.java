package dev.meridian.keystore.quorum;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuorumTableTest {

  @Test
  void tableHasARowPerSizeAndKind() {
    String table = QuorumTable.markdown();
    assertTrue(table.startsWith("| n | kind | largest f | quorum size | load |\n"), table);
    assertTrue(table.contains("| 9 | grid-cr | 1 | 7 | 0.78 |\n"), table);
    assertTrue(table.contains("| 100 | grid-mg | 7 | 51 | 0.51 |\n"), table);
    assertTrue(table.contains("| 100 | threshold | 24 | 75 | 0.75 |\n"), table);
    assertTrue(table.contains("| 100 | 1 | 0.28 | 0.36 | 0.52 |\n"), table);
    long rows = table.lines().filter(line -> line.matches("\\| \\d+ \\| [a-z-]+ \\|.*")).count();
    assertTrue(rows == 15, rows + " rows in\n" + table);
  }
}
