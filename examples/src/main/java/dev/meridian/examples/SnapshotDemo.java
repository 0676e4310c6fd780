package dev.meridian.examples;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.StateMachine;
import dev.meridian.snapshot.GlobalSnapshot;
import dev.meridian.snapshot.SnapshotMember;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A consistent snapshot of a running bank, three members in this process over gRPC on 127.0.0.1:
 * each holds 100 coins and keeps sending random amounts to the others while one member takes a
 * Chandy–Lamport snapshot. The snapshot is printed as JSON; its balances plus the transfers it
 * recorded in flight add up to the 300 coins the bank holds, though no member ever saw all of
 * them at one instant.
 */
public final class SnapshotDemo {
  private static final long OPENING_BALANCE = 100;

  private SnapshotDemo() {}

  private static NodeId m(int i) {
    return NodeId.of("m" + i);
  }

  /** A member's account: touched only on its snapshot member's event thread. */
  private static final class Account {
    long balance = OPENING_BALANCE;
  }

  /** Runs the demo; false if anything turned out other than the guarantee says. */
  public static boolean run(PrintStream out) throws Exception {
    int[] ports = LoopbackPorts.free(6);
    List<GroupMember<byte[], byte[], Void>> group = new ArrayList<>();
    List<SnapshotMember<Long>> bank = new ArrayList<>();
    List<Account> accounts = List.of(new Account(), new Account(), new Account());
    out.println("Snapshots: a bank of three members on 127.0.0.1, 100 coins each, sending random"
        + " amounts to each other; m0 takes a snapshot while the money moves.");
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> tellers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        GroupMemberBuilder g = GroupMember.builder().nodeId(m(i))
            .listen("127.0.0.1:" + ports[i]);
        for (int j = 0; j < 3; j++) {
          if (j != i) {
            g.peer(m(j), "127.0.0.1:" + ports[j]);
          }
        }
        group.add(g.stateMachine(StateMachine.none()).start());
      }
      for (int i = 0; i < 3; i++) {
        Account account = accounts.get(i);
        var s = SnapshotMember.<Long, Long>builder().member(group.get(i))
            .listen("127.0.0.1:" + ports[3 + i])
            .messageCodec(Codec.int64()).stateCodec(Codec.int64())
            .recorder(id -> account.balance)
            .inbox((from, amount) -> account.balance += amount);
        for (int j = 0; j < 3; j++) {
          if (j != i) {
            s.peer(m(j), "127.0.0.1:" + ports[3 + j]);
          }
        }
        bank.add(s.start());
      }
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int i = 0; i < 3; i++) {
        int from = i;
        Thread t = new Thread(() -> {
          SplittableRandom random = new SplittableRandom(from);
          Account account = accounts.get(from);
          try {
            while (!stop.get()) {
              NodeId to = m((from + 1 + random.nextInt(2)) % 3);
              long amount = 1 + random.nextInt(9);
              bank.get(from).act(outbox -> {
                // The debit and the transfer in one step: on one side of every cut.
                if (account.balance >= amount && outbox.trySend(to, amount)) {
                  account.balance -= amount;
                }
                return null;
              }).get(10, TimeUnit.SECONDS);
              Thread.sleep(0, 200_000);
            }
          } catch (Exception e) {
            failures.add(e);
          }
        }, "teller-m" + i);
        t.setDaemon(true);
        t.start();
        tellers.add(t);
      }
      Thread.sleep(300); // money on the move
      GlobalSnapshot snapshot = bank.get(0).snapshot(Duration.ofSeconds(20))
          .get(30, TimeUnit.SECONDS);
      stop.set(true);
      for (Thread t : tellers) {
        t.join(10_000);
      }
      out.println(snapshot.toJson());
      long balances = 0;
      for (String b : snapshot.states().values()) {
        balances += Long.parseLong(b);
      }
      long inFlight = 0;
      int transfers = 0;
      for (GlobalSnapshot.Channel c : snapshot.channels()) {
        for (String amount : c.messages()) {
          inFlight += Long.parseLong(amount);
          transfers++;
        }
      }
      boolean ok = failures.isEmpty() && balances + inFlight == 3 * OPENING_BALANCE
          && snapshot.states().size() == 3;
      out.printf("  balances %d + %d coins in %d transfers in flight = %d%n", balances, inFlight,
          transfers, balances + inFlight);
      out.println(ok ? "Snapshot: consistent, all " + 3 * OPENING_BALANCE
              + " coins accounted for across balances and channels."
          : "Snapshot: SOMETHING WENT WRONG (see above" + (failures.isEmpty() ? ""
              : "; a transfer failed: " + failures.get(0)) + ")");
      return ok;
    } finally {
      stop.set(true);
      bank.forEach(SnapshotMember::close);
      group.forEach(GroupMember::close);
    }
  }
}
