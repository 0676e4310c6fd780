package dev.meridian.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.causal.CausalMulticastCore;
import dev.meridian.core.causal.CausalSettings;
import dev.meridian.core.causal.CausalWire;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.replica.ReplicaCore;
import dev.meridian.replica.Delivered;
import dev.meridian.replica.crdt.ReplicatedCounter;
import dev.meridian.runtime.CausalFrameCodec;
import dev.meridian.runtime.NodeRuntime;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 3 §7: three members over gRPC on 127.0.0.1 exchange 100,000 operations while one member's
 * streams are reset mid-run; every member applies every operation exactly once and the counters
 * converge.
 */
class RealNetworkCausalTest {
  private static final List<NodeId> IDS = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));
  private static final int TOTAL_OPS = 100_000;

  /** One member: its transport, runtime, and what it applied. */
  private static final class Member {
    final NodeId id;
    GrpcTransport transport;
    NodeRuntime<LinkFrame<CausalWire>> runtime;
    final Set<String> applied = ConcurrentHashMap.newKeySet();
    final AtomicLong appliedCount = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final Semaphore inFlight = new Semaphore(2_000);

    Member(NodeId id) {
      this.id = id;
    }
  }

  @Test
  @Timeout(120)
  void hundredThousandOpsSurviveAStreamResetExactlyOnce() throws Exception {
    List<Member> members = new ArrayList<>();
    try {
      for (int i = 0; i < IDS.size(); i++) {
        Member m = new Member(IDS.get(i));
        // Port 0, addresses exchanged once all listen: a port picked free beforehand can be
        // taken (by an outgoing connection's ephemeral port) before it is bound.
        GrpcTransport.Builder tb = GrpcTransport.builder(m.id).incarnation(1)
            .listen(new InetSocketAddress("127.0.0.1", 0));
        for (int j = 0; j < IDS.size(); j++) {
          if (j != i) {
            tb.peer(IDS.get(j));
          }
        }
        m.transport = tb.build();
        ReplicaCore<ReplicatedCounter, ReplicatedCounter.Op> core = new ReplicaCore<>(
            new CausalMulticastCore(m.id, 1, IDS, CausalSettings.defaults(),
                CausalMulticastCore.Variant.CORRECT),
            new ReplicatedCounter(), 500_000_000L);
        m.runtime = NodeRuntime.<LinkFrame<CausalWire>>builder()
            .core(core)
            .transport(m.transport)
            .codec(new CausalFrameCodec(IDS.size(), 1 << 20))
            .onDeliver(value -> onDeliver(m, value))
            .build();
        members.add(m);
      }
      members.forEach(m -> m.runtime.start());
      for (Member m : members) {
        for (Member other : members) {
          if (other != m) {
            m.transport.setPeerAddress(other.id, other.transport.localAddress());
          }
        }
      }

      // Every member submits its share from its own thread, in-flight bounded (back-pressure).
      List<Thread> writers = new ArrayList<>();
      long[] expectedSum = new long[1];
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        int share = TOTAL_OPS / 3 + (i < TOTAL_OPS % 3 ? 1 : 0);
        for (int k = 0; k < share; k++) {
          expectedSum[0] += 1 + k % 7;
        }
        Thread t = new Thread(() -> {
          for (int k = 0; k < share; k++) {
            m.inFlight.acquireUninterruptibly();
            m.runtime.submit(new ReplicaCore.SubmitOp<>(
                ReplicatedCounter.incrementOp(1 + k % 7), m.inFlight));
          }
        }, "writer-" + m.id);
        t.start();
        writers.add(t);
      }

      // Halfway through, reset every stream of member b, in both directions.
      Member b = members.get(1);
      awaitTrue(() -> b.appliedCount.get() >= TOTAL_OPS / 2, 60, "half the ops applied at b");
      for (NodeId peer : IDS) {
        if (!peer.equals(b.id)) {
          b.transport.resetStream(peer);
          members.get(IDS.indexOf(peer)).transport.resetStream(b.id);
        }
      }
      for (Thread t : writers) {
        t.join(TimeUnit.SECONDS.toMillis(60));
      }

      for (Member m : members) {
        awaitTrue(() -> m.appliedCount.get() >= TOTAL_OPS, 60,
            m.id + " applied " + m.appliedCount.get() + " of " + TOTAL_OPS);
      }
      for (Member m : members) {
        assertEquals(0, m.duplicates.get(), m.id + " applied duplicates");
        assertEquals(TOTAL_OPS, m.applied.size(), m.id + " distinct ops");
        assertEquals(TOTAL_OPS, m.appliedCount.get(), m.id + " ops applied");
        CompletableFuture<Object> value = new CompletableFuture<>();
        m.runtime.submit(new ReplicaCore.Read<ReplicatedCounter>(ReplicatedCounter::value, value));
        assertEquals(expectedSum[0], value.get(10, TimeUnit.SECONDS), m.id + " counter");
      }
    } finally {
      for (Member m : members) {
        m.runtime.close();
        m.transport.close();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void onDeliver(Member m, Object value) {
    if (value instanceof Delivered<?> d) {
      if (!m.applied.add(d.origin().node() + "#" + d.origin().sequence())) {
        m.duplicates.incrementAndGet();
      }
      m.appliedCount.incrementAndGet();
    } else if (value instanceof ReplicaCore.Applied a) {
      ((Semaphore) a.token()).release();
    } else if (value instanceof ReplicaCore.ReadDone r) {
      ((CompletableFuture<Object>) r.token()).complete(r.result());
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, int seconds,
      String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
      TimeUnit.MILLISECONDS.sleep(5); // polling a condition with a deadline
    }
  }
}
