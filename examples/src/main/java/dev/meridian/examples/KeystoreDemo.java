package dev.meridian.examples;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.client.KeystoreException;
import dev.meridian.keystore.client.ReadResult;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.AccessPolicy;
import dev.meridian.keystore.server.KeyServerCore;
import dev.meridian.keystore.server.KeystoreGrpcService;
import dev.meridian.keystore.store.InMemoryRecordStore;
import dev.meridian.proto.v1.AdminReply;
import dev.meridian.proto.v1.CompleteReply;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.StoredVersion;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The key service on a 3×3 grid (grid-cr, f = 1) in this process on 127.0.0.1: alice stores a
 * secret, a server is stopped and bob still reads it, then another server turns malicious
 * (its shares come back with a flipped bit) and the reader names it while still returning the
 * right secret. In between, alice takes bob's read right away and gives it back: admin actions
 * the servers order by Byzantine agreement. No server ever holds more than its share of the data
 * key.
 */
public final class KeystoreDemo {
  /** The server that turns malicious: s0, whose share a reader checks first when it has it. */
  private static final int LIAR = 0;
  /** The server stopped (and later restarted, empty). */
  private static final int STOPPED = 8;
  private static final String KEY = "demo/db-password";
  private static final String SECRET = "correct horse battery staple";

  private KeystoreDemo() {}

  /** Runs the demo; returns true when every step behaved as the guarantees say. */
  public static boolean run(PrintStream out) throws Exception {
    QuorumSystem quorums = QuorumSystems.gridCr(9, 1);
    AtomicBoolean centreLies = new AtomicBoolean();
    try (LocalGrid grid = LocalGrid.start(quorums, List.of("alice", "bob"),
        i -> new InMemoryRecordStore(),
        i -> i == LIAR ? core -> new TurnCoat(core, centreLies) : KeystoreGrpcService::new);
        KeystoreClient alice = grid.client("alice", Duration.ofSeconds(3));
        KeystoreClient bob = grid.client("bob", Duration.ofSeconds(3))) {
      out.println("Key service: 9 servers on 127.0.0.1 in a 3×3 grid (" + quorums + "); each"
          + " holds one Feldman share of a secret's data key, any 2 of them open it.");
      boolean ok = true;
      alice.put(KEY, SECRET.getBytes(StandardCharsets.UTF_8));
      out.println("  alice stores " + KEY + " (demo data: \"" + SECRET + "\")");

      out.println("Stopping server s" + STOPPED + " (f = 1 may fail)...");
      grid.stop(STOPPED);
      ReadResult read = bob.get(KEY);
      ok &= check(out, "bob reads " + KEY + " with s" + STOPPED + " down",
          new String(read.value(), StandardCharsets.UTF_8).equals(SECRET)
              && read.misbehaving().isEmpty());
      grid.restart(STOPPED); // an empty store: reads write the version back to it
      ok &= adminActions(out, grid, alice, bob);
      ok &= refreshWhileReading(out, grid, alice, bob);

      out.println("Server s" + LIAR + " turns malicious: its shares now come back corrupted...");
      centreLies.set(true);
      boolean caught = false;
      boolean allRight = true;
      int reads = 0;
      // A read asks a quorum (7 of 9) and checks shares until t verify, so it may take a few
      // reads before the liar's share is among those checked.
      while (!caught && reads < 12) {
        ReadResult r = bob.get(KEY);
        reads++;
        allRight &= new String(r.value(), StandardCharsets.UTF_8).equals(SECRET)
            && !r.faultBoundExceeded();
        caught = r.misbehaving().containsKey("s" + LIAR);
        if (caught) {
          out.println("  bob's read " + reads + " names s" + LIAR + ": "
              + r.misbehaving().get("s" + LIAR));
        }
      }
      ok &= check(out, "every read returned alice's secret, and the malicious server was caught",
          allRight && caught);
      out.println(ok ? "Key service: the secret survived a stopped server and a lying one."
          : "Key service: SOMETHING WENT WRONG (see above).");
      return ok;
    }
  }

  /**
   * alice takes bob's right to read demo/ keys and gives it back: each change is an admin action
   * the nine servers order by Byzantine agreement (Dolev–Strong), so all hold the same rules.
   */
  private static boolean adminActions(PrintStream out, LocalGrid grid, KeystoreClient alice,
      KeystoreClient bob) throws Exception {
    out.println("Admin actions, agreed by the servers (Dolev–Strong, 500 ms rounds):");
    alice.revoke("demo/", "bob", AccessPolicy.Right.ADMIN);
    long sequence = alice.revoke("demo/", "bob", AccessPolicy.Right.READ);
    String refusal;
    try {
      bob.get(KEY);
      refusal = null;
    } catch (KeystoreException e) {
      refusal = e.getMessage();
    }
    boolean ok = check(out, "alice revokes bob's read right on demo/ (admin action " + sequence
        + "); bob's read is refused", refusal != null && refusal.contains("may not read"));
    sequence = alice.grant("demo/", "bob", AccessPolicy.Right.READ);
    ok &= check(out, "alice grants it back (admin action " + sequence + "); bob reads again",
        new String(bob.get(KEY).value(), StandardCharsets.UTF_8).equals(SECRET));
    // The client returned when f + 1 servers answered; the others close the same slot at once.
    long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    boolean same;
    do {
      same = true;
      for (int i = 0; i < 9; i++) {
        same &= grid.server(i).adminSequence() == sequence
            && grid.server(i).core().policy().equals(grid.server(0).core().policy());
      }
    } while (!same && System.nanoTime() < until && sleep());
    return ok & check(out, "all 9 servers hold the same rules after " + sequence + " actions",
        same);
  }

