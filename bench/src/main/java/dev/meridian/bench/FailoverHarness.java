package dev.meridian.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * Measures failover: how long the two survivors of a 3-member group take to install a view
 * without a member that failed. The members are separate processes (any system: each prints the
 * lines below), all on 127.0.0.1; the measurement is the same for every system measured.
 *
 * <p><b>What a member process must do.</b> Print {@code READY} on stdout once it has joined, and
 * for every view it installs one line {@code VIEW <view number> <member count> <nanoTime>},
 * where the last field is {@link System#nanoTime()} at installation; flush each line. A system
 * that knows when a member is cut off from a majority of its view (Meridian) also prints {@code
 * BLOCKED} and {@code UNBLOCKED} lines as that changes. {@link JGroupsFailoverMember} is the
 * JGroups member, {@link MeridianFailoverMember} the Meridian one.
 *
 * <p><b>One measurement.</b> Three fresh member processes are started one after the other (each
 * waits for the previous one's {@code READY}), so member 0 is the oldest: the coordinator in
 * JGroups and in Meridian. Once every member's latest view is one and the same view of 3 (same
 * view number everywhere: a member may print several views of 3 first, e.g. Meridian founders
 * started one after another may remove a member not yet up and admit it again; the latest line
 * counts) and it stayed so for ~1 s of settling with no member blocked meanwhile (a Meridian
 * founder prints view 1 of 3 before it has heard from anyone: a view of 3 everywhere is no proof
 * that the members talk; with suspicion after 500 ms, a member that is not heard from within the
 * settling second is removed — a new view — or leaves the others blocked), member 2 (the
 * youngest, never the coordinator) fails, at time {@code t0}:
 *
 * <ul>
 *   <li><b>kill</b>: SIGKILL ({@link Process#destroyForcibly()}); {@code t0} is read just before
 *       the signal is sent. The kernel closes the dead process's sockets.
 *   <li><b>hang</b>: {@code kill -STOP <pid>}: the process is frozen, alive, its sockets open
 *       (the kernel even acknowledges TCP data), silent. {@code t0} is read as soon as the {@code
 *       kill} command has returned (so the milliseconds it takes to start a {@code kill} process
 *       are not charged to the system measured); the frozen process is killed at the end.
 * </ul>
 *
 * The result is {@code max(survivor's VIEW nanoTime) - t0} over members 0 and 1, for the first
 * view of 2 members each installed after {@code t0} (by its nanoTime, so views of 2 from start-up
 * churn do not count); both must be the same view number, newer than the view of 3 (a member
 * prints only views it is in, so that view is exactly the two survivors). {@code
 * System.nanoTime()} is CLOCK_MONOTONIC on Linux (HotSpot reads {@code
 * clock_gettime(CLOCK_MONOTONIC)}), one clock for every process on the machine, so times taken in
 * different JVMs on this machine can be subtracted.
 *
 * <p>Each of {@code reps} repetitions runs kill then hang, each with three fresh processes on
 * fresh loopback ports; the medians are returned. Progress goes to stderr, as does each member's
 * stderr (prefixed). Every wait is bounded by {@code timeout} and fails with an exception naming
 * the member and the phase. All member processes are SIGKILLed when a measurement ends, however
 * it ends, and by a shutdown hook if this JVM exits first; members should also exit by
 * themselves after a lifetime and when their parent is gone.
 */
public final class FailoverHarness {
  public static final int MEMBERS = 3;
  /** The member that fails: the youngest, never the coordinator. */
  public static final int VICTIM = 2;
  static final Duration SETTLE = Duration.ofSeconds(1);
  static final Duration REAP_TIMEOUT = Duration.ofSeconds(10);
  /** How long a SIGSTOPped member may take to show as stopped (T) in /proc. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(1);

  /** Processes this JVM started and has not reaped yet; killed by the shutdown hook. */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Process p : LIVE) {
        p.destroyForcibly();
      }
    }, "failover-harness-reaper"));
  }

  private FailoverHarness() {}

  /** The command line of member {@code index}, given the TCP ports picked for this run. */
  @FunctionalInterface
  public interface MemberCommand {
    List<String> command(int index, int[] ports);
  }

  /** How member {@link #VICTIM} fails. */
  public enum Fault {
    KILL, HANG
  }

  /**
   * Milliseconds until both survivors installed a view without the victim: medians over the reps
   * and each rep's figure, in order.
   */
  public record Result(long killMedianMs, long hangMedianMs, long[] killMs, long[] hangMs) {
    @Override
    public String toString() {
      return "kill median " + killMedianMs + " ms " + Arrays.toString(killMs) + ", hang median "
          + hangMedianMs + " ms " + Arrays.toString(hangMs);
    }
  }

  /**
   * As {@link #measure(String, MemberCommand, int, Duration)}, for members whose command line
   * does not need the ports this harness picks.
   */
  public static Result measure(String label, IntFunction<List<String>> command, int reps,
      Duration timeout) throws IOException, InterruptedException {
    return measure(label, (index, ports) -> command.apply(index), reps, timeout);
  }

  /**
   * Runs {@code reps} repetitions of the kill case and the hang case (see the class comment).
   *
   * @param label names the system in progress lines and errors, e.g. {@code "jgroups"}
   * @param command the command line of member i (0..2), given three free TCP ports on 127.0.0.1,
   *     one per member (picked afresh for every run)
   * @param timeout bound of every wait: each member's {@code READY}, the view of 3, each
   *     survivor's view of 2
   * @throws IllegalStateException when a wait times out or a member exits early; the message
   *     names the member and the phase
   */
  public static Result measure(String label, MemberCommand command, int reps, Duration timeout)
      throws IOException, InterruptedException {
    if (reps < 1) {
      throw new IllegalArgumentException("reps must be at least 1, got " + reps);
    }
    long[] kill = new long[reps];
    long[] hang = new long[reps];
    for (int rep = 0; rep < reps; rep++) {
      String run = label + " rep " + (rep + 1) + "/" + reps;
      kill[rep] = toMillis(measureOnce(run, command, Fault.KILL, timeout));
      hang[rep] = toMillis(measureOnce(run, command, Fault.HANG, timeout));
    }
    return new Result(median(kill), median(hang), kill, hang);
  }

  /**
   * One measurement.
   *
   * @param nanos from the fault to the later survivor's view without the victim
   * @param otherCores cores busy on this machine meanwhile (from the fault until the survivors'
   *     views, and at least {@link #LOAD_WINDOW}) beyond this JVM and the survivors: other
   *     processes competing for the CPU; NaN where /proc is unavailable. Above {@link
   *     #OTHER_LOAD_CORES} the figure is not comparable
   */
  record Measurement(long nanos, double otherCores) {
    boolean otherLoad() {
      return otherCores > OTHER_LOAD_CORES;
    }
  }

  /** Cores of other processes during the detection window above which it is flagged. */
  static final double OTHER_LOAD_CORES = 0.25;
  /** The shortest window over which the load of other processes is read (from the fault on). */
  static final Duration LOAD_WINDOW = Duration.ofMillis(500);

  /** One run with fresh processes: nanoseconds from the fault to the survivors' new views. */
  static long measureOnce(String run, MemberCommand command, Fault fault, Duration timeout)
      throws IOException, InterruptedException {
    return measureOnceWithLoad(run, command, fault, timeout, Duration.ZERO).nanos();
  }

  /**
   * As {@link #measureOnce}, also reporting the CPU other processes used meanwhile.
   *
   * @param quietWait after settling, how long to wait at most for a moment when other processes
   *     (than this JVM and the three members) use less than {@link #OTHER_LOAD_CORES} cores over
   *     {@link #LOAD_WINDOW} before injecting the fault; zero injects it at once
   */
  static Measurement measureOnceWithLoad(String run, MemberCommand command, Fault fault,
      Duration timeout, Duration quietWait) throws IOException, InterruptedException {
    String phase = run + " " + fault.name().toLowerCase(Locale.ROOT);
    int[] ports = Ports.freeLoopbackPorts(MEMBERS);
    List<Member> members = new ArrayList<>();
    try {
      long started = System.nanoTime();
      for (int i = 0; i < MEMBERS; i++) {
        Member m = Member.start(phase, i, command.command(i, ports.clone()));
        members.add(m);
        m.await("start-up (READY)", Member::ready, deadline(timeout), timeout);
      }
      long formed = awaitCommonView(phase, members, started, timeout);
      if (quietWait.compareTo(Duration.ZERO) > 0) {
        long blockings = blockings(members);
        awaitQuiet(phase, members, quietWait);
        if (commonView(members) != formed || blockings(members) != blockings) {
          throw new IllegalStateException(phase + ": the view of " + MEMBERS + " changed or a"
              + " member was blocked while waiting for a quiet machine: " + members.stream()
                  .map(m -> "m" + m.index + " " + m.describe()).toList());
        }
      }

      Member victim = members.get(VICTIM);
      CpuSample before = CpuSample.take();
      long[] ours = {ProcessHandle.current().pid(), members.get(0).process.pid(),
          members.get(1).process.pid()};
      Ticks ticksBefore = Ticks.take(ours);
      long t0 = fault == Fault.KILL ? kill(victim) : freeze(victim, phase);
      long[] at = new long[MEMBERS];
      long latest = Long.MIN_VALUE;
      List<Member.ViewLine> after = new ArrayList<>();
      for (Member m : members) {
        if (m == victim) {
          continue;
        }
        Member.ViewLine v = m.await("installing a view of " + (MEMBERS - 1) + " after the "
                + fault.name().toLowerCase(Locale.ROOT) + " of member " + VICTIM,
            s -> s.firstViewAfter(t0, MEMBERS - 1) != null, t0 + timeout.toNanos(), timeout)
            .firstViewAfter(t0, MEMBERS - 1);
        at[m.index] = v.nanos() - t0;
        latest = Math.max(latest, v.nanos());
        after.add(v);
      }
      // A member prints only views it is in, so both survivors in one view of 2 with the same id
      // means that view is exactly the survivors: the victim, and nobody else, was excluded.
      if (after.get(0).id() != after.get(1).id() || after.get(0).id() <= formed) {
        throw new IllegalStateException(phase + ": the survivors' first views of " + (MEMBERS - 1)
            + " after the fault differ or are not newer than view " + formed + ": m0 "
            + members.get(0).describe() + "; m1 " + members.get(1).describe());
      }
      long elapsed = latest - t0;
      // Clock ticks are 10 ms: a window of a few tens of ms (JGroups' kill) says nothing, so the
      // load is read over at least LOAD_WINDOW from the fault.
      long loadEnd = t0 + LOAD_WINDOW.toNanos();
      for (long left; (left = loadEnd - System.nanoTime()) > 0; ) {
        TimeUnit.NANOSECONDS.sleep(left);
      }
      double other = ticksBefore.otherCoresUntil(Ticks.take(ours));
      progress(phase, "member %d %s: both survivors in a view of %d after %.1f ms (m0 %.1f ms,"
          + " m1 %.1f ms); meanwhile (at least %d ms) %s, of which %.2f by other processes than"
          + " the survivors and this JVM%s", VICTIM,
          fault == Fault.KILL ? "SIGKILLed" : "frozen (SIGSTOP)", MEMBERS - 1, elapsed / 1e6,
          at[0] / 1e6, at[1] / 1e6, LOAD_WINDOW.toMillis(),
          before.describeMachineUntil(CpuSample.take()), other,
          other > OTHER_LOAD_CORES ? " (OTHER LOAD: figure not comparable)" : "");
      return new Measurement(elapsed, other);
    } finally {
      for (Member m : members) {
        m.destroy();
      }
      for (Member m : members) {
        m.reap(phase);
      }
    }
  }

  /**
   * Waits until every member's latest view has {@link #MEMBERS} members and the same id, and that
   * stayed so for {@link #SETTLE}; returns that view id. Members may print several views of
   * {@link #MEMBERS} first: founders started one after another may remove a member that is not up
   * yet and admit it again, and a member that just started may still report its initial view
   * while the others have moved on. Bounded by {@code timeout} from {@code started}.
   */
  private static long awaitCommonView(String phase, List<Member> members, long started,
      Duration timeout) throws InterruptedException {
    long deadline = started + timeout.toNanos();
    String what = "forming one view of " + MEMBERS + " at every member";
    while (true) {
      long id;
      while ((id = commonView(members)) < 0 || anyBlocked(members)) {
        for (Member m : members) {
          m.checkAlive(what);
        }
        if (System.nanoTime() - deadline > 0) {
          StringBuilder sb = new StringBuilder();
          for (Member m : members) {
            sb.append("; m").append(m.index).append(' ').append(m.describe());
          }
          throw new IllegalStateException(phase + ": timed out after " + timeout.toMillis()
              + " ms " + what + sb);
        }
        TimeUnit.MILLISECONDS.sleep(10);
      }
      progress(phase, "%d members up, view %d of %d everywhere after %d ms; settling %d ms",
          MEMBERS, id, MEMBERS, toMillis(System.nanoTime() - started), SETTLE.toMillis());
      long blockings = blockings(members);
      TimeUnit.NANOSECONDS.sleep(SETTLE.toNanos());
      if (commonView(members) == id && blockings(members) == blockings) {
        return id;
      }
      progress(phase, "the view changed or a member was blocked while settling (%s); waiting"
          + " again", members.stream().map(m -> "m" + m.index + " " + m.describe()).toList());
    }
  }

  /**
   * Waits, at most {@code max}, until other processes than this JVM and the members used less
   * than {@link #OTHER_LOAD_CORES} cores over one {@link #LOAD_WINDOW}; gives up silently
   * otherwise (the measurement then says how loaded the machine was).
   */
  private static void awaitQuiet(String phase, List<Member> members, Duration max)
      throws InterruptedException {
    long[] pids = new long[members.size() + 1];
    pids[0] = ProcessHandle.current().pid();
    for (int i = 0; i < members.size(); i++) {
      pids[i + 1] = members.get(i).process.pid();
    }
    long begin = System.nanoTime();
    double other = Double.NaN;
    while (System.nanoTime() - begin < max.toNanos()) {
      Ticks a = Ticks.take(pids);
      TimeUnit.NANOSECONDS.sleep(LOAD_WINDOW.toNanos());
      other = a.otherCoresUntil(Ticks.take(pids));
      if (!(other > OTHER_LOAD_CORES)) { // NaN (no /proc): nothing to wait for
        if (System.nanoTime() - begin > 2 * LOAD_WINDOW.toNanos()) {
          progress(phase, "waited %d ms for other processes to leave the CPU", toMillis(
              System.nanoTime() - begin));
        }
        return;
      }
    }
    progress(phase, "other processes still used %.2f cores after waiting %d ms for a quiet"
        + " machine; going on", other, max.toMillis());
  }

  private static boolean anyBlocked(List<Member> members) {
    return members.stream().anyMatch(Member::blocked);
  }

  /** How many times members reported BLOCKED so far, all together. */
  private static long blockings(List<Member> members) {
    return members.stream().mapToLong(Member::blockings).sum();
  }

  /** The id of the view of {@link #MEMBERS} every member installed last, or -1 if none. */
  private static long commonView(List<Member> members) {
    long id = -1;
    for (Member m : members) {
      Member.ViewLine v = m.latest();
      if (v == null || v.count() != MEMBERS || (id >= 0 && v.id() != id)) {
        return -1;
      }
      id = v.id();
    }
    return id;
  }

  private static long kill(Member victim) {
    long t0 = System.nanoTime();
    victim.process.destroyForcibly();
    return t0;
  }

  /** SIGSTOPs the victim; returns the time the {@code kill} command returned. */
  private static long freeze(Member victim, String phase) throws IOException,
      InterruptedException {
    long pid = victim.process.pid();
    Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(pid))
        .redirectErrorStream(true).start();
    try {
      if (!kill.waitFor(REAP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(phase + ": `kill -STOP " + pid + "` (member " + VICTIM
            + ") did not return within " + REAP_TIMEOUT.toSeconds() + " s");
      }
      long t0 = System.nanoTime();
      if (kill.exitValue() != 0) {
        String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        throw new IllegalStateException(phase + ": `kill -STOP " + pid + "` (member " + VICTIM
            + ") failed with " + kill.exitValue() + ": " + said.trim());
      }
      // kill(2) only queues the signal: the process stops once the kernel schedules it, which
      // on a busy machine may take a few ms. t0 stays the moment kill returned.
      String state = processState(pid);
      long stopDeadline = t0 + STOP_TIMEOUT.toNanos();
      while (state != null && !state.equals("T") && System.nanoTime() - stopDeadline < 0) {
        TimeUnit.MILLISECONDS.sleep(1);
        state = processState(pid);
      }
      if (state != null && !state.equals("T")) {
        throw new IllegalStateException(phase + ": member " + VICTIM + " (pid " + pid
            + ") is in state " + state + " " + STOP_TIMEOUT.toMillis() + " ms after SIGSTOP,"
            + " not T (stopped)");
      }
      long stoppedAfter = System.nanoTime() - t0;
      if (stoppedAfter > TimeUnit.MILLISECONDS.toNanos(5)) {
        progress(phase, "member %d was seen stopped only %.1f ms after `kill -STOP` returned",
            VICTIM, stoppedAfter / 1e6);
      }
      return t0;
    } finally {
      kill.destroyForcibly();
    }
  }

  /** The state letter of {@code /proc/<pid>/stat} (R, S, T, ...), or null where unavailable. */
  private static String processState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // "pid (comm) S ...": comm may contain spaces, so look after the last ')'
      String[] rest = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
      return rest[0];
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long deadline(Duration timeout) {
    return System.nanoTime() + timeout.toNanos();
  }

  private static void progress(String phase, String format, Object... args) {
    System.err.println("[failover " + phase + "] " + String.format(Locale.ROOT, format, args));
  }

  static long toMillis(long nanos) {
    return Math.round(nanos / 1e6);
  }

  /** The median; for an even count, the mean of the two middle values, rounded. */
  static long median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : Math.round((v[n / 2 - 1] + v[n / 2]) / 2.0);
  }

  /**
   * Clock ticks (USER_HZ = 100/s on Linux) at one instant: busy on the whole machine ({@code
   * /proc/stat}) and used by some processes ({@code /proc/<pid>/stat} utime + stime), so that a
   * window can tell how much CPU other processes took. Null fields where /proc is unavailable.
   */
  private record Ticks(long nanos, Long machineBusy, Long processes) {
    static final double USER_HZ = 100;

    static Ticks take(long[] pids) {
      Long busy = null;
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        // cpu user nice system idle iowait irq softirq steal
        busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
            + Long.parseLong(f[6]) + Long.parseLong(f[7]);
      } catch (IOException | RuntimeException e) {
        // unknown
      }
      Long sum = 0L;
      for (long pid : pids) {
        try {
          String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
          // after "pid (comm) ": state is field 3; utime, stime are fields 14, 15
          String[] rest = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
          sum += Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
        } catch (IOException | RuntimeException e) {
          sum = null;
          break;
        }
      }
      return new Ticks(System.nanoTime(), busy, sum);
    }

    /** Cores busy with other processes than {@code pids} from this sample to {@code later}. */
    double otherCoresUntil(Ticks later) {
      if (machineBusy == null || later.machineBusy == null || processes == null
          || later.processes == null) {
        return Double.NaN;
      }
      double seconds = (later.nanos - nanos) / 1e9;
      return Math.max(0, (later.machineBusy - machineBusy) - (later.processes - processes))
          / USER_HZ / seconds;
    }
  }

  /** One member process and what it has printed so far. */
  private static final class Member {
    record ViewLine(long id, int count, long nanos) {}

    final String phase;
    final int index;
    final Process process;
    private final List<ViewLine> views = new ArrayList<>(); // guarded by this
    private boolean ready; // guarded by this
    private boolean blocked; // guarded by this
    private long blockings; // guarded by this
    /** Views ("id count") and blocked / unblocked, in order; for messages. */
    private final List<String> events = new ArrayList<>(); // guarded by this
    private boolean stdoutClosed; // guarded by this
    private final List<String> unexpected = new ArrayList<>(); // guarded by this

    private Member(String phase, int index, Process process) {
      this.phase = phase;
      this.index = index;
      this.process = process;
    }

    static Member start(String phase, int index, List<String> command) throws IOException {
      Process p = new ProcessBuilder(command).start();
      LIVE.add(p);
      Member m = new Member(phase, index, p);
      p.getOutputStream().close(); // members read nothing
      Thread out = new Thread(() -> m.readStdout(p.getInputStream()),
          "failover-m" + index + "-stdout");
      Thread err = new Thread(() -> m.copyStderr(p.getErrorStream()),
          "failover-m" + index + "-stderr");
      out.setDaemon(true);
      err.setDaemon(true);
      out.start();
      err.start();
      return m;
    }

    private void readStdout(InputStream in) {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in,
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          accept(line.trim());
        }
      } catch (IOException e) {
        // the process is gone; noticed below
      } finally {
        synchronized (this) {
          stdoutClosed = true;
          notifyAll();
        }
      }
    }

    private synchronized void accept(String line) {
      String[] f = line.split(" ");
      if (line.equals("READY")) {
        ready = true;
      } else if (line.equals("BLOCKED")) {
        blocked = true;
        blockings++;
        events.add("blocked");
      } else if (line.equals("UNBLOCKED")) {
        blocked = false;
        events.add("unblocked");
      } else if (f.length == 4 && f[0].equals("VIEW")) {
        try {
          ViewLine v = new ViewLine(Long.parseLong(f[1]), Integer.parseInt(f[2]),
              Long.parseLong(f[3]));
          views.add(v);
          events.add(v.id() + " " + v.count());
        } catch (NumberFormatException e) {
          unexpected.add(line);
        }
      } else {
        unexpected.add(line);
        System.err.println("[failover " + phase + " m" + index + " stdout] " + line);
      }
      notifyAll();
    }

    private void copyStderr(InputStream in) {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in,
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          System.err.println("  [" + phase + " m" + index + "] " + line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }

    synchronized boolean blocked() {
      return blocked;
    }

    synchronized long blockings() {
      return blockings;
    }

    synchronized boolean ready() {
      return ready;
    }

    /** The view this member installed last, or null. */
    synchronized ViewLine latest() {
      return views.isEmpty() ? null : views.get(views.size() - 1);
    }

    /** Fails if the member's stdout closed (it exited or crashed) while {@code what}. */
    synchronized void checkAlive(String what) {
      if (stdoutClosed) {
        throw new IllegalStateException(phase + ": member " + index + " exited ("
            + exitStatus() + ") while " + what + "; " + describe());
      }
    }

    /** The first view of {@code count} members installed after {@code t0}, or null. */
    synchronized ViewLine firstViewAfter(long t0, int count) {
      for (ViewLine v : views) {
        if (v.count() == count && v.nanos() - t0 > 0) {
          return v;
        }
      }
      return null;
    }

    /** Waits until {@code condition} holds; fails at {@code deadline} or if the member exits. */
    synchronized Member await(String what, Predicate<Member> condition, long deadline,
        Duration timeout) throws InterruptedException {
      while (!condition.test(this)) {
        if (stdoutClosed) {
          throw new IllegalStateException(phase + ": member " + index + " exited ("
              + exitStatus() + ") while " + what + "; " + describe());
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(phase + ": member " + index + " timed out after "
              + timeout.toMillis() + " ms " + what + "; " + describe());
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return this;
    }

    private String exitStatus() {
      try {
        return process.waitFor(1, TimeUnit.SECONDS) ? "status " + process.exitValue()
            : "stdout closed, process still alive";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "unknown status";
      }
    }

    synchronized String describe() {
      return "pid " + process.pid() + ", ready=" + ready + ", views (id count) and blocking "
          + events + (unexpected.isEmpty() ? "" : ", unexpected stdout " + unexpected);
    }

    void destroy() {
      process.destroyForcibly(); // SIGKILL also ends a SIGSTOPped process
    }

    void reap(String phase) throws InterruptedException {
      if (process.waitFor(REAP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        LIVE.remove(process);
      } else {
        System.err.println("[failover " + phase + "] member " + index + " (pid "
            + process.pid() + ") still alive " + REAP_TIMEOUT.toSeconds()
            + " s after SIGKILL; the shutdown hook will try again");
      }
    }
  }
}
