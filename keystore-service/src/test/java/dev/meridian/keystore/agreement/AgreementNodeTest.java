package dev.meridian.keystore.agreement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.tls.TlsCertificates;
import dev.meridian.keystore.tls.TransportSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntFunction;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dolev–Strong over gRPC on 127.0.0.1, rounds on System.nanoTime (one JVM: one clock). */
class AgreementNodeTest {
  // Generous: rounds are real time, and a test JVM checks its first signatures in interpreted
  // code while C2 compiles BouncyCastle's Ed25519 on one of the two cores (100 ms was late once
  // in a few runs: a process then rightly decides the default, and the test fails).
  private static final long DELTA = TimeUnit.MILLISECONDS.toNanos(400);
  private static final Value GRANT = Value.of("grant bob read /db".getBytes(StandardCharsets.UTF_8));

  private final List<AgreementNode> nodes = new ArrayList<>();
  private final List<VerifyingKey> keys = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(AgreementNode::close);
  }

  private void start(int n) throws Exception {
    start(n, i -> TransportSecurity.plaintext());
  }

  private void start(int n, IntFunction<TransportSecurity> security) throws Exception {
    SecureRandom random = new SecureRandom();
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SigningKey key = SigningKey.generate(random);
      keys.add(key.verifyingKey());
      AgreementNode node = AgreementNode.start(i, key, new InetSocketAddress("127.0.0.1", 0),
          DELTA, System::nanoTime, security.apply(i));
      nodes.add(node);
      addresses.add(node.address());
    }
    nodes.forEach(node -> node.connect(addresses));
    for (AgreementNode node : nodes) {
      assertEquals(n - 1, node.awaitConnected(TimeUnit.SECONDS.toNanos(10)));
    }
  }

  private List<CompletableFuture<Decision>> run(String id, int f, int sender, List<Integer> live) {
    return run(new AgreementConfig(id.getBytes(StandardCharsets.UTF_8), keys, f, sender), live);
  }

  private List<CompletableFuture<Decision>> run(AgreementConfig config, List<Integer> live) {
    int sender = config.sender();
    long start = System.nanoTime() + DELTA / 2;
    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
    for (int i : live) {
      decisions.add(nodes.get(i).join(config, start, i == sender ? GRANT : null));
    }
    return decisions;
  }

  @Test
  void aNoticeReachesEveryOtherProcessAndAThrowingHandlerHarmsNothing() throws Exception {
    start(3);
    List<java.util.concurrent.LinkedBlockingQueue<String>> heard = new ArrayList<>();
    for (AgreementNode node : nodes) {
      java.util.concurrent.LinkedBlockingQueue<String> q =
          new java.util.concurrent.LinkedBlockingQueue<>();
      heard.add(q);
      node.onNotice(bytes -> {
        String text = new String(bytes, StandardCharsets.UTF_8);
        q.add(text);
        if (text.equals("bad")) {
          throw new IllegalArgumentException("the runtime refuses it"); // counted, not fatal
        }
      });
    }
    nodes.get(0).broadcastNotice("bad".getBytes(StandardCharsets.UTF_8));
    nodes.get(0).broadcastNotice("slot 7 applied".getBytes(StandardCharsets.UTF_8));
    for (int i = 1; i < 3; i++) {
      java.util.Set<String> got = new java.util.HashSet<>();
      got.add(heard.get(i).poll(10, TimeUnit.SECONDS));
      got.add(heard.get(i).poll(10, TimeUnit.SECONDS));
      assertEquals(java.util.Set.of("bad", "slot 7 applied"), got);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (nodes.get(i).refusedMessages() == 0 && System.nanoTime() < until) {
        Thread.sleep(5); // counted just after the handler threw
      }
      assertEquals(1, nodes.get(i).refusedMessages());
    }
    assertEquals(null, heard.get(0).poll(200, TimeUnit.MILLISECONDS)); // not to itself
    // ... and agreement still runs among them.
    for (CompletableFuture<Decision> d : run("after-notices", 1, 1, List.of(0, 1, 2))) {
      assertEquals(Optional.of(GRANT), d.get(10, TimeUnit.SECONDS).value());
    }
  }

  @Test
  void everyProcessDecidesTheSendersValueAfterFPlusOneRounds() throws Exception {
    start(4);
    for (CompletableFuture<Decision> d : run("action-1", 1, 0, List.of(0, 1, 2, 3))) {
      Decision decision = d.get(10, TimeUnit.SECONDS);
      assertEquals(Optional.of(GRANT), decision.value());
      assertEquals(2, decision.round());
    }
    assertEquals(0, nodes.stream().mapToLong(AgreementNode::refusedMessages).sum());
  }

  @Test
  void theEarlyModeDecidesInRoundTwoAndStillAgreesWithACrash() throws Exception {
    start(5);
    // f = 3: the f+1-round mode would take four rounds.
    AgreementConfig early = new AgreementConfig("action-early".getBytes(StandardCharsets.UTF_8),
        keys, 3, 0).withEarlyDecision();
    List<CompletableFuture<Decision>> all = run(early, List.of(0, 1, 2, 3, 4));
    for (int p = 0; p < 5; p++) {
      Decision decision = all.get(p).get(10, TimeUnit.SECONDS);
      assertEquals(Optional.of(GRANT), decision.value());
      assertEquals(p == 0 ? 1 : 2, decision.round(), "p" + p);
    }
    // p4 gone: no process holds all four echoes, so the others decide after round f+1.
    nodes.get(4).close();
    AgreementConfig crashed = new AgreementConfig(
        "action-early-2".getBytes(StandardCharsets.UTF_8), keys, 3, 0).withEarlyDecision();
    List<CompletableFuture<Decision>> rest = run(crashed, List.of(0, 1, 2, 3));
    for (int p = 1; p < 4; p++) {
      Decision decision = rest.get(p).get(10, TimeUnit.SECONDS);
      assertEquals(Optional.of(GRANT), decision.value());
      assertEquals(4, decision.round(), "p" + p);
    }
  }

  @Test
  void overMutualTlsEveryProcessDecidesTheSendersValue(@TempDir Path dir) throws Exception {
    SecureRandom random = new SecureRandom();
    Path ca = dir.resolve("ca");
    TlsCertificates.writeCa(ca, "agreement CA", Duration.ofDays(1), random);
    List<TransportSecurity> tls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Path p = dir.resolve("p" + i);
      TlsCertificates.issue(ca, p, "p" + i, List.of("127.0.0.1"), Duration.ofDays(1), random);
      tls.add(TransportSecurity.mutualTls(TlsCertificates.certificateFile(p),
          TlsCertificates.privateKeyFile(p), TlsCertificates.certificateFile(ca)));
    }
    start(4, tls::get);
    for (CompletableFuture<Decision> d : run("action-tls", 1, 2, List.of(0, 1, 2, 3))) {
      assertEquals(Optional.of(GRANT), d.get(10, TimeUnit.SECONDS).value());
    }
    assertEquals(0, nodes.stream().mapToLong(AgreementNode::refusedMessages).sum());
  }

  @Test
  void aCrashedProcessDoesNotStopTheOthers() throws Exception {
    start(4);
    nodes.get(3).close();
    for (CompletableFuture<Decision> d : run("action-2", 1, 1, List.of(0, 1, 2))) {
      Decision decision = d.get(10, TimeUnit.SECONDS);
      assertEquals(Optional.of(GRANT), decision.value());
    }
  }

  @Test
  void aSilentSenderLeavesEveryoneWithTheDefault() throws Exception {
    start(4);
    nodes.get(0).close(); // the sender never sends
    for (CompletableFuture<Decision> d : run("action-3", 1, 0, List.of(1, 2, 3))) {
      assertTrue(d.get(10, TimeUnit.SECONDS).isDefault());
    }
  }

  @Test
  void manyInstancesAtOnceAllAgree() throws Exception {
    start(4);
    for (CompletableFuture<Decision> d : run("warm-up", 2, 0, List.of(0, 1, 2, 3))) {
      d.get(10, TimeUnit.SECONDS); // the JIT's first look at the signature code
    }
    List<CompletableFuture<Decision>> all = new ArrayList<>();
    for (int k = 0; k < 20; k++) {
      all.addAll(run("action-many-" + k, 2, k % 4, List.of(0, 1, 2, 3)));
    }
    for (CompletableFuture<Decision> d : all) {
      assertEquals(Optional.of(GRANT), d.get(10, TimeUnit.SECONDS).value());
    }
  }
}
