package dev.meridian.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.process.GroupProcessMain.Log;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotFailedException;
import dev.meridian.snapshot.SnapshotMember;
import dev.meridian.testing.LoopbackPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SnapshotMember} over gRPC on 127.0.0.1: a bank of three members moving money while
 * snapshots are taken; a member halted during a snapshot; timeouts.
 */
class SnapshotMemberTest {
  private static final List<NodeId> IDS = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));
  private static final long OPENING_BALANCE = 1_000;

  /** One member's account; touched only on its snapshot member's event thread. */
  static final class Account {
    long balance = OPENING_BALANCE;
    volatile CountDownLatch holdRecording; // set: the recorder waits on it (a snapshot mid-way)
    final CountDownLatch recording = new CountDownLatch(1);

    long record() {
      recording.countDown();
      CountDownLatch hold = holdRecording;
      if (hold != null) {
        try {
          hold.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // halted meanwhile
        }
      }
      return balance;
    }
  }

  /** Three group members and, beside each, a snapshot member over its account. */
  private static final class Bank implements AutoCloseable {
    final List<GroupMember<List<String>, String, Integer>> group = new ArrayList<>();
    final List<SnapshotMember<Long>> members = new ArrayList<>();
    final List<Account> accounts = List.of(new Account(), new Account(), new Account());

    Bank(Duration suspectAfter) throws Exception {
      int[] ports = LoopbackPorts.free(6);
      try {
        for (int i = 0; i < 3; i++) {
          var b = GroupMember.builder().nodeId(IDS.get(i)).listen("127.0.0.1:" + ports[i])
              .heartbeatInterval(Duration.ofMillis(50)).suspectAfter(suspectAfter);
          for (int j = 0; j < 3; j++) {
            if (j != i) {
              b.peer(IDS.get(j), "127.0.0.1:" + ports[j]);
            }
          }
          group.add(b.stateMachine(new Log()).start());
        }
        for (int i = 0; i < 3; i++) {
          Account account = accounts.get(i);
          var b = SnapshotMember.<Long, Long>builder().member(group.get(i))
              .listen("127.0.0.1:" + ports[3 + i])
              .messageCodec(Codec.int64()).stateCodec(Codec.int64())
              .recorder(id -> account.record())
              .inbox((from, amount) -> account.balance += amount);
          for (int j = 0; j < 3; j++) {
            if (j != i) {
              b.peer(IDS.get(j), "127.0.0.1:" + ports[3 + j]);
            }
          }
          members.add(b.start());
        }
      } catch (Exception | Error e) {
        close();
        throw e;
      }
      await(() -> group.stream().allMatch(m -> m.view().map(v -> v.size() == 3).orElse(false))
          && group.get(0).view().equals(group.get(1).view())
          && group.get(1).view().equals(group.get(2).view()), "one view of three");
    }

    /** Moves a random amount from member {@code i} to a random other, if it has the money. */
    void transfer(int i, SplittableRandom random) throws Exception {
      int to = (i + 1 + random.nextInt(2)) % 3;
      long amount = 1 + random.nextInt(20);
      Account account = accounts.get(i);
      members.get(i).act(out -> {
        if (account.balance >= amount && out.trySend(IDS.get(to), amount)) {
          account.balance -= amount; // debit and send in one step: one side of every cut
        }
        return null;
      }).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      members.forEach(SnapshotMember::close);
      group.forEach(GroupMember::halt);
    }
  }

  /** The money a snapshot holds: recorded balances plus transfers in flight across the cut. */
  private static long total(GlobalSnapshot s) {
    long sum = 0;
    for (String balance : s.states().values()) {
      sum += Long.parseLong(balance);
    }
    for (GlobalSnapshot.Channel c : s.channels()) {
      for (String amount : c.messages()) {
        sum += Long.parseLong(amount);
      }
    }
    return sum;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(10);
    }
  }

  @Test
  @Timeout(90)
  void snapshotsTakenWhileMoneyMovesConserveTheTotalAcrossBalancesAndChannels() throws Exception {
    try (Bank bank = new Bank(Duration.ofSeconds(3))) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> tellers = new ArrayList<>();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int i = 0; i < 3; i++) {
        int member = i;
        Thread t = new Thread(() -> {
          SplittableRandom random = new SplittableRandom(member);
          try {
            while (!stop.get()) {
              bank.transfer(member, random);
            }
          } catch (Exception | Error e) {
            failures.add(e);
          }
        }, "teller-" + IDS.get(i));
        t.start();
        tellers.add(t);
      }
      int inFlight = 0;
      try {
        for (int k = 0; k < 12; k++) {
          GlobalSnapshot s = bank.members.get(k % 3).snapshot(Duration.ofSeconds(20))
              .get(30, TimeUnit.SECONDS);
          assertEquals(Set.copyOf(IDS), s.states().keySet(), s.toJson());
          assertEquals(6, s.channels().size(), s.toJson());
          assertEquals(IDS.get(k % 3), s.id().initiator());
          assertEquals(3 * OPENING_BALANCE, total(s), () -> "money made or lost: " + s.toJson());
          inFlight += s.channels().stream().mapToInt(c -> c.messages().size()).sum();
          Thread.sleep(20);
        }
        // Several at once, from every member.
        var concurrent = List.of(bank.members.get(0).snapshot(), bank.members.get(1).snapshot(),
            bank.members.get(2).snapshot(), bank.members.get(0).snapshot());
        for (var f : concurrent) {
          GlobalSnapshot s = f.get(30, TimeUnit.SECONDS);
          assertEquals(3 * OPENING_BALANCE, total(s), () -> "money made or lost: " + s.toJson());
        }
      } finally {
        stop.set(true);
        for (Thread t : tellers) {
          t.join(10_000);
        }
      }
      assertEquals(List.of(), failures, "transfers failed");
      // Quiet now: once every transfer arrived, the live balances alone hold every coin (the
      // layer lost and duplicated none).
      await(() -> liveBalances(bank) == 3 * OPENING_BALANCE, "every transfer delivered");
      GlobalSnapshot quiet = bank.members.get(1).snapshot(Duration.ofSeconds(10)).join();
      assertEquals(0, quiet.channels().stream().mapToInt(c -> c.messages().size()).sum(),
          quiet.toJson());
      System.out.println("snapshot test: " + inFlight + " transfers recorded in flight in 12"
          + " snapshots");
    }
  }

  /** The balances as they are now, each read on its member's event thread. */
  private static long liveBalances(Bank bank) {
    long sum = 0;
    for (int i = 0; i < 3; i++) {
      Account account = bank.accounts.get(i);
      sum += bank.members.get(i).act(out -> account.balance).join();
    }
    return sum;
  }

  @Test
  @Timeout(90)
  void aMemberHaltedDuringASnapshotFailsItNamingThatMember() throws Exception {
    try (Bank bank = new Bank(Duration.ofMillis(500))) {
      SplittableRandom random = new SplittableRandom(3);
      for (int k = 0; k < 30; k++) {
        bank.transfer(k % 3, random);
      }
      Account c = bank.accounts.get(2);
      c.holdRecording = new CountDownLatch(1); // c records its state and goes no further
      var snapshot = bank.members.get(0).snapshot(Duration.ofSeconds(30));
      assertTrue(c.recording.await(20, TimeUnit.SECONDS), "c never saw the snapshot's marker");
      assertTrue(!snapshot.isDone(), "the snapshot cannot complete while c is recording");
      bank.members.get(2).halt(); // c crashes mid-snapshot: both its layers stop
      bank.group.get(2).halt();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> snapshot.get(30, TimeUnit.SECONDS));
      SnapshotFailedException failed = assertInstanceOf(e.getCause());
      assertEquals(IDS.get(2), failed.member(), failed.getMessage());
      assertTrue(failed.getMessage().contains("member c left it"), failed.getMessage());
      // The survivors snapshot the new view. One asked for just as b installs it may still be
      // of the old view (and fail naming c, as it must): the remedy is to ask again.
      await(() -> bank.group.get(1).view().map(v -> v.size() == 2).orElse(false),
          "b's view without c");
      GlobalSnapshot after = null;
      for (int attempt = 1; after == null; attempt++) {
        try {
          after = bank.members.get(1).snapshot(Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException retry) {
          SnapshotFailedException f = assertInstanceOf(retry.getCause());
          assertEquals(IDS.get(2), f.member(), f.getMessage());
          assertTrue(attempt < 3, "still failing naming c after " + attempt + " attempts");
        }
      }
      assertEquals(Set.of(IDS.get(0), IDS.get(1)), after.states().keySet(), after.toJson());
    }
  }

  private static SnapshotFailedException assertInstanceOf(Throwable cause) {
    assertTrue(cause instanceof SnapshotFailedException, String.valueOf(cause));
    return (SnapshotFailedException) cause;
  }

  @Test
  @Timeout(60)
  void aSnapshotWaitingForAStoppedLayerTimesOutAndBadTimeoutsAreRefused() throws Exception {
    try (Bank bank = new Bank(Duration.ofSeconds(3))) {
      IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
          () -> bank.members.get(0).snapshot(Duration.ofMillis(-1)));
      assertTrue(negative.getMessage().contains("snapshot timeout must be in (0, 1 day], got"),
          negative.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> bank.members.get(0).snapshot(Duration.ZERO));
      // c's snapshot layer stops but its group member lives on: the view keeps c.
      bank.members.get(2).close();
      var snapshot = bank.members.get(0).snapshot(Duration.ofMillis(500));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> snapshot.get(20, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof TimeoutException, e.getCause().toString());
      assertTrue(e.getCause().getMessage().contains("did not complete within PT0.5S"),
          e.getCause().getMessage());
      assertTrue(e.getCause().getMessage().contains("[a, b, c]"), e.getCause().getMessage());
      // Calls on a closed member fail rather than hang.
      ExecutionException closed = assertThrows(ExecutionException.class,
          () -> bank.members.get(2).snapshot().get(5, TimeUnit.SECONDS));
      assertTrue(closed.getCause().getMessage().contains("snapshot member c is closed"),
          closed.getCause().getMessage());
    }
  }
}
