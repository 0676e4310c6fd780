package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.link.LinkSettings;
import dev.meridian.core.membership.DetectorSettings;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.membership.View;
import dev.meridian.transport.GrpcTransport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The membership core over gRPC on 127.0.0.1: a member goes away, the others move on. */
class MembershipOverGrpcTest {
  private static final List<NodeId> IDS = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));
  private static final long MS = 1_000_000L;

  private record Member(NodeId id, GrpcTransport transport, NodeRuntime<LinkFrame<MemberWire>> runtime,
      List<View> views, List<MemberWire.App> delivered) {}

  @Test
  @Timeout(60)
  void whenOneOfThreeStopsTheOtherTwoInstallTheSameViewWithoutItAndCarryOn() throws Exception {
    MembershipCore.Settings settings = new MembershipCore.Settings(
        new DetectorSettings(DetectorSettings.Kind.TIMEOUT, 20 * MS, 300 * MS, 8, 100),
        500 * MS, 5 * MS, new LinkSettings(256, 64, 50 * MS));
    List<Member> members = new ArrayList<>();
    try {
      for (NodeId id : IDS) {
        GrpcTransport.Builder tb = GrpcTransport.builder(id).incarnation(1)
            .listen(new InetSocketAddress("127.0.0.1", 0));
        IDS.stream().filter(p -> !p.equals(id)).forEach(tb::peer);
        GrpcTransport transport = tb.build();
        List<View> views = new CopyOnWriteArrayList<>();
        List<MemberWire.App> delivered = new CopyOnWriteArrayList<>();
        NodeRuntime<LinkFrame<MemberWire>> runtime = NodeRuntime.<LinkFrame<MemberWire>>builder()
            .core(new MembershipCore(id, 1, IDS, settings, MembershipCore.Variant.CORRECT,
                new SplittableRandom(id.hashCode())))
            .transport(transport)
            .codec(new MemberFrameCodec())
            .onDeliver(v -> {
              if (v instanceof MembershipCore.Installed i) {
                views.add(i.view());
              } else if (v instanceof MembershipCore.Delivered d) {
                delivered.add(d.app());
              }
            })
            .build();
        members.add(new Member(id, transport, runtime, views, delivered));
      }
      members.forEach(m -> m.runtime().start());
      for (Member m : members) {
        for (Member other : members) {
          if (other != m) {
            m.transport().setPeerAddress(other.id(), other.transport().localAddress());
          }
        }
      }
      Member a = members.get(0);
      Member b = members.get(1);
      Member c = members.get(2);
      await(() -> members.stream().allMatch(m -> m.delivered().stream()
          .filter(app -> !app.sender().equals(m.id())).count() > 20), "traffic in view 1");
      assertEquals(List.of(View.initial(IDS)), a.views());

      c.runtime().close();
      View two = new View(2, List.of(IDS.get(0), IDS.get(1)));
      await(() -> a.views().contains(two) && b.views().contains(two), "view 2 at a and b");
      assertEquals(List.of(View.initial(IDS), two), a.views());
      assertEquals(a.views(), b.views());
      await(() -> a.delivered().stream().anyMatch(app -> app.viewId() == 2
          && app.sender().equals(b.id())), "b's messages of view 2 at a");
    } finally {
      members.forEach(m -> m.runtime().close());
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(10); // polling a condition with a deadline
    }
  }
}