  /**
   * alice starts a proactive share refresh while bob keeps reading: the servers deal each other
   * sharings of zero, agree (Dolev–Strong again) on the valid dealers, and move every share to a
   * new polynomial of the same secret, so shares stolen before it are useless with shares after.
   */
  private static boolean refreshWhileReading(PrintStream out, LocalGrid grid,
      KeystoreClient alice, KeystoreClient bob) throws Exception {
    out.println("Proactive share refresh, while bob keeps reading:");
    long sequence = alice.refresh();
    out.println("  alice starts a share refresh (admin action " + sequence + ")");
    int reads = 0;
    boolean allRight = true;
    boolean applied;
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    do {
      allRight &= new String(bob.get(KEY).value(), StandardCharsets.UTF_8).equals(SECRET);
      reads++;
      applied = true;
      for (int i = 0; i < 9; i++) {
        applied &= grid.server(i).core().refreshesApplied() >= 1;
      }
    } while (!applied && System.nanoTime() < until);
    boolean ok = check(out, "bob read " + KEY + " " + reads + " times while the servers dealt,"
        + " voted and applied it, and got alice's secret every time", allRight && reads > 0);
    return ok & check(out, "all 9 servers moved their shares to the new sharing (refresh 1),"
        + " and bob still reads the secret", applied
            && new String(bob.get(KEY).value(), StandardCharsets.UTF_8).equals(SECRET));
  }

  private static boolean sleep() throws InterruptedException {
    Thread.sleep(20);
    return true;
  }

  private static boolean check(PrintStream out, String what, boolean ok) {
    out.println("  " + what + ": " + (ok ? "yes" : "NO"));
    return ok;
  }

  /** An honest server until told otherwise; then the shares it returns have a flipped bit. */
  private static final class TurnCoat extends KeystoreGrpc.KeystoreImplBase {
    private final KeystoreGrpcService honest;
    private final AtomicBoolean lying;

    TurnCoat(KeyServerCore core, AtomicBoolean lying) {
      this.honest = new KeystoreGrpcService(core);
      this.lying = lying;
    }

    @Override
    public void admin(SignedRequest request, StreamObserver<AdminReply> reply) {
      honest.admin(request, reply);
    }

    @Override
    public void adminLog(SignedRequest request,
        StreamObserver<dev.meridian.proto.v1.AdminLogReply> reply) {
      honest.adminLog(request, reply);
    }

    @Override
    public void refreshDeal(dev.meridian.proto.v1.RefreshDealing request,
        StreamObserver<dev.meridian.proto.v1.RefreshDealAck> reply) {
      honest.refreshDeal(request, reply);
    }

    @Override
    public void read(SignedRequest request, StreamObserver<ReadReply> reply) {
      if (!lying.get()) {
        honest.read(request, reply);
        return;
      }
      honest.read(request, new StreamObserver<>() {
        @Override
        public void onNext(ReadReply value) {
          ReadReply.Builder b = value.toBuilder().clearVersions();
          for (StoredVersion v : value.getVersionsList()) {
            if (v.getShare().isEmpty()) {
              b.addVersions(v);
            } else {
              byte[] y = v.getShare().toByteArray();
              y[31] ^= 1;
              b.addVersions(v.toBuilder().setShare(ByteString.copyFrom(y)));
            }
          }
          reply.onNext(b.build());
        }

        @Override
        public void onError(Throwable t) {
          reply.onError(t);
        }

        @Override
        public void onCompleted() {
          reply.onCompleted();
        }
      });
    }

    @Override
    public void write(WriteRequest request, StreamObserver<StoreAck> reply) {
      honest.write(request, reply);
    }

    @Override
    public void writeBack(WriteBackRequest request, StreamObserver<StoreAck> reply) {
      honest.writeBack(request, reply);
    }

    @Override
    public void complete(SignedRequest request, StreamObserver<CompleteReply> reply) {
      honest.complete(request, reply);
    }

    @Override
    public void openSession(SignedRequest request, StreamObserver<SessionGrant> reply) {
      honest.openSession(request, reply);
    }
  }
}
