package dev.meridian.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.quorum.QuorumSystems;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stubs-only client against a real 3x3 grid on 127.0.0.1. */
class StubsOnlyReaderTest {

  @Test
  void readsEveryServersNewestRecordAndChecksTheWritersSignature() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), List.of("alice", "bob"));
        KeystoreClient alice = grid.client("alice", Duration.ofSeconds(5))) {
      alice.put("db/password", "s3cret".getBytes(StandardCharsets.UTF_8));
      alice.put("db/password", "s3cret, rotated".getBytes(StandardCharsets.UTF_8));
      List<StubsOnlyReader.Server> servers = grid.endpoints().stream()
          .map((ServerEndpoint e) -> new StubsOnlyReader.Server(e.id(),
              e.address().getHostString(), e.address().getPort()))
          .toList();
      SigningKey bob = grid.signingKey("bob");
      byte[] aliceKey = grid.signingKey("alice").verifyingKey().toBytes();

      List<StubsOnlyReader.Answer> answers = StubsOnlyReader.newestRecords(servers, "bob",
          bob::sign, Map.of("alice", aliceKey), "db/password", Duration.ofSeconds(3));
      assertEquals(9, answers.size());
      // A write completes at a quorum (7 of 9); a server may still lack version 2 or hold only 1.
      long current = answers.stream()
          .filter(a -> a.version().equals("2/alice") && a.signatureVerifies()).count();
      assertTrue(current >= 7, answers.toString());
      assertTrue(answers.stream().allMatch(a -> a.version().equals("-")
          || a.version().matches("[12]/alice") && a.signatureVerifies()), answers.toString());

      // A writer key that is not alice's: no record verifies.
      byte[] impostor = SigningKey.generate(new SecureRandom()).verifyingKey().toBytes();
      assertFalse(StubsOnlyReader.newestRecords(servers, "bob", bob::sign,
          Map.of("alice", impostor), "db/password", Duration.ofSeconds(3)).stream()
          .anyMatch(StubsOnlyReader.Answer::signatureVerifies));

      // A request signed with the wrong key is refused by every server.
      SigningKey stranger = SigningKey.generate(new SecureRandom());
      assertTrue(StubsOnlyReader.newestRecords(servers, "bob", stranger::sign,
          Map.of("alice", aliceKey), "db/password", Duration.ofSeconds(3)).stream()
          .allMatch(a -> a.version().equals("UNAUTHENTICATED")));
    }
  }
}
