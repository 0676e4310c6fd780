package dev.meridian.bench;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import dev.meridian.membership.ViewChange;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.StateMachine;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One Meridian member of the failover benchmark, in a JVM of its own, for {@link
 * FailoverHarness}: the counterpart of {@link JGroupsFailoverMember}. It founds a group of three
 * with the public API ({@link GroupMember#builder()}) over gRPC on 127.0.0.1 and reports every
 * view it installs on stdout.
 *
 * <p>Arguments: {@code INDEX PORT0 PORT1 PORT2 [MAX_LIFETIME_SECONDS]}: this member's index
 * (0..2), the three members' TCP ports on 127.0.0.1, and how long it may live before it exits by
 * itself (default 120 s; it also exits when the process that started it is gone).
 *
 * <p>Settings: node ids {@code m0 m1 m2} (ids order by their string, so {@code m0} is the oldest
 * founder and the coordinator, as member 0 is in JGroups), every member a founder, listening on
 * {@code 127.0.0.1:PORT<INDEX>} with the other two as peers, {@code heartbeatInterval(100 ms)},
 * {@code suspectAfter(500 ms)} (plain timeout, not phi accrual), everything else as the builder's
 * defaults; a trivial state machine (a counter no one submits to: the group is idle, as in the
 * JGroups member).
 *
 * <p>Stdout carries exactly these lines, each flushed at once: {@code READY} once {@code start()}
 * returned (a founder returns at once, before its peers are even up), and for every view
 * installed {@code VIEW <view id> <member count> <System.nanoTime()>}, the time taken first thing
 * in {@link MembershipListener#viewInstalled}; {@code BLOCKED} and {@code UNBLOCKED} when the
 * member loses and regains a majority of its view ({@link MembershipListener#blocked}). A founder
 * prints {@code VIEW 1 3} at once, before it has heard from anyone; founders started one after
 * another may remove a peer that is not up yet and admit it again later, so a member may print
 * several views of 3 — {@link FailoverHarness} waits until all three agree on the same one and
 * stay in it, unblocked, for a second. Everything else (logging, a line per view with its
 * members) goes to stderr.
 */
public final class MeridianFailoverMember {
  static final int MEMBERS = 3;
  static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(100);
  static final Duration SUSPECT_AFTER = Duration.ofMillis(500);
  static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(120);

  private MeridianFailoverMember() {}

  /**
   * The command line of member {@code index}, run by this JVM's own {@code java} with this JVM's
   * class path and {@code -Xms1g -Xmx1g}, as {@link JGroupsFailoverMember#command} runs JGroups.
   */
  public static List<String> command(int index, int[] ports) {
    List<String> c = new ArrayList<>();
    c.add(JGroupsFailoverMember.currentJava());
    c.addAll(List.of("-Xms1g", "-Xmx1g", "-Djava.net.preferIPv4Stack=true",
        "-cp", System.getProperty("java.class.path"),
        MeridianFailoverMember.class.getName(), Integer.toString(index)));
    for (int p : ports) {
      c.add(Integer.toString(p));
    }
    c.add(Long.toString(DEFAULT_LIFETIME.toSeconds()));
    return c;
  }

  static NodeId nodeId(int index) {
    return NodeId.of("m" + index);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4 && args.length != 5) {
      usage("expected 4 or 5 arguments, got " + args.length);
    }
    int index = Integer.parseInt(args[0]);
    if (index < 0 || index >= MEMBERS) {
      usage("INDEX must be 0.." + (MEMBERS - 1) + ", got " + index);
    }
    int[] ports = new int[MEMBERS];
    for (int i = 0; i < MEMBERS; i++) {
      ports[i] = Integer.parseInt(args[1 + i]);
      if (ports[i] < 1 || ports[i] > 65535) {
        usage("PORT" + i + " must be 1..65535, got " + ports[i]);
      }
    }
    long lifetimeSeconds = args.length == 5 ? Long.parseLong(args[4])
        : DEFAULT_LIFETIME.toSeconds();
    if (lifetimeSeconds < 1) {
      usage("MAX_LIFETIME_SECONDS must be at least 1, got " + lifetimeSeconds);
    }
    JGroupsFailoverMember.exitAfter("MeridianFailoverMember", lifetimeSeconds);
    JGroupsFailoverMember.exitWithParent();
    LogDeduplication.install();

    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    GroupMemberBuilder b = GroupMember.builder()
        .nodeId(nodeId(index))
        .listen("127.0.0.1:" + ports[index])
        .heartbeatInterval(HEARTBEAT_INTERVAL)
        .suspectAfter(SUSPECT_AFTER)
        .listener(new MembershipListener() {
          @Override
          public void viewInstalled(ViewChange change) {
            long now = System.nanoTime();
            synchronized (out) {
              out.println("VIEW " + change.view().id() + " " + change.view().size() + " " + now);
              out.flush();
            }
            System.err.println("m" + index + ": view " + change.view() + " joined "
                + change.joined() + " left " + change.left() + " suspected "
                + change.suspected());
          }

          @Override
          public void blocked(String reason) {
            synchronized (out) {
              out.println("BLOCKED");
              out.flush();
            }
            System.err.println("m" + index + ": blocked: " + reason);
          }

          @Override
          public void unblocked() {
            synchronized (out) {
              out.println("UNBLOCKED");
              out.flush();
            }
            System.err.println("m" + index + ": unblocked");
          }
        });
    for (int i = 0; i < MEMBERS; i++) {
      if (i != index) {
        b.peer(nodeId(i), "127.0.0.1:" + ports[i]);
      }
    }
    GroupMember<long[], Long, Long> member = b.stateMachine(new Counter()).start();
    synchronized (out) {
      out.println("READY");
      out.flush();
    }
    System.err.println("m" + index + ": started " + member);
    while (true) { // until killed, or one of the exit threads halts the JVM
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));
    }
  }

  private static void usage(String problem) {
    System.err.println(problem + "\nusage: MeridianFailoverMember INDEX PORT0 PORT1 PORT2"
        + " [MAX_LIFETIME_SECONDS]");
    System.exit(2);
  }

  /** A trivial state machine: a counter (state: one long) that operations add to. */
  static final class Counter implements StateMachine<long[], Long, Long> {
    private static final Codec<long[]> STATE = new Codec<>() {
      @Override
      public byte[] encode(long[] value) {
        if (value == null || value.length != 1) {
          throw new IllegalArgumentException("the state is one long");
        }
        return Codec.int64().encode(value[0]);
      }

      @Override
      public long[] decode(byte[] bytes) {
        return new long[] {Codec.int64().decode(bytes)};
      }
    };

    @Override
    public long[] initialState() {
      return new long[1];
    }

    @Override
    public Long apply(long[] state, Long op, NodeId origin) {
      state[0] += op;
      return state[0];
    }

    @Override
    public Codec<Long> opCodec() {
      return Codec.int64();
    }

    @Override
    public Codec<long[]> stateCodec() {
      return STATE;
    }
  }
}
