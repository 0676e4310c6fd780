package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.ProtocolCore;
import dev.meridian.transport.GrpcTransport;
import dev.meridian.transport.InMemoryNetwork;
import dev.meridian.transport.InMemoryTransport;
import dev.meridian.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NodeRuntimeTest {
  private static final NodeId A = NodeId.of("a");
  private static final NodeId B = NodeId.of("b");
  private static final NodeId X = NodeId.of("x");

  // ---- a tiny protocol: ping, pong, and requests that drive timers ----

  sealed interface Msg permits Ping, Pong {}

  record Ping(long n) implements Msg {}

  record Pong(long n) implements Msg {}

  /** "PING:n" / "PONG:n" in ASCII; anything else is refused. */
  static final class Codec implements WireCodec<Msg> {
    @Override
    public byte[] encode(Msg m) {
      String s = m instanceof Ping p ? "PING:" + p.n() : "PONG:" + ((Pong) m).n();
      return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public Msg decode(byte[] frame) {
      String s = new String(frame, StandardCharsets.US_ASCII);
      try {
        if (s.startsWith("PING:")) {
          return new Ping(Long.parseLong(s.substring(5)));
        }
        if (s.startsWith("PONG:")) {
          return new Pong(Long.parseLong(s.substring(5)));
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad number in " + s, e);
      }
      throw new IllegalArgumentException("not a ping or pong: " + s);
    }
  }

  /**
   * Requests: "ping:N" sends Ping(N) to the peer, "self:N" to itself, "timer:NAME:MS" sets a timer,
   * "cancel:NAME" cancels one, "hold:N" sends Ping(N) to the peer only when the turn ends
   * ({@link #flush}), "boom" throws. A Ping is answered with a Pong; messages, timers and the
   * start are delivered as strings. Optionally pings the peer on start. Checks that monotonic
   * time never goes back.
   */
  static final class PingPongCore implements ProtocolCore<Msg> {
    private final NodeId self;
    private final NodeId peer;
    private final boolean pingOnStart;
    private final List<Effect<Msg>> held = new ArrayList<>();
    private long lastMonotonic = Long.MIN_VALUE;
    private volatile Thread thread;

    PingPongCore(NodeId self, NodeId peer, boolean pingOnStart) {
      this.self = self;
      this.peer = peer;
      this.pingOnStart = pingOnStart;
    }

    @Override
    public List<Effect<Msg>> flush() {
      List<Effect<Msg>> out = List.copyOf(held);
      held.clear();
      return out;
    }

    @Override
    public List<Effect<Msg>> handle(Event<Msg> event) {
      Now now = event.now();
      if (now.monotonicNanos() < lastMonotonic) {
        throw new AssertionError("monotonic time went back");
      }
      lastMonotonic = now.monotonicNanos();
      if (thread == null) {
        thread = Thread.currentThread();
      } else if (thread != Thread.currentThread()) {
        throw new AssertionError("core called on two threads");
      }
      List<Effect<Msg>> out = new ArrayList<>();
      if (event instanceof Event.Start<Msg>) {
        long wallMillis = now.wallNanos() / 1_000_000;
        if (Math.abs(wallMillis - System.currentTimeMillis()) > 60_000) {
          throw new AssertionError("wall time is not wall time: " + now);
        }
        out.add(new Effect.Deliver<>("started " + self));
        if (pingOnStart) {
          out.add(new Effect.Send<>(peer, new Ping(0)));
        }
      } else if (event instanceof Event.Message<Msg> m && m.payload() instanceof Ping p) {
        out.add(new Effect.Deliver<>("ping " + p.n() + " from " + m.from()));
        out.add(new Effect.Send<>(m.from(), new Pong(p.n())));
      } else if (event instanceof Event.Message<Msg> m && m.payload() instanceof Pong p) {
        out.add(new Effect.Deliver<>("pong " + p.n() + " from " + m.from()));
      } else if (event instanceof Event.Timer<Msg> t) {
        out.add(new Effect.Deliver<>("timer " + t.name()));
      } else if (event instanceof Event.Request<Msg> r) {
        String[] parts = ((String) r.request()).split(":");
        switch (parts[0]) {
          case "ping" -> out.add(new Effect.Send<>(peer, new Ping(Long.parseLong(parts[1]))));
          case "hold" -> held.add(new Effect.Send<>(peer, new Ping(Long.parseLong(parts[1]))));
          case "self" -> out.add(new Effect.Send<>(self, new Ping(Long.parseLong(parts[1]))));
          case "timer" -> out.add(new Effect.SetTimer<>(parts[1],
              TimeUnit.MILLISECONDS.toNanos(Long.parseLong(parts[2]))));
          case "cancel" -> out.add(new Effect.CancelTimer<>(parts[1]));
          case "boom" -> throw new IllegalStateException("boom");
          default -> throw new AssertionError("unknown request " + r.request());
        }
      }
      return out;
    }
  }

  // ---- fixture ----

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private record Node(NodeRuntime<Msg> runtime, BlockingQueue<String> delivered) {
    String next() throws InterruptedException {
      String s = delivered.poll(5, TimeUnit.SECONDS);
      if (s == null) {
        throw new AssertionError("nothing delivered within 5 s");
      }
      return s;
    }
  }

  private Node node(Transport transport, NodeId peer) {
    return node(transport, peer, false);
  }

  private Node node(Transport transport, NodeId peer, boolean pingOnStart) {
    BlockingQueue<String> delivered = new LinkedBlockingQueue<>();
    NodeRuntime<Msg> runtime = NodeRuntime.<Msg>builder()
        .core(new PingPongCore(transport.self(), peer, pingOnStart))
        .transport(transport)
        .codec(new Codec())
        .onDeliver(v -> delivered.add((String) v))
        .build();
    toClose.add(runtime);
    return new Node(runtime, delivered);
  }

  /** 127.0.0.1, any free port. */
  private static final java.net.InetSocketAddress ANY_PORT =
      new java.net.InetSocketAddress("127.0.0.1", 0);

  private InMemoryNetwork network(NodeId... members) {
    InMemoryNetwork network = new InMemoryNetwork(List.of(members));
    toClose.add(network);
    return network;
  }

  // ---- tests ----

  @Test
  void pingPongOverTheInMemoryTransport() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    Node b = node(net.transport(B), A);
    a.runtime().start();
    b.runtime().start();
    assertEquals("started a", a.next());
    assertEquals("started b", b.next());

    a.runtime().submit("ping:1").get(5, TimeUnit.SECONDS);
    assertEquals("ping 1 from a", b.next());
    assertEquals("pong 1 from b", a.next());

    for (int i = 2; i <= 100; i++) {
      a.runtime().submit("ping:" + i);
    }
    for (int i = 2; i <= 100; i++) {
      assertEquals("pong " + i + " from b", a.next(), "in order over a FIFO transport");
    }
    NodeRuntime.Stats s = a.runtime().stats();
    assertEquals(100, s.framesSent());
    assertEquals(100, s.framesReceived());
    assertEquals(0, s.framesUndecodable());
  }

  @Test
  void pingPongOverGrpcOnTheLoopback() throws Exception {
    GrpcTransport ta = GrpcTransport.builder(A).listen(ANY_PORT).peer(B).build();
    GrpcTransport tb = GrpcTransport.builder(B).listen(ANY_PORT).peer(A).build();
    Node a = node(ta, B);
    Node b = node(tb, A);
    a.runtime().start();
    b.runtime().start();
    ta.setPeerAddress(B, tb.localAddress());
    tb.setPeerAddress(A, ta.localAddress());
    assertEquals("started a", a.next());
    assertEquals("started b", b.next());
    for (int i = 1; i <= 1_000; i++) {
      a.runtime().submit("ping:" + i);
    }
    for (int i = 1; i <= 1_000; i++) {
      assertEquals("pong " + i + " from b", a.next());
    }
    assertEquals(1_000, b.runtime().stats().framesReceived());
  }

  @Test
  void theStartEventMaySendAtOnceOverGrpc() throws Exception {
    // Start's effects used to race the transport's start: its first sends could find the
    // transport not started yet and be dropped.
    GrpcTransport tb = GrpcTransport.builder(B).listen(ANY_PORT).peer(A).build();
    Node b = node(tb, A);
    b.runtime().start();
    assertEquals("started b", b.next());
    for (int attempt = 0; attempt < 20; attempt++) {
      GrpcTransport ta = GrpcTransport.builder(A).listen(ANY_PORT)
          .peer(B, tb.localAddress()).build();
      Node a = node(ta, B, true);
      a.runtime().start();
      assertEquals("started a", a.next());
      assertEquals("ping 0 from a", b.next());
      assertEquals(0, a.runtime().stats().sendsFailed(), "attempt " + attempt);
      a.runtime().close();
    }
  }

  @Test
  void effectsHeldBackUntilTheTurnEndsAreCarriedOutBeforeTheRequestCompletes() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    Node b = node(net.transport(B), A);
    a.runtime().start();
    b.runtime().start();
    assertEquals("started a", a.next());
    assertEquals("started b", b.next());
    a.runtime().submit("hold:1").get(5, TimeUnit.SECONDS);
    assertEquals(1, a.runtime().stats().framesSent(), "flushed before the future completed");
    assertEquals("ping 1 from a", b.next());
    for (int i = 2; i <= 200; i++) {
      a.runtime().submit("hold:" + i);
    }
    for (int i = 2; i <= 200; i++) {
      assertEquals("ping " + i + " from a", b.next(), "in order, none lost");
    }
  }

  @Test
  void everyOfferedRequestIsHandledOrHandedToTheDroppedHandler() throws Exception {
    InMemoryNetwork net = network(A, B);
    BlockingQueue<Object> dropped = new LinkedBlockingQueue<>();
    BlockingQueue<String> delivered = new LinkedBlockingQueue<>();
    NodeRuntime<Msg> runtime = NodeRuntime.<Msg>builder()
        .core(new PingPongCore(A, B, false))
        .transport(net.transport(A))
        .codec(new Codec())
        .onDeliver(v -> delivered.add((String) v))
        .onDroppedRequest(dropped::add)
        .build();
    toClose.add(runtime);
    runtime.start();
    int refused = 0;
    int accepted = 0;
    for (int i = 0; i < 2_000; i++) {
      if (i == 1_000) {
        assertTrue(runtime.offer("boom")); // the core throws: the node fails stop
      } else if (runtime.offer("timer:t" + i + ":60000")) {
        accepted++;
      } else {
        refused++;
      }
    }
    assertThrows(ExecutionException.class, () -> runtime.submit("ping:1").get(5, TimeUnit.SECONDS));
    assertFalse(runtime.offer("ping:2"), "a failed runtime accepts nothing");
    // Handled requests set timers (no delivery); the rest were dropped, none lost in between.
    // The request the core failed on counts as dropped too.
    long handled = runtime.stats().eventsHandled() - 1; // minus Start
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!dropped.contains("boom") && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // the core thread hands the failed request over right after failing
    }
    assertTrue(dropped.contains("boom"));
    assertEquals(accepted + 1, handled + dropped.size(), "accepted + boom = handled + dropped");
    assertTrue(handled >= 1_000, "the requests before boom were handled: " + handled);
    assertEquals(2_000 - 1 - accepted, refused);
  }

  @Test
  void timersFireInOrderAndCancelledOrReplacedTimersDoNot() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    a.runtime().start();
    assertEquals("started a", a.next());
    // Generous gaps, so that the test holds even if the submitting thread stalls for a while.
    a.runtime().submit("timer:first:10");
    a.runtime().submit("timer:cancelled:300");
    a.runtime().submit("cancel:cancelled");
    a.runtime().submit("timer:replaced:300");
    a.runtime().submit("timer:replaced:400"); // replaces the 300 ms one
    a.runtime().submit("timer:last:600").get(5, TimeUnit.SECONDS);
    // One thread fires timers in deadline order: had 'cancelled' survived, it would come before
    // 'last'; had the first 'replaced' survived, 'replaced' would come twice.
    assertEquals("timer first", a.next());
    assertEquals("timer replaced", a.next());
    assertEquals("timer last", a.next());
    assertNull(a.delivered().poll(), "no stray timer");
    assertEquals(3, a.runtime().stats().timersFired());
  }

  @Test
  void aFrameThatFailsToDecodeIsCountedAndDroppedAndTheNodeCarriesOn() throws Exception {
    InMemoryNetwork net = network(A, B, X);
    Node a = node(net.transport(A), B);
    a.runtime().start();
    assertEquals("started a", a.next());
    InMemoryTransport rogue = net.transport(X);
    BlockingQueue<byte[]> atRogue = new LinkedBlockingQueue<>();
    rogue.start((from, frame) -> atRogue.add(frame));

    rogue.send(A, "\u0000garbage".getBytes(StandardCharsets.US_ASCII));
    rogue.send(A, "PING:notanumber".getBytes(StandardCharsets.US_ASCII));
    rogue.send(A, "PING:7".getBytes(StandardCharsets.US_ASCII));
    // FIFO link and a FIFO inbox: when ping 7 is delivered, both bad frames were handled.
    assertEquals("ping 7 from x", a.next());
    assertEquals(2, a.runtime().stats().framesUndecodable());
    byte[] reply = atRogue.poll(5, TimeUnit.SECONDS);
    assertEquals("PONG:7", new String(reply, StandardCharsets.US_ASCII));
    assertTrue(a.runtime().isRunning());
  }

  @Test
  void aSendToItselfComesBackAsAMessage() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    a.runtime().start();
    assertEquals("started a", a.next());
    a.runtime().submit("self:3");
    assertEquals("ping 3 from a", a.next());
    assertEquals("pong 3 from a", a.next());
  }

  @Test
  void sendsTheTransportRefusesAreCountedNotFatal() throws Exception {
    InMemoryNetwork net = new InMemoryNetwork(List.of(A, B), 2);
    toClose.add(net);
    Node a = node(net.transport(A), B); // b never starts: its queue fills
    a.runtime().start();
    assertEquals("started a", a.next());
    for (int i = 1; i <= 5; i++) {
      a.runtime().submit("ping:" + i).get(5, TimeUnit.SECONDS);
    }
    NodeRuntime.Stats s = a.runtime().stats();
    assertEquals(2, s.framesSent());
    assertEquals(3, s.sendsRefused());
    assertTrue(a.runtime().isRunning());
  }

  @Test
  void aCoreThatThrowsStopsTheNodeAndFailsItsRequests() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    a.runtime().start();
    assertEquals("started a", a.next());
    CompletableFuture<Void> boom = a.runtime().submit("boom");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> boom.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("boom"), e.getCause().getMessage());
    assertFalse(a.runtime().isRunning());
    assertEquals("boom", a.runtime().failure().orElseThrow().getMessage());
    assertThrows(ExecutionException.class,
        () -> a.runtime().submit("ping:1").get(5, TimeUnit.SECONDS));
  }

  @Test
  void closeStopsTheCoreThreadAndFailsLaterRequests() throws Exception {
    InMemoryNetwork net = network(A, B);
    Node a = node(net.transport(A), B);
    assertThrows(IllegalStateException.class, () -> a.runtime().submit("ping:1"),
        "not started");
    a.runtime().start();
    assertThrows(IllegalStateException.class, () -> a.runtime().start());
    assertEquals("started a", a.next());
    a.runtime().submit("timer:never:60000");
    a.runtime().close();
    a.runtime().close();
    assertThrows(ExecutionException.class,
        () -> a.runtime().submit("ping:1").get(5, TimeUnit.SECONDS));
    // close() waits for the executor to terminate; its worker thread ends a moment after, so
    // give it (bounded) time to go rather than racing it.
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("meridian-node-a")) {
        t.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(t.isAlive(), "core thread left over");
      }
    }
    // The transport was closed with it, so the member may get a new one.
    net.transport(A).close();
  }

  @Test
  void theBuilderNamesWhatIsMissing() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeRuntime.<Msg>builder().codec(new Codec()).build());
    assertTrue(e.getMessage().contains("core, transport"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> NodeRuntime.<Msg>builder().maxPendingFrames(0));
  }
}
