package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import dev.meridian.membership.NoQuorumException;
import dev.meridian.membership.ViewChange;
import dev.meridian.process.GroupProcessMain.Log;
import dev.meridian.replica.DeadlineExceededException;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.Ordering;
import dev.meridian.testing.LoopbackPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link GroupMember}: total order, view changes, state transfer, leave and blocking. */
class GroupMemberTest {
  private static final List<NodeId> IDS = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));

  /** Records what a member's listener heard. */
  static final class Events implements MembershipListener {
    final List<ViewChange> views = new CopyOnWriteArrayList<>();
    final List<String> blocked = new CopyOnWriteArrayList<>();
    volatile int unblocked;

    @Override
    public void viewInstalled(ViewChange change) {
      views.add(change);
    }

    @Override
    public void blocked(String reason) {
      blocked.add(reason);
    }

    @Override
    public void unblocked() {
      unblocked++;
    }
  }

  private static GroupMemberBuilder builder(int i, Function<Integer, String> address) {
    GroupMemberBuilder b = GroupMember.builder().nodeId(IDS.get(i)).listen(address.apply(i))
        .heartbeatInterval(Duration.ofMillis(50)).suspectAfter(Duration.ofMillis(3000));
    for (int j = 0; j < IDS.size(); j++) {
      if (j != i) {
        b.peer(IDS.get(j), address.apply(j));
      }
    }
    return b;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(10);
    }
  }

  private static List<String> log(GroupMember<List<String>, String, Integer> m) {
    return m.read(List::copyOf);
  }

  @Test
  @Timeout(60)
  void totalOrderViewChangeRejoinWithStateTransferAndGracefulLeaveOverGrpc() throws Exception {
    int[] ports = LoopbackPorts.free(3);
    Function<Integer, String> address = i -> "127.0.0.1:" + ports[i];
    List<Events> events = List.of(new Events(), new Events(), new Events());
    List<GroupMember<List<String>, String, Integer>> m = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        m.add(builder(i, address).listener(events.get(i)).stateMachine(new Log()).start());
      }
      // Founders that start apart may first remove each other (a late one rejoins): wait for
      // one view with all three.
      await(() -> m.stream().allMatch(x -> x.view().map(v -> v.size() == 3).orElse(false))
          && m.get(0).view().equals(m.get(1).view()) && m.get(1).view().equals(m.get(2).view()),
          "one view of three");
      // Everyone submits at once: one order everywhere, and each result is the op's position.
      List<CompletableFuture<Integer>> futures = new ArrayList<>();
      for (int k = 0; k < 50; k++) {
        for (int i = 0; i < 3; i++) {
          futures.add(m.get(i).submit(IDS.get(i) + "-" + k));
        }
      }
      // On an overloaded machine a member may be suspected meanwhile: then some submits fail
      // as undecided (IllegalStateException), and the logs still agree.
      int done = 0;
      String failure = null;
      for (CompletableFuture<Integer> f : futures) {
        try {
          f.get(20, TimeUnit.SECONDS);
          done++;
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
          failure = e.getCause().getMessage();
        }
      }
      String lastFailure = failure;
      assertTrue(done > 0, () -> "no submit succeeded; the last failure: " + lastFailure);
      await(() -> m.stream().allMatch(x -> x.view().map(v -> v.size() == 3).orElse(false))
          && log(m.get(0)).equals(log(m.get(1))) && log(m.get(1)).equals(log(m.get(2))),
          "one log everywhere");
      List<String> order = log(m.get(0));
      for (int f = 0; f < futures.size(); f++) {
        if (!futures.get(f).isCompletedExceptionally()) {
          int position = futures.get(f).get();
          assertEquals(IDS.get(f % 3) + "-" + f / 3, order.get(position), "result of op " + f);
        }
      }

      // c crashes: a and b install the next view without it, with c suspected.
      m.get(2).halt();
      await(() -> m.get(0).view().map(v -> Set.copyOf(v.members())
          .equals(Set.of(IDS.get(0), IDS.get(1)))).orElse(false)
          && m.get(0).view().equals(m.get(1).view()), "the view after c crashed at a and b");
      ViewChange change = events.get(0).views.get(events.get(0).views.size() - 1);
      assertEquals(Set.of(IDS.get(2)), change.left());
      assertEquals(Set.of(IDS.get(2)), change.suspected());
      int size = log(m.get(1)).size();
      assertEquals(size, (int) m.get(1).submit("after-crash").get(10, TimeUnit.SECONDS));

      // c comes back as a new process: it joins, receives the state, then the live stream.
      m.set(2, builder(2, address).join().stateMachine(new Log()).start());
      assertEquals(3, m.get(2).view().orElseThrow().size());
      assertEquals(log(m.get(0)), log(m.get(2)), "state transfer");
      assertEquals(size + 1, (int) m.get(2).submit("from-new-c").get(10, TimeUnit.SECONDS));
      await(() -> log(m.get(0)).size() == size + 2 && log(m.get(1)).size() == size + 2,
          "the joiner's op everywhere");
      assertEquals(log(m.get(0)), log(m.get(2)));

      // a (the coordinator) leaves gracefully: b and c move on without suspecting it.
      m.get(0).close();
      await(() -> m.get(1).view().orElseThrow().size() == 2
          && m.get(2).view().orElseThrow().size() == 2, "a view without a");
      ViewChange leave = events.get(1).views.get(events.get(1).views.size() - 1);
      assertEquals(Set.of(IDS.get(0)), leave.left());
      assertEquals(Set.of(), leave.suspected(), "a graceful leave is no suspicion");
      assertEquals(size + 2, (int) m.get(1).submit("after-leave", Ordering.FIFO)
          .get(10, TimeUnit.SECONDS));
    } finally {
      m.forEach(GroupMember::halt);
    }
  }

  @Test
  @Timeout(60)
  void aMemberCutOffFromTheMajorityBlocksAndRefusesSubmitsNamingTheQuorum() throws Exception {
    Function<Integer, String> address = i -> "memory:group-minority";
    Events events = new Events();
    List<GroupMember<List<String>, String, Integer>> m = new ArrayList<>();
    try {
      m.add(builder(0, address).listener(events).stateMachine(new Log()).start());
      m.add(builder(1, address).stateMachine(new Log()).start());
      m.add(builder(2, address).stateMachine(new Log()).start());
      // A founder that starts before its peers may block until it hears from them: retry.
      await(() -> {
        try {
          return m.get(0).submit("x").get(10, TimeUnit.SECONDS) >= 0;
        } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
          return false;
        }
      }, "a first op applied");
      m.get(1).halt();
      m.get(2).halt();
      await(() -> !events.blocked.isEmpty(), "a blocked");
      assertTrue(events.blocked.get(0).contains("a reaches only 1 of the 3 members of view 1"),
          events.blocked.get(0));
      // Refused at once while blocked (a late frame of b or c may unblock a for a moment: then
      // the op is sent, and fails as undecided once a blocks again).
      ExecutionException e;
      do {
        e = assertThrows(ExecutionException.class,
            () -> m.get(0).submit("y").get(10, TimeUnit.SECONDS));
      } while (!(e.getCause() instanceof NoQuorumException)
          && e.getCause().getMessage().contains("may or may not be applied"));
      assertTrue(e.getCause() instanceof NoQuorumException, e.toString());
      assertTrue(e.getCause().getMessage().contains("a majority (2) is needed"),
          e.getCause().getMessage());
      assertEquals(1, m.get(0).view().orElseThrow().id(), "a minority installs no view");
    } finally {
      m.forEach(GroupMember::halt);
    }
  }

  @Test
  @Timeout(60)
  void aTimedMulticastCompletesWhenAllHaveItOrFailsAtItsDeadlineNamingTheLateMembers()
      throws Exception {
    // In memory: a halted member there is silent without its port refusing connections, so it
    // stays in the view until the 3 s suspicion timeout.
    Function<Integer, String> address = i -> "memory:group-timed";
    List<GroupMember<List<String>, String, Integer>> m = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        m.add(builder(i, address).stateMachine(new Log()).start());
      }
      await(() -> m.stream().allMatch(x -> x.view().map(v -> v.size() == 3).orElse(false)),
          "a view of three");
      m.get(0).submit("in time", Ordering.TOTAL, Duration.ofSeconds(10))
          .get(10, TimeUnit.SECONDS); // completes: every member applied it in time
      assertEquals(List.of("in time"), log(m.get(2)));
      // c stops answering (alive to the network, silent): nothing completes, since c never
      // reports having applied it, and the view keeps c for 3 s (the suspicion timeout).
      m.get(2).halt();
      CompletableFuture<Integer> late = m.get(0).submit("too late", Ordering.TOTAL,
          Duration.ofMillis(300));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> late.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof DeadlineExceededException, e.toString());
      assertEquals(List.of(IDS.get(2)), ((DeadlineExceededException) e.getCause()).late(),
          e.getCause().getMessage());
      assertTrue(e.getCause().getMessage().contains("not yet delivered by [c]"),
          e.getCause().getMessage());
      CompletableFuture<Integer> fifo = m.get(1).submit("fifo", Ordering.FIFO,
          Duration.ofMillis(300));
      ExecutionException f = assertThrows(ExecutionException.class,
          () -> fifo.get(10, TimeUnit.SECONDS));
      assertEquals(List.of(IDS.get(2)), ((DeadlineExceededException) f.getCause()).late());
      assertThrows(IllegalArgumentException.class,
          () -> m.get(0).submit("x", Ordering.TOTAL, Duration.ZERO));
      assertThrows(IllegalArgumentException.class,
          () -> m.get(0).submit("x", Ordering.TOTAL, null));
    } finally {
      m.forEach(GroupMember::close);
    }
  }

  @Test
  void badInputIsRefusedNamingWhatWasWrong() {
    var b = GroupMember.builder();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> b.heartbeatInterval(Duration.ofMillis(-5))).getMessage().contains("heartbeatInterval"));
    assertTrue(assertThrows(IllegalStateException.class,
        () -> GroupMember.builder().nodeId(IDS.get(0)).listen("memory:x").peer(IDS.get(1), "memory:x")
            .heartbeatInterval(Duration.ofSeconds(2)).suspectAfter(Duration.ofSeconds(1))
            .stateMachine(new Log()).start()).getMessage().contains("suspectAfter"));
  }

  @Test
  @Timeout(30)
  void oversizedOperationsAndSubmitsAfterCloseFailClearly() throws Exception {
    Function<Integer, String> address = i -> "memory:group-bad-input";
    List<GroupMember<List<String>, String, Integer>> m = new ArrayList<>();
    try {
      m.add(builder(0, address).maxOperationBytes(8).stateMachine(new Log()).start());
      m.add(builder(1, address).stateMachine(new Log()).start());
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> m.get(0).submit("nine bytes")).getMessage().contains("maxOperationBytes 8"));
      m.get(0).halt();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> m.get(0).submit("ok").get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("a is closed"), e.toString());
    } finally {
      m.forEach(GroupMember::halt);
    }
  }
}
