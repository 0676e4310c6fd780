package dev.meridian.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jgroups.JChannel;
import org.jgroups.Receiver;
import org.jgroups.View;

/**
 * One JGroups member of the failover benchmark, in a JVM of its own, for {@link
 * FailoverHarness}. It joins cluster {@code "failover"} over TCP on 127.0.0.1 and reports every
 * view it installs on stdout, so the harness can time how long the survivors take to exclude a
 * member that was killed or frozen.
 *
 * <p>Arguments: {@code INDEX PORT0 PORT1 PORT2 [MAX_LIFETIME_SECONDS]}: this member's index (0..2),
 * the three members' TCP ports on 127.0.0.1 (TCPPING lists all three), and how long it may live
 * before it exits by itself (default 120 s; also exits when the process that started it is gone),
 * so that nothing lingers.
 *
 * <p>Stdout carries exactly these lines, each flushed at once: {@code READY} after {@code
 * connect} returned, and for every view installed {@code VIEW <view id number> <member count>
 * <System.nanoTime()>}, the time taken first thing in {@code viewAccepted}. Everything else
 * (JGroups warnings) goes to stderr.
 *
 * <h2>The stack</h2>
 *
 * {@code jgroups-tcp.xml} (the shipped {@code tcp.xml} of JGroups 5.5.7, configured as {@code
 * shared/BENCHMARKING.md} says is fair: see that file), which from the transport up is: TCP,
 * TCPPING, MERGE3, FD_SOCK2, FD_ALL3, VERIFY_SUSPECT2, BARRIER, NAKACK2, UNICAST3, STABLE, GMS,
 * MFC, UFC, FRAG4. Two failure detectors ship in it: FD_SOCK2 (each member holds a TCP connection
 * to its ring neighbour and suspects it when that connection closes) and FD_ALL3 (heartbeats);
 * VERIFY_SUSPECT2 double-checks a suspicion before GMS excludes the member. Only timings change:
 *
 * <ul>
 *   <li><b>FD_ALL3 interval=100 ms, timeout=500 ms</b> (shipped: 5 s / 40 s): Meridian's own
 *       heartbeat every 100 ms and suspicion after 500 ms of silence. FD_ALL3 keeps timeout /
 *       interval = 5 bits per member and suspects when a whole timeout's worth of intervals went
 *       by without a message, i.e. 500-600 ms after the last one was received.
 *   <li><b>VERIFY_SUSPECT2 timeout=10 ms</b> (shipped: 1.5 s). In 5.5.7 it releases a suspicion
 *       to GMS at the first tick of a timer that runs every {@code timeout} after the suspect's
 *       {@code timeout} has passed with no answer to ARE_YOU_DEAD: it adds timeout to 2 x timeout.
 *       Meridian has no second check: its 500 ms suspicion budget goes straight to the view
 *       change. FD_ALL3 already spends those 500 ms, so the fairest VERIFY_SUSPECT2 adds as
 *       little as it can while still being the shipped stack: 10 ms adds 10-20 ms (2-4 % of the
 *       budget) and a 100 Hz timer. It cannot be 0 (the timer's period). Override with {@code
 *       -Dmeridian.bench.jgroups.verifySuspectMs=N}.
 *   <li><b>FD_SOCK2 kept, as shipped</b>: it is JGroups' default, and {@code BENCHMARKING.md}
 *       configures it (bound to 127.0.0.1) rather than removing it. It detects a SIGKILLed member
 *       at once because the kernel closes the dead process's sockets, which Meridian does not
 *       assume; so the kill case shows JGroups as shipped, and the hung-member case (sockets open,
 *       nothing sent) compares heartbeat detection alone. {@code
 *       -Dmeridian.bench.jgroups.fdSock2=false} removes it, for a heartbeat-only kill case.
 *   <li><b>GMS as shipped</b> ({@code join_timeout=2s}, {@code view_ack_collection_timeout=2s},
 *       {@code max_join_attempts=10}): on loopback a join takes milliseconds, so these only bound
 *       lost messages; the harness starts members one after the other, so there is no join race.
 *       Excluding a suspected member waits only for the survivors' view acks, which are prompt.
 * </ul>
 */
