package dev.meridian.keystore.shamir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.testing.SeededRandom;
import dev.meridian.keystore.testing.Secrets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Secrets and shares print as {@code <redacted>}; their digits appear nowhere. */
class RedactionTest {
  @Test
  void noSecretDigitsInToString() {
    for (long seed = 0; seed < 50; seed++) {
      String at = "seed=" + seed;
      Dealing dealing = FeldmanVss.secp256k1().deal(3, List.of(1, 2, 3, 4), SeededRandom.of(seed));
      byte[] secret = dealing.secret().toBytes();
      byte[] dataKey = dealing.secret().dataKey();
      String dealingText = dealing.toString();
      assertTrue(dealingText.startsWith("Dealing[t=3, xs=[1, 2, 3, 4], secret=<redacted>, "
          + "Commitments[t=3, C_0="), at + ": " + dealingText);
      Secrets.assertNotShown(dealingText, secret, at + " dealing");
      Secrets.assertNotShown(dealingText, dataKey, at + " dealing/data key");
      assertEquals("SecretScalar[<redacted>]", dealing.secret().toString(), at);
      for (Share share : dealing.shares()) {
        assertEquals("Share[x=" + share.x() + ", epoch=0, y=<redacted>]", share.toString(), at);
        Secrets.assertNotShown(dealingText, share.yBytes(), at + " dealing/share " + share.x());
      }
      assertEquals(0x5EC2E7, dealing.secret().hashCode(), at + ": hashCode must not depend on s");
    }
  }
}
