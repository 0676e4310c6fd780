package dev.meridian.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeystoreDemoTest {

  @Test
  void theSecretSurvivesAStoppedServerAndTheLiarIsNamed() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean ok = KeystoreDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(ok, out);
    assertTrue(out.contains("bob reads demo/db-password with s8 down: yes"), out);
    assertTrue(out.contains("alice revokes bob's read right on demo/ (admin action 2); bob's read"
        + " is refused: yes"), out);
    assertTrue(out.contains("alice grants it back (admin action 3); bob reads again: yes"), out);
    assertTrue(out.contains("all 9 servers hold the same rules after 3 actions: yes"), out);
    assertTrue(out.contains("alice starts a share refresh (admin action 4)"), out);
    assertTrue(out.contains("all 9 servers moved their shares to the new sharing (refresh 1),"
        + " and bob still reads the secret: yes"), out);
    assertTrue(out.matches("(?s).*bob's read \\d+ names s0: sent a share that fails its"
        + " commitments.*"), out);
    assertTrue(out.contains("Key service: the secret survived a stopped server and a lying one."),
        out);
  }
}
