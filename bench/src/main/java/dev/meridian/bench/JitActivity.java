package dev.meridian.bench;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether HotSpot's C2 compiler is busy, from the {@code compilerQueue} diagnostic command (what
 * {@code jcmd PID Compiler.queue} prints). The compile-time counter alone cannot tell: it grows
 * only when a compilation finishes, and on a loaded 2-core machine one C2 compilation can run
 * for seconds.
 */
final class JitActivity {
  private JitActivity() {}

  /** C2 compilations running or queued right now; -1 if the JVM cannot tell. */
  static int c2Pending() {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      String text = (String) server.invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue",
          new Object[] {null}, new String[] {String[].class.getName()});
      int pending = 0;
      String section = "";
      for (String line : text.split("\n")) {
        String l = line.trim();
        if (l.isEmpty() || l.equals("Empty")) {
          continue;
        }
        if (l.endsWith(":")) {
          section = l;
        } else if (section.startsWith("Current compiles") ? l.startsWith("C2 ")
            : section.startsWith("C2 ")) {
          pending++;
        }
      }
      return pending;
    } catch (Exception | LinkageError e) {
      return -1;
    }
  }
}
