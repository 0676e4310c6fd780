package dev.meridian.keystore.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Locale;

/** Assertions that a text (a toString, an exception message) does not show a secret. */
public final class Secrets {
  private Secrets() {}

  /**
   * Fails if {@code text} contains any 8 consecutive hex digits of {@code secret} (either case)
   * or any 10 consecutive digits of its unsigned decimal value.
   */
  public static void assertNotShown(String text, byte[] secret, String context) {
    String haystack = text.toLowerCase(Locale.ROOT);
    String hex = HexFormat.of().formatHex(secret);
    for (int i = 0; i + 8 <= hex.length(); i++) {
      String window = hex.substring(i, i + 8);
      assertFalse(haystack.contains(window),
          context + ": '" + text + "' shows hex digits " + i + ".. of the secret");
    }
    String decimal = new BigInteger(1, secret).toString();
    for (int i = 0; i + 10 <= decimal.length(); i++) {
      assertFalse(text.contains(decimal.substring(i, i + 10)),
          context + ": '" + text + "' shows decimal digits of the secret");
    }
  }
}
