package dev.meridian.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a load generator in a forked JVM with a fixed heap, so its figures do not depend on the
 * launcher's heap or JIT history, and makes sure it stops: the parent kills it past its time
 * budget or on exit, and the child halts when its parent is gone or its budget is spent.
 */
final class ForkedBench {
  private ForkedBench() {}

  /**
   * Runs {@code main} with {@code --watch-parent <this pid>} (and {@code --quick} if asked) in a
   * JVM with {@code heap}, copying its stdout to {@code out}.
   *
   * @return true when it exited with status 0
   */
  static boolean run(Class<?> main, String name, String heap, boolean quick, long budgetMillis,
      PrintStream out) throws IOException, InterruptedException {
    String java = System.getProperty("java.home") + "/bin/java";
    List<String> command = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap,
        "-Djava.net.preferIPv4Stack=true", "-cp", System.getProperty("java.class.path"),
        main.getName(), "--watch-parent", Long.toString(ProcessHandle.current().pid())));
    if (quick) {
      command.add("--quick");
    }
    Process child = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    Thread reaper = new Thread(child::destroy, "meridian-bench-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    Thread watchdog = new Thread(() -> {
      try {
        if (!child.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          System.err.println("meridian bench " + name + ": still running after "
              + budgetMillis / 1000 + " s; stopping it");
          child.destroy();
          if (!child.waitFor(10, TimeUnit.SECONDS)) {
            child.destroyForcibly();
          }
        }
      } catch (InterruptedException e) {
        child.destroyForcibly();
      }
    }, "meridian-bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        out.println(line);
      }
    }
    int exit = child.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    return exit == 0;
  }

  /** In the child: halts (status 3) once process {@code pid}, the launcher, is gone. */
  static void watchParent(long pid) {
    Thread t = new Thread(() -> {
      while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
      }
      Runtime.getRuntime().halt(3);
    }, "meridian-bench-parent-watch");
    t.setDaemon(true);
    t.start();
  }

  /** In the child: halts (status 4) after {@code millis}, saying which benchmark overran. */
  static void selfDestructAfter(String name, long millis) {
    Thread t = new Thread(() -> {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
      System.err.println(name + ": time budget of " + millis / 1000 + " s exceeded; halting");
      Runtime.getRuntime().halt(4);
    }, "meridian-bench-deadline");
    t.setDaemon(true);
    t.start();
  }
}
