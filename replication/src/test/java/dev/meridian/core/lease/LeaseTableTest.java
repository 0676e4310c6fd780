package dev.meridian.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.lease.LeaseTable.Kind;
import dev.meridian.core.lease.LeaseTable.Op;
import org.junit.jupiter.api.Test;

/** The grant rule and the wire form of the replicated lease table. */
class LeaseTableTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private final LeaseTable table = new LeaseTable();

  @Test
  void grantsOnlyOnceTheRequestersEarliestIsPastTheExpiry() {
    LeaseTable.State s = table.initialState();
    LeaseTable.Result a = table.apply(s, new Op(Kind.ACQUIRE, "r", 0, 100, 1_000), A);
    assertTrue(a.granted());
    assertEquals(1, a.grant().token());
    assertEquals(1_100, a.grant().expiryNanos());
    // b's interval reaches back to 1100: true time may not be past the expiry yet.
    assertFalse(table.apply(s, new Op(Kind.ACQUIRE, "r", 0, 100, 1_100), B).granted());
    LeaseTable.Result b = table.apply(s, new Op(Kind.ACQUIRE, "r", 0, 100, 1_101), B);
    assertTrue(b.granted());
    assertEquals(2, b.grant().token());
    // a's renew of its old grant fails; b's extends and keeps the token.
    assertFalse(table.apply(s, new Op(Kind.RENEW, "r", 1, 500, 1_150), A).granted());
    LeaseTable.Result renewed = table.apply(s, new Op(Kind.RENEW, "r", 2, 500, 1_150), B);
    assertEquals(2, renewed.grant().token());
    assertEquals(1_650, renewed.grant().expiryNanos());
    assertFalse(table.apply(s, new Op(Kind.RELEASE, "r", 2, 0, 0), A).granted(), "not a's");
    assertTrue(table.apply(s, new Op(Kind.RELEASE, "r", 2, 0, 0), B).granted());
    assertEquals(3, table.apply(s, new Op(Kind.ACQUIRE, "r", 0, 10, 1_200), A).grant().token());
  }

  @Test
  void opsAndStateSurviveTheirCodecsAndMalformedBytesAreRefused() {
    LeaseTable.State s = table.initialState();
    table.apply(s, new Op(Kind.ACQUIRE, "printer", 0, 100, 1_000), A);
    table.apply(s, new Op(Kind.ACQUIRE, "disk", 0, 100, 1_000), B);
    table.apply(s, new Op(Kind.RELEASE, "disk", 1, 0, 0), B);
    LeaseTable.State copy = table.stateCodec().decode(table.stateCodec().encode(s));
    assertEquals(s.grants, copy.grants);
    assertEquals(s.lastToken, copy.lastToken);
    Op op = new Op(Kind.RENEW, "printer", 7, 5, -3);
    assertEquals(op, table.opCodec().decode(table.opCodec().encode(op)));
    byte[] bad = table.opCodec().encode(op);
    bad[0] = 9;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> table.opCodec().decode(bad))
        .getMessage().contains("kind"));
    assertThrows(IllegalArgumentException.class, () -> table.opCodec().decode(new byte[] {0}));
    byte[] longer = java.util.Arrays.copyOf(table.opCodec().encode(op), 40);
    assertThrows(IllegalArgumentException.class, () -> table.opCodec().decode(longer));
  }
}