public final class JGroupsFailoverMember {
  public static final String CLUSTER = "failover";
  static final int MEMBERS = 3;
  static final long HEARTBEAT_INTERVAL_MS = 100;
  static final long SUSPECT_TIMEOUT_MS = 500;
  static final long DEFAULT_VERIFY_SUSPECT_MS = 10;
  static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(120);
  static final String VERIFY_SUSPECT_PROPERTY = "meridian.bench.jgroups.verifySuspectMs";
  static final String FD_SOCK2_PROPERTY = "meridian.bench.jgroups.fdSock2";

  private JGroupsFailoverMember() {}

  /**
   * The command line of member {@code index} with the stack described above, run by this JVM's
   * own {@code java} with this JVM's class path and {@code -Xms1g -Xmx1g} (what {@code
   * BENCHMARKING.md} gives each member JVM).
   *
   * @param fdSock2 false removes FD_SOCK2 (heartbeat-only detection)
   */
  public static List<String> command(int index, int[] ports, boolean fdSock2) {
    List<String> c = new ArrayList<>();
    c.add(currentJava());
    c.addAll(List.of("-Xms1g", "-Xmx1g", "-Djava.net.preferIPv4Stack=true",
        "-D" + FD_SOCK2_PROPERTY + "=" + fdSock2,
        "-cp", System.getProperty("java.class.path"),
        JGroupsFailoverMember.class.getName(), Integer.toString(index)));
    for (int p : ports) {
      c.add(Integer.toString(p));
    }
    c.add(Long.toString(DEFAULT_LIFETIME.toSeconds()));
    return c;
  }

  /** The {@code java} binary running this JVM. */
  static String currentJava() {
    Optional<String> running = ProcessHandle.current().info().command();
    return running.orElse(System.getProperty("java.home") + "/bin/java");
  }

  /** Builds the stack described in the class comment for member {@code index}. */
  static JGroupsStacks.Stack stack(int index, int[] ports, boolean fdSock2,
      long verifySuspectMs) {
    JGroupsStacks.Stack s = JGroupsStacks.tcp(index, ports)
        .set("FD_ALL3", Map.of("interval", HEARTBEAT_INTERVAL_MS + "ms",
            "timeout", SUSPECT_TIMEOUT_MS + "ms"))
        .set("VERIFY_SUSPECT2", Map.of("timeout", verifySuspectMs + "ms"));
    if (!fdSock2) {
      s.remove("FD_SOCK2");
    }
    return s;
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
    exitAfter("JGroupsFailoverMember", lifetimeSeconds);
    exitWithParent();
    LogDeduplication.install();

    boolean fdSock2 = Boolean.parseBoolean(System.getProperty(FD_SOCK2_PROPERTY, "true"));
    long verifySuspectMs = Long.getLong(VERIFY_SUSPECT_PROPERTY, DEFAULT_VERIFY_SUSPECT_MS);
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    JChannel channel = new JChannel(stack(index, ports, fdSock2, verifySuspectMs));
    channel.setName("m" + index);
    channel.setReceiver(new Receiver() {
      @Override
      public void viewAccepted(View view) {
        long now = System.nanoTime();
        synchronized (out) {
          out.println("VIEW " + view.getViewId().getId() + " " + view.size() + " " + now);
          out.flush();
        }
        System.err.println("m" + index + ": view " + view);
      }
    });
    channel.connect(CLUSTER);
    synchronized (out) {
      out.println("READY");
      out.flush();
    }
    while (true) { // until killed, or one of the exit threads halts the JVM
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));
    }
  }

  private static void usage(String problem) {
    System.err.println(problem + "\nusage: JGroupsFailoverMember INDEX PORT0 PORT1 PORT2"
        + " [MAX_LIFETIME_SECONDS]");
    System.exit(2);
  }

  /** Halts this JVM {@code seconds} from now (a member process's maximum lifetime). */
  static void exitAfter(String who, long seconds) {
    Thread t = new Thread(() -> {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      for (long left; (left = deadline - System.nanoTime()) > 0; ) {
        LockSupport.parkNanos(left);
      }
      System.err.println(who + ": lifetime of " + seconds + " s is over; exiting");
      Runtime.getRuntime().halt(0);
    }, "failover-member-lifetime");
    t.setDaemon(true);
    t.start();
  }

  /** Halts this JVM once the process that started it is gone. */
  static void exitWithParent() {
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    if (parent.isEmpty()) {
      return;
    }
    ProcessHandle p = parent.get();
    Thread t = new Thread(() -> {
      while (p.isAlive()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
      }
      Runtime.getRuntime().halt(0);
    }, "failover-member-parent-watch");
    t.setDaemon(true);
    t.start();
  }
}
