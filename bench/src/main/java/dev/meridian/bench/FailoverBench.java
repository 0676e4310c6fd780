package dev.meridian.bench;

import dev.meridian.replica.GroupMemberFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * {@code meridian bench failover}: how long the two survivors of a 3-member group take to install
 * a view without a member that failed, for Meridian and for JGroups side by side in one run.
 * Three member processes on 127.0.0.1 per measurement, measured by {@link FailoverHarness} (read
 * it for the method: fresh JVMs, one common view of 3, 1 s of settling, then member 2 — never the
 * coordinator — fails; the time runs from the fault to the later of the two survivors' new view).
 *
 * <ul>
 *   <li><b>kill</b>: SIGKILL of the member's JVM (the kernel closes its sockets).
 *   <li><b>hang</b>: SIGSTOP: the member is alive, its sockets open, and silent.
 * </ul>
 *
 * <p>Systems, each with a heartbeat every 100 ms and suspicion after 500 ms of silence:
 *
 * <ul>
 *   <li><b>meridian</b>: {@link MeridianFailoverMember} ({@code GroupMember.builder()
 *       .heartbeatInterval(100 ms).suspectAfter(500 ms)}: the timeout detector, plus whatever
 *       the engine on the class path does besides — e.g. treating a refused reconnection as a
 *       sign the peer is gone; the header names the engine build measured).
 *   <li><b>jgroups</b>: {@link JGroupsFailoverMember}, the shipped {@code tcp.xml} with FD_ALL3
 *       100/500 ms and VERIFY_SUSPECT2 10 ms, FD_SOCK2 kept as shipped (it notices a closed
 *       socket at once, so JGroups' kill figure is not heartbeat detection). This is the headline
 *       JGroups figure: {@code shared/BENCHMARKING.md} configures the shipped stack rather than
 *       removing parts of it.
 *   <li><b>jgroups-hb</b> ({@link Length#FULL} only): the same without FD_SOCK2, heartbeats only,
 *       to compare detection mechanisms like for like.
 * </ul>
 *
 * <p>The systems alternate within each repetition (meridian kill, meridian hang, jgroups kill,
 * ...); every measurement starts fresh JVMs, so there is no warm-up to share: what is measured is
 * failure detection plus one view change, with heartbeat timers of 100 ms, not code speed. These
 * machines are shared: in FULL, the fault waits (up to 15 s, members up and idle) for a moment
 * when other processes use less than {@link FailoverHarness#OTHER_LOAD_CORES} cores, and a
 * measurement during which they used more anyway is repeated once (the choice depends on the
 * other processes' CPU only, never on the figure); one that stays loaded is marked {@code *}.
 *
 * <p>Validity: the harness injects the fault only once the members have agreed on one view of 3
 * and stayed in it, none of them blocked, for a second. A hang (or a kill, for heartbeat-only
 * JGroups) excluded faster than {@link #FASTEST_HEARTBEAT_DETECTION_MS} cannot have been
 * detected by heartbeats, so such a figure is refused as a failure and measured again (once).
 *
 * <p>Output: a header, one line per system (median, min-max and every rep, for kill and hang;
 * a rep marked {@code *} ran while other processes than the survivors and this JVM used more
 * than {@link FailoverHarness#OTHER_LOAD_CORES} cores, so it is not comparable), and as the last
 * line, always: {@code meridian_failover_ms=<n> meridian_hang_ms=<n>
 * jgroups_failover_ms=<n> jgroups_hang_ms=<n>} (medians over the reps; jgroups = as shipped, with
 * FD_SOCK2; -1 where every rep failed). Progress and the members' stderr go to stderr.
 */
public final class FailoverBench {
  /** Bound of every wait in one measurement (start-up, view of 3, survivors' new view). */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private FailoverBench() {}

  /** How many repetitions: the full run for figures to quote, quick for a CI smoke test. */
  public enum Length {
    /**
     * 5 reps of every system and fault, heartbeat-only JGroups included, waiting for a quiet
     * machine before each fault, loaded measurements repeated once (about 4 minutes on a quiet
     * machine; up to ~25 on a busy one).
     */
    FULL(5, true, 15, 1, true),
    /**
     * 1 rep, Meridian and JGroups as shipped only, no waiting for a quiet machine; a failed or
     * implausible measurement is repeated once (about 30 s).
     */
    QUICK(1, false, 0, 1, false);

    final int reps;
    final boolean heartbeatOnlyJGroups;
    /** How long to wait at most, before each fault, for other processes to leave the CPU. */
    final Duration quietWait;
    /**
     * Extra attempts of a measurement that failed, was implausibly fast, or ran while other
     * processes competed for the CPU.
     */
    final int retries;

    /** Whether a measurement during which other processes competed for the CPU is repeated. */
    final boolean retryOnOtherLoad;

    Length(int reps, boolean heartbeatOnlyJGroups, int quietWaitSeconds, int retries,
        boolean retryOnOtherLoad) {
      this.reps = reps;
      this.heartbeatOnlyJGroups = heartbeatOnlyJGroups;
      this.quietWait = Duration.ofSeconds(quietWaitSeconds);
      this.retries = retries;
      this.retryOnOtherLoad = retryOnOtherLoad;
    }

    /** Upper bound of the whole run, for the watchdog: far above any real run. */
    long budgetMillis() {
      int systems = heartbeatOnlyJGroups ? 3 : 2;
      // per measurement: 3 starts + forming + the new view, each bounded by TIMEOUT, + slack
      return reps * systems * 2L * (1 + retries)
          * (5 * TIMEOUT.toMillis() + quietWait.toMillis() + 20_000);
    }
  }

  /**
   * One system measured: a name, a description, its members' command lines, and whether it
   * detects a killed member by heartbeats only (then a kill, like a hang, cannot be detected
   * faster than {@link #FASTEST_HEARTBEAT_DETECTION_MS}).
   */
  private record Subject(String name, String description, FailoverHarness.MemberCommand command,
      boolean heartbeatOnlyOnKill) {}

  /**
   * Heartbeats every 100 ms, suspicion after 500 ms of silence: the last message from the victim
   * may have arrived up to about one interval before the fault, and JGroups' FD_ALL3 counts the
   * silence in whole intervals, so no heartbeat detector can exclude it in less than 500 - 2 x
   * 100 ms. A faster figure means the view change had another cause (e.g. start-up churn), and
   * the measurement is refused.
   */
  static final long FASTEST_HEARTBEAT_DETECTION_MS = 300;

  /**
   * Measures {@code fault} on {@code s}, again (up to {@link Length#retries} times) after a
   * measurement that failed, was implausibly fast, or ran while other processes competed for
   * the CPU; throws if the last attempt failed or was implausible.
   */
  private static Rep measure(Subject s, String run, FailoverHarness.Fault fault, Length length)
      throws IOException, InterruptedException {
    String label = "[failover " + run + " " + fault.name().toLowerCase(Locale.ROOT) + "] ";
    int attempts = 1 + length.retries;
    for (int attempt = 1; ; attempt++) {
      String problem;
      FailoverHarness.Measurement m = null;
      try {
        m = FailoverHarness.measureOnceWithLoad(run, s.command(), fault, TIMEOUT,
            length.quietWait);
        long ms = FailoverHarness.toMillis(m.nanos());
        boolean heartbeatOnly = fault == FailoverHarness.Fault.HANG || s.heartbeatOnlyOnKill();
        if (heartbeatOnly && ms < FASTEST_HEARTBEAT_DETECTION_MS) {
          problem = "IMPLAUSIBLE: " + ms + " ms is faster than heartbeat detection can be ("
              + FASTEST_HEARTBEAT_DETECTION_MS + " ms): the view change had another cause";
        } else if (m.otherLoad()) {
          if (attempt == attempts || !length.retryOnOtherLoad) {
            return new Rep(ms, true, attempt);
          }
          problem = String.format(Locale.ROOT, "other processes used %.2f cores meanwhile",
              m.otherCores());
        } else {
          return new Rep(ms, false, attempt);
        }
      } catch (RuntimeException e) {
        if (attempt == attempts) {
          throw e;
        }
        problem = "failed: " + e.getMessage();
      }
      if (attempt == attempts) {
        throw new IllegalStateException(problem);
      }
      System.err.println(label + problem + "; measuring again (retry " + attempt + " of "
          + length.retries + ")");
    }
  }

  /**
   * Runs the benchmark in this JVM (the members are separate JVMs it starts), printing results to
   * {@code out}; the last line is always the key=value line of the class comment.
   *
   * @return true when every measurement completed
   */
  public static boolean run(Length length, PrintStream out) throws IOException,
      InterruptedException {
    List<Subject> systems = new ArrayList<>();
    systems.add(new Subject("meridian", "Meridian GroupMember over gRPC, heartbeatInterval"
        + " 100 ms, suspectAfter 500 ms", MeridianFailoverMember::command,
        false));
    systems.add(new Subject("jgroups", "JGroups " + JGroupsGroup.version() + " shipped tcp.xml"
        + " (FD_SOCK2 kept, as shipped) + FD_ALL3 interval 100 ms timeout 500 ms,"
        + " VERIFY_SUSPECT2 " + JGroupsFailoverMember.DEFAULT_VERIFY_SUSPECT_MS + " ms",
        (index, ports) -> JGroupsFailoverMember.command(index, ports, true), false));
    if (length.heartbeatOnlyJGroups) {
      systems.add(new Subject("jgroups-hb", "the same JGroups stack without FD_SOCK2"
          + " (heartbeat detection only)",
          (index, ports) -> JGroupsFailoverMember.command(index, ports, false), true));
    }

    Runtime rt = Runtime.getRuntime();
    out.printf(Locale.ROOT, "failover: 3 members, one JVM each (-Xms1g -Xmx1g), on 127.0.0.1;"
        + " member 2 (never the coordinator) is SIGKILLed (kill) or SIGSTOPped (hang); time from"
        + " the fault until both survivors installed the view without it; %d rep(s), systems"
        + " alternating; Java %s, %d CPUs%n", length.reps, System.getProperty("java.version"),
        rt.availableProcessors());
    for (Subject s : systems) {
      out.printf(Locale.ROOT, "  %-10s %s%n", s.name(), s.description());
    }
    out.println("  meridian engine: " + engineBuild());
    out.flush();

    Thread measuring = Thread.currentThread();
    Thread watchdog = new Thread(() -> {
      try {
        TimeUnit.MILLISECONDS.sleep(length.budgetMillis());
        System.err.println("meridian bench failover: still running after "
            + length.budgetMillis() / 1000 + " s; stopping it");
        measuring.interrupt();
      } catch (InterruptedException done) {
        // the run ended in time
      }
    }, "failover-bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    Map<String, List<Rep>> kill = new LinkedHashMap<>();
    Map<String, List<Rep>> hang = new LinkedHashMap<>();
    for (Subject s : systems) {
      kill.put(s.name(), new ArrayList<>());
      hang.put(s.name(), new ArrayList<>());
    }
    boolean ok = true;
    int retried = 0;
    try {
      for (int rep = 1; rep <= length.reps; rep++) {
        for (Subject s : systems) {
          String run = s.name() + " rep " + rep + "/" + length.reps;
          for (FailoverHarness.Fault fault : FailoverHarness.Fault.values()) {
            try {
              Rep r = measure(s, run, fault, length);
              retried += r.attempts() - 1;
              (fault == FailoverHarness.Fault.KILL ? kill : hang).get(s.name()).add(r);
            } catch (RuntimeException e) {
              ok = false;
              out.println("FAILED " + run + " " + fault.name().toLowerCase(Locale.ROOT) + ": "
                  + e.getMessage());
              out.flush();
            }
          }
        }
      }
    } catch (InterruptedException e) {
      ok = false;
      out.println("FAILED: interrupted (time budget of " + length.budgetMillis() / 1000
          + " s exceeded?); figures so far follow");
    } finally {
      watchdog.interrupt();
    }

    for (Subject s : systems) {
      out.printf(Locale.ROOT, "%-10s kill -9: %s | hang (SIGSTOP): %s%n", s.name(),
          summary(kill.get(s.name())), summary(hang.get(s.name())));
    }
    long loaded = kill.values().stream().flatMap(List::stream).filter(Rep::otherLoad).count()
        + hang.values().stream().flatMap(List::stream).filter(Rep::otherLoad).count();
    if (retried > 0) {
      out.printf(Locale.ROOT, "NOTE: %d measurement(s) were repeated because other processes"
          + " competed for the CPU, or they failed or were implausible (at most %d retries each;"
          + " stderr says why)%n", retried, length.retries);
    }
    if (loaded > 0) {
      out.printf(Locale.ROOT, "NOTE: %d measurement(s) marked * ran while other processes used"
          + " more than %.2f cores (stderr has the figures): rerun on a quiet machine before"
          + " quoting%n", loaded, FailoverHarness.OTHER_LOAD_CORES);
    }
    if (!ok) {
      out.println("NOTE: at least one measurement failed (lines above); figures are not to be"
          + " quoted");
    }
    out.printf(Locale.ROOT, "meridian_failover_ms=%d meridian_hang_ms=%d jgroups_failover_ms=%d"
        + " jgroups_hang_ms=%d%n", median(kill.get("meridian")), median(hang.get("meridian")),
        median(kill.get("jgroups")), median(hang.get("jgroups")));
    out.flush();
    return ok;
  }

  /**
   * Where the Meridian engine the members will load comes from and when that was built: the
   * engine changes often, so a figure should say which build it measured.
   */
  static String engineBuild() {
    try {
      Optional<GroupMemberFactory> f = ServiceLoader.load(GroupMemberFactory.class).findFirst();
      if (f.isEmpty()) {
        return "NOT FOUND on the class path";
      }
      Path p = Path.of(f.get().getClass().getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      return p + " (modified " + Files.getLastModifiedTime(p) + ")";
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return "unknown (" + e + ")";
    }
  }

  /** One repetition's figure, and whether other processes competed for the CPU meanwhile. */
  private record Rep(long millis, boolean otherLoad, int attempts) {
    @Override
    public String toString() {
      return millis + (otherLoad ? "*" : "");
    }
  }

  /** The median in ms, or -1 if there is no value. */
  private static long median(List<Rep> reps) {
    return reps.isEmpty() ? -1
        : FailoverHarness.median(reps.stream().mapToLong(Rep::millis).toArray());
  }

  private static String summary(List<Rep> reps) {
    if (reps.isEmpty()) {
      return "no result";
    }
    long min = reps.stream().mapToLong(Rep::millis).min().orElseThrow();
    long max = reps.stream().mapToLong(Rep::millis).max().orElseThrow();
    return String.format(Locale.ROOT, "median %d ms (min %d, max %d; reps %s)", median(reps),
        min, max, reps);
  }

  /**
   * Runs the benchmark in this JVM. Arguments: {@code --quick} (see {@link Length}). Exit status
   * 0 when every measurement completed, 1 otherwise.
   */
  public static void main(String[] args) throws Exception {
    Length length = Length.FULL;
    for (String a : args) {
      if (a.equals("--quick")) {
        length = Length.QUICK;
      } else {
        System.err.println("unknown argument " + a + "; usage: FailoverBench [--quick]");
        System.exit(2);
      }
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    boolean ok = run(length, out);
    System.exit(ok ? 0 : 1);
  }
}
