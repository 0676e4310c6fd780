package dev.meridian.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * CPU used by this process and by the whole machine at one instant, so a measured window can say
 * whether other processes competed for the cores (on these 2-core machines they often do).
 *
 * @param nanos {@link System#nanoTime()} when taken
 * @param processCpuNanos CPU time of this JVM, or -1 when unknown
 * @param machineTicks {busy, idle, steal} clock ticks of the machine from {@code /proc/stat}, or
 *     null when unavailable
 */
record CpuSample(long nanos, long processCpuNanos, long[] machineTicks) {
  /** CPU of other processes, in cores, above which a window is flagged. */
  static final double OTHER_LOAD_CORES = 0.25;
  private static final double USER_HZ = 100; // clock ticks per second in /proc/stat on Linux

  static CpuSample take() {
    long cpu = ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    return new CpuSample(System.nanoTime(), cpu, readMachineTicks());
  }

  private static long[] readMachineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal
      long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
          + Long.parseLong(f[6]) + Long.parseLong(f[7]);
      return new long[] {busy, Long.parseLong(f[4]) + Long.parseLong(f[5]),
          Long.parseLong(f[8])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The machine's busy and idle cores between {@code this} and {@code later}, every process. */
  String describeMachineUntil(CpuSample later) {
    if (machineTicks == null || later.machineTicks == null) {
      return "machine load unknown";
    }
    double seconds = (later.nanos - nanos) / 1e9;
    return String.format(Locale.ROOT, "machine busy %.2f, idle %.2f cores",
        (later.machineTicks[0] - machineTicks[0]) / USER_HZ / seconds,
        (later.machineTicks[1] - machineTicks[1]) / USER_HZ / seconds);
  }

  /** Cores used by this process and by everything else between {@code this} and {@code later}. */
  String describeUntil(CpuSample later) {
    double seconds = (later.nanos - nanos) / 1e9;
    double process = processCpuNanos < 0 ? Double.NaN
        : (later.processCpuNanos - processCpuNanos) / 1e9 / seconds;
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "process cpu %.2f cores",
        process));
    if (machineTicks != null && later.machineTicks != null) {
      double busy = (later.machineTicks[0] - machineTicks[0]) / USER_HZ / seconds;
      sb.append(String.format(Locale.ROOT, "; machine: busy %.2f, idle %.2f, stolen %.2f cores",
          busy, (later.machineTicks[1] - machineTicks[1]) / USER_HZ / seconds,
          (later.machineTicks[2] - machineTicks[2]) / USER_HZ / seconds));
      if (busy - process > OTHER_LOAD_CORES) {
        sb.append(String.format(Locale.ROOT, " (OTHER LOAD: %.2f cores used by other"
            + " processes: figures not comparable)", busy - process));
      }
    }
    return sb.toString();
  }
}
