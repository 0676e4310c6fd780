package dev.meridian.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@code meridian bench clocks}: runs {@link VectorClockBenchmark} under JMH in a forked JVM and
 * prints ns/op per case, then one summary line of {@code key=value} figures.
 */
public final class ClocksBench {
  private ClocksBench() {}

  /** How long to measure: the full run for figures to quote, quick for a smoke test. */
  public enum Length {
    FULL(1, 3, 1000, 5, 1000),
    QUICK(1, 1, 300, 2, 300);

    final int forks;
    final int warmups;
    final int warmupMillis;
    final int iterations;
    final int iterationMillis;

    Length(int forks, int warmups, int warmupMillis, int iterations, int iterationMillis) {
      this.forks = forks;
      this.warmups = warmups;
      this.warmupMillis = warmupMillis;
      this.iterations = iterations;
      this.iterationMillis = iterationMillis;
    }
  }

  /**
   * Runs the benchmark and prints one line per case and the summary line last.
   *
   * @return the summary line
   */
  public static String run(Length length, PrintStream out) throws RunnerException {
    Options options = new OptionsBuilder()
        .include(VectorClockBenchmark.class.getName() + "\\.")
        .forks(length.forks)
        .warmupIterations(length.warmups)
        .warmupTime(TimeValue.milliseconds(length.warmupMillis))
        .measurementIterations(length.iterations)
        .measurementTime(TimeValue.milliseconds(length.iterationMillis))
        .timeUnit(TimeUnit.NANOSECONDS)
        .jvmArgsAppend("-Xms1g", "-Xmx1g")
        .verbosity(VerboseMode.SILENT)
        .build();
    out.printf(Locale.ROOT, "JMH: VectorClock compare/merge/encode/decode for 3, 16, 128 members;"
        + " %d fork, %d x %d ms warm-up, %d x %d ms measured per case%n", length.forks,
        length.warmups, length.warmupMillis, length.iterations, length.iterationMillis);
    Collection<RunResult> results = new Runner(options).run();
    List<String> figures = new ArrayList<>();
    for (RunResult r : sorted(results)) {
      String method = r.getParams().getBenchmark();
      method = method.substring(method.lastIndexOf('.') + 1);
      String members = r.getParams().getParam("members");
      double score = r.getPrimaryResult().getScore();
      double error = r.getPrimaryResult().getScoreError();
      out.printf(Locale.ROOT, "  %-20s members=%-4s %10.1f ns/op  ± %.1f%n", method, members,
          score, Double.isNaN(error) ? 0.0 : error);
      figures.add(String.format(Locale.ROOT, "%s_%s_ns=%.1f", snake(method), members, score));
    }
    String line = String.join(" ", figures);
    out.println(line);
    return line;
  }

  private static List<RunResult> sorted(Collection<RunResult> results) {
    List<RunResult> list = new ArrayList<>(results);
    list.sort((a, b) -> {
      int c = a.getParams().getBenchmark().compareTo(b.getParams().getBenchmark());
      return c != 0 ? c : Integer.compare(
          Integer.parseInt(a.getParams().getParam("members")),
          Integer.parseInt(b.getParams().getParam("members")));
    });
    return list;
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
