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
 * where the last field is {@link System#nanoTime()} at installation; flush each line. {@link
 * JGroupsFailoverMember} is the JGroups member.
 *
 * <p><b>One measurement.</b> Three fresh member processes are started one after the other (each
 * waits for the previous one's {@code READY}), so member 0 is the oldest: the coordinator in
 * JGroups and in Meridian. Once every member printed a view of 3 and ~1 s passed for things to
 * settle, member 2 (the youngest, never the coordinator) fails, at time {@code t0}:
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
 * view of 2 members each printed after {@code t0}. {@code System.nanoTime()} is CLOCK_MONOTONIC
 * on Linux (HotSpot reads {@code clock_gettime(CLOCK_MONOTONIC)}), one clock for every process on
 * the machine, so times taken in different JVMs on this machine can be subtracted.
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

  /** One run with fresh processes: nanoseconds from the fault to the survivors' new views. */
  static long measureOnce(String run, MemberCommand command, Fault fault, Duration timeout)
      throws IOException, InterruptedException {
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
      for (Member m : members) {
        m.await("forming the view of " + MEMBERS, s -> s.lastCount() == MEMBERS,
            deadline(timeout), timeout);
      }
      progress(phase, "%d members up, view of %d everywhere after %d ms; settling %d ms",
          MEMBERS, MEMBERS, toMillis(System.nanoTime() - started), SETTLE.toMillis());
      TimeUnit.NANOSECONDS.sleep(SETTLE.toNanos());
      for (Member m : members) {
        if (m.lastCount() != MEMBERS) {
          throw new IllegalStateException(phase + ": member " + m.index + " left the view of "
              + MEMBERS + " while settling: " + m.describe());
        }
      }

      Member victim = members.get(VICTIM);
      CpuSample before = CpuSample.take();
      long t0 = fault == Fault.KILL ? kill(victim) : freeze(victim, phase);
      long[] at = new long[MEMBERS];
      long latest = Long.MIN_VALUE;
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
      }
      long elapsed = latest - t0;
      progress(phase, "member %d %s: both survivors in a view of %d after %.1f ms (m0 %.1f ms,"
          + " m1 %.1f ms); meanwhile %s (members included: mostly idle; more means other"
          + " load)", VICTIM, fault == Fault.KILL ? "SIGKILLed" : "frozen (SIGSTOP)",
          MEMBERS - 1, elapsed / 1e6, at[0] / 1e6, at[1] / 1e6,
          before.describeMachineUntil(CpuSample.take()));
      return elapsed;
    } finally {
      for (Member m : members) {
        m.destroy();
      }
      for (Member m : members) {
        m.reap(phase);
      }
    }
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
      String state = processState(pid);
      if (state != null && !state.equals("T")) {
        throw new IllegalStateException(phase + ": member " + VICTIM + " (pid " + pid
            + ") is in state " + state + " after SIGSTOP, not T (stopped)");
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

  /** One member process and what it has printed so far. */
  private static final class Member {
    record ViewLine(long id, int count, long nanos) {}

    final String phase;
    final int index;
    final Process process;
    private final List<ViewLine> views = new ArrayList<>(); // guarded by this
    private boolean ready; // guarded by this
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
      } else if (f.length == 4 && f[0].equals("VIEW")) {
        try {
          views.add(new ViewLine(Long.parseLong(f[1]), Integer.parseInt(f[2]),
              Long.parseLong(f[3])));
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

    synchronized boolean ready() {
      return ready;
    }

    synchronized int lastCount() {
      return views.isEmpty() ? 0 : views.get(views.size() - 1).count();
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
      return "pid " + process.pid() + ", ready=" + ready + ", views (id count) "
          + views.stream().map(v -> v.id() + " " + v.count()).toList()
          + (unexpected.isEmpty() ? "" : ", unexpected stdout " + unexpected);
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
