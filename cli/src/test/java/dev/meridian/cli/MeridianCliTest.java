package dev.meridian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The command line behind {@code ./meridian}: exit status 0 on success, 1 on a violation, 2 on a
 * usage error; the stable last line of {@code sim}; replaying a printed seed.
 *
 * <p>{@code bench clocks} and {@code bench causal} are deliberately not run here: they fork JVMs
 * for minutes ({@code .ci/run} smoke-tests both with {@code --quick}).
 */
class MeridianCliTest {

  /** What one run of the command line printed, and its exit status (KeystoreCommandTest too). */
  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
    }

    String lastLine() {
      List<String> lines = lines();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    String all() {
      return "exit=" + exit + "\n--- out:\n" + out + "\n--- err:\n" + err;
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = MeridianCli.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /**
   * Asserts a usage error: exit 2, nothing on stdout, and the error message (the first line on
   * stderr, before the usage help, which names every option anyway) naming each of {@code names}.
   */
  private static Run assertUsageError(Run r, String... names) {
    assertEquals(2, r.exit(), r::all);
    assertEquals("", r.out(), r::all);
    String message = r.err().split("\\R", 2)[0];
    for (String name : names) {
      assertTrue(message.contains(name), () -> "error message does not name " + name + ": "
          + r.all());
    }
    assertTrue(r.err().contains("Usage: meridian"), r::all);
    return r;
  }

  private static final Pattern SUMMARY =
      Pattern.compile("scenario=clocks seeds=(\\d+) violations=(\\d+)");

  // --- help and usage errors ------------------------------------------------------------------

  @Test
  void helpListsTheSubcommands() {
    Run r = run("--help");
    assertEquals(0, r.exit(), r::all);
    for (String sub : List.of("demo", "sim", "bench")) {
      assertTrue(r.lines().stream().anyMatch(l -> l.trim().startsWith(sub + " ")
          || l.trim().equals(sub)), () -> "help does not list " + sub + ": " + r.all());
    }
    assertTrue(r.out().contains("Usage: meridian"), r::all);
  }

  @Test
  void versionIsPrinted() {
    Run r = run("--version");
    assertEquals(0, r.exit(), r::all);
    assertEquals("meridian 0.1.0-SNAPSHOT", r.lastLine());
  }

  @Test
  void subcommandHelpExitsZero() {
    for (String sub : List.of("demo", "sim", "bench")) {
      Run r = run(sub, "--help");
      assertEquals(0, r.exit(), r::all);
      assertTrue(r.out().contains("Usage: meridian " + sub), r::all);
    }
    assertTrue(run("sim", "--help").out()
        .contains("scenario=<name> seeds=<N> violations=<V>"));
  }

  @Test
  void noArgumentsIsAUsageErrorNamingTheMissingSubcommand() {
    Run r = assertUsageError(run(), "missing subcommand");
    assertTrue(r.err().contains("demo") && r.err().contains("sim") && r.err().contains("bench"),
        r::all);
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    assertUsageError(run("frobnicate"), "frobnicate");
  }

  @Test
  void unknownFlagIsAUsageError() {
    assertUsageError(run("sim", "clocks", "--frob"), "--frob");
  }

  @Test
  void unknownScenarioIsAUsageErrorListingTheKnownOnes() {
    assertUsageError(run("sim", "nosuch"), "nosuch", "clocks");
  }

  @Test
  void missingScenarioIsAUsageError() {
    assertUsageError(run("sim"), "SCENARIO");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5", "abc"})
  void badSeedCountIsAUsageError(String value) {
    assertUsageError(run("sim", "clocks", "--seeds", value), "--seeds", value);
  }

  @Test
  void negativeSeedIsAUsageError() {
    assertUsageError(run("sim", "clocks", "--seed", "-1"), "--seed", "-1");
  }

  @Test
  void unknownBrokenVariantIsAUsageErrorListingTheValidOnes() {
    assertUsageError(run("sim", "clocks", "--broken", "bogus"), "bogus", "no-merge-on-receive",
        "no-increment-on-send", "lamport-no-max", "hlc-ignores-remote", "hlc-no-offset-check");
  }

  @Test
  void unknownBenchmarkIsAUsageError() {
    assertUsageError(run("bench", "nosuch"), "nosuch", "clocks, clocksync, leases, causal");
  }

  // --- sim ------------------------------------------------------------------------------------

  @Test
  void correctClocksPassTwentySeeds() {
    Run r = run("sim", "clocks", "--seeds", "20");
    assertEquals(0, r.exit(), r::all);
    assertEquals("scenario=clocks seeds=20 violations=0", r.lastLine());
    assertTrue(r.lines().stream().noneMatch(l -> l.startsWith("violation:")), r::all);
    assertEquals("", r.err());
  }

  @Test
  void brokenClocksAreCaughtAndTheFailingSeedReplays() {
    Run r = run("sim", "clocks", "--broken", "no-merge-on-receive", "--seeds", "20");
    assertEquals(1, r.exit(), r::all);
    Matcher summary = SUMMARY.matcher(r.lastLine());
    assertTrue(summary.matches(), r::all);
    assertEquals("20", summary.group(1));
    int violations = Integer.parseInt(summary.group(2));
    assertTrue(violations > 0, r::all);

    List<String> violationLines = r.lines().stream()
        .filter(l -> l.startsWith("violation: ")).toList();
    assertEquals(violations, violationLines.size(), r::all);
    String prefix = "replay: ./meridian sim clocks --broken no-merge-on-receive --seed ";
    List<String> replayLines = r.lines().stream().filter(l -> l.contains(prefix)).toList();
    assertEquals(violations, replayLines.size(), r::all);

    // Replay the first failing seed alone.
    String replay = replayLines.get(0).trim();
    assertTrue(replay.endsWith(" --trace"), replay);
    String seed = replay.substring(replay.indexOf(prefix) + prefix.length(),
        replay.length() - " --trace".length());
    String violation = violationLines.get(0);
    assertTrue(violation.startsWith("violation: seed=" + seed + " event="), violation);

    Run again = run("sim", "clocks", "--broken", "no-merge-on-receive", "--seed", seed);
    assertEquals(1, again.exit(), again::all);
    assertEquals("scenario=clocks seeds=1 violations=1", again.lastLine());
    assertTrue(again.lines().contains(violation), again::all);

    // With the trace: every event of the run, numbered, up to the violating one.
    Run traced = run("sim", "clocks", "--broken", "no-merge-on-receive", "--seed", seed,
        "--trace");
    assertEquals(1, traced.exit(), traced::all);
    assertEquals("scenario=clocks seeds=1 violations=1", traced.lastLine());
    assertTrue(traced.lines().contains(violation), traced::all);
    List<String> events = traced.lines().stream().filter(l -> l.startsWith("#")).toList();
    String eventIndex = violation.replaceFirst("^violation: seed=\\d+ event=(\\d+) .*$", "$1");
    long eventCount = Long.parseLong(eventIndex) + 1;
    assertTrue(traced.lines().stream().anyMatch(
        l -> l.startsWith("--- seed " + seed + ": " + eventCount + " events, fingerprint ")),
        traced::all);
    assertTrue(events.get(0).startsWith("#0 t=0 "), traced::all);
    assertTrue(events.stream().anyMatch(l -> l.startsWith("#" + eventIndex + " ")),
        "the trace does not reach event " + eventIndex);
    assertTrue(events.get(events.size() - 1).startsWith("#" + eventIndex + " "),
        "the trace goes on past the violation at event " + eventIndex);
  }

  @Test
  void seedAndSeedsTogetherRunAConsecutiveRange() {
    Run r = run("sim", "clocks", "--broken", "no-merge-on-receive", "--seed", "3", "--seeds",
        "4");
    Matcher summary = SUMMARY.matcher(r.lastLine());
    assertTrue(summary.matches(), r::all);
    assertEquals("4", summary.group(1));
    for (String line : r.lines()) {
      if (line.startsWith("violation: seed=")) {
        long s = Long.parseLong(line.substring("violation: seed=".length(), line.indexOf(' ',
            "violation: seed=".length())));
        assertTrue(s >= 3 && s <= 6, line);
      }
    }
  }

  @Test
  void correctRunWithTracePrintsTheEvents() {
    Run r = run("sim", "clocks", "--seed", "2", "--trace");
    assertEquals(0, r.exit(), r::all);
    assertEquals("scenario=clocks seeds=1 violations=0", r.lastLine());
    assertTrue(r.lines().stream().filter(l -> l.startsWith("#")).count() > 100, r::all);
    assertTrue(r.lines().stream().anyMatch(l -> l.startsWith("#0 t=0 ")), r::all);
  }

  // --- demo -----------------------------------------------------------------------------------

  @Test
  void demoPrintsHappenedBeforeAndConcurrentPairs() {
    Run r = run("demo");
    assertEquals(0, r.exit(), r::all);
    assertTrue(r.lines().stream().anyMatch(l -> l.contains("→")), r::all);
    assertTrue(r.lines().stream().anyMatch(l -> l.contains("∥")), r::all);
    assertTrue(r.out().contains("Every verdict matches"), r::all);
    assertTrue(r.lines().size() > 10, r::all);
    assertEquals("", r.err());
    // The simulated part is deterministic: the same seed prints the same timeline.
    String clocksPart = r.out().split("\\R---\\R")[0];
    assertEquals(clocksPart, run("demo", "--seed", "7").out().split("\\R---\\R")[0]);
    // The gRPC part: three members on loopback converge.
    assertTrue(r.out().contains("Converged: all three members hold the same map."), r::all);
  }

  @Test
  void seedRangePastTheLargestSeedIsAUsageError() {
    assertUsageError(run("sim", "clocks", "--seed", String.valueOf(Long.MAX_VALUE - 1),
        "--seeds", "3"), "--seed", "largest seed");
  }

  @Test
  void causalScenarioRunsAndEndsWithItsSummaryLine() {
    Run r = run("sim", "causal", "--seeds", "3");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=causal seeds=3 violations=0", lines[lines.length - 1], r::all);
  }

  @Test
  void membershipScenarioRunsAndABrokenVariantExitsOne() {
    Run r = run("sim", "membership", "--seeds", "2");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=membership seeds=2 violations=0", lines[lines.length - 1], r::all);
    Run broken = run("sim", "membership", "--broken", "no-majority", "--seeds", "40");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("one-view-per-id"), broken::all);
  }

  @Test
  void clockSyncScenarioRunsAndABrokenVariantExitsOne() {
    Run r = run("sim", "clocksync", "--seeds", "5");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=clocksync seeds=5 violations=0", lines[lines.length - 1], r::all);
    Run broken = run("sim", "clocksync", "--broken", "trust-local-clock", "--seeds", "5");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("interval-holds-true-time"), broken::all);
    assertUsageError(run("sim", "clocksync", "--broken", "bogus"), "bogus", "average-sources");
  }

  @Test
  void leasesScenarioRunsAndABrokenVariantExitsOne() {
    Run r = run("sim", "leases", "--seeds", "3");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=leases seeds=3 violations=0", lines[lines.length - 1], r::all);
    Run broken = run("sim", "leases", "--broken", "no-fencing", "--seeds", "10");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("fencing"), broken::all);
  }

  @Test
  void snapshotScenarioRunsAndABrokenVariantExitsOneWithAReplayLine() {
    Run r = run("sim", "snapshot", "--seeds", "2");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=snapshot seeds=2 violations=0", lines[lines.length - 1], r::all);
    Run broken = run("sim", "snapshot", "--broken", "no-channel-recording", "--seeds", "3");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("checker=channel-state"), broken::all);
    assertTrue(broken.out().contains("replay: ./meridian sim snapshot --broken"
        + " no-channel-recording --seed "), broken::all);
    assertUsageError(run("sim", "snapshot", "--broken", "bogus"), "bogus", "no-markers");
  }

  @Test
  void deadlockScenarioPrintsItsFiguresBeforeTheSummaryLine() {
    Run r = run("sim", "deadlock", "--seeds", "3");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=deadlock seeds=3 violations=0", lines[lines.length - 1], r::all);
    assertTrue(lines[lines.length - 2].matches("real_deadlocks=\\d+ snapshot_detector_found=\\d+"
        + " snapshot_detector_reports=\\d+ snapshot_detector_phantoms=0"
        + " naive_detector_reports=\\d+ naive_detector_phantoms=\\d+"), r::all);
    Run broken = run("sim", "deadlock", "--broken", "ignore-channels", "--seeds", "10");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("checker=no-phantom-deadlock"), broken::all);
    assertUsageError(run("sim", "deadlock", "--broken", "bogus"), "bogus", "ignore-channels");
  }

  @Test
  void agreementScenarioPassesWithinTheBoundAndNamesTheSeedBeyondIt() {
    Run r = run("sim", "agreement", "--seeds", "20");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=agreement seeds=20 violations=0", lines[lines.length - 1], r::all);
    assertTrue(lines[lines.length - 2].startsWith("mean_n="), r::all);
    Run broken = run("sim", "agreement", "--broken", "f-plus-one-traitors", "--seed", "5");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("violation: seed=5 event=-1 checker=agreement: "),
        broken::all);
    assertTrue(broken.out().contains("replay: ./meridian sim agreement --broken"
        + " f-plus-one-traitors --seed 5 --trace"), broken::all);
    Run naive = run("sim", "agreement", "--broken", "naive-early-decision", "--seeds", "5");
    assertEquals(1, naive.exit(), naive::all);
    assertTrue(naive.out().contains("checker=agreement: "), naive::all);
    assertUsageError(run("sim", "agreement", "--broken", "bogus"), "bogus",
        "f-plus-one-traitors");
  }

  @Test
  void agreementEarlyScenarioPassesAndItsBrokenVariantIsCaught() {
    Run r = run("sim", "agreement-early", "--seeds", "10");
    assertEquals(0, r.exit(), r::all);
    String[] lines = r.out().split("\\R");
    assertEquals("scenario=agreement-early seeds=10 violations=0", lines[lines.length - 1],
        r::all);
    assertTrue(lines[lines.length - 2].contains("fault_free_mean_rounds="), r::all);
    Run broken = run("sim", "agreement-early", "--broken", "no-final-relay", "--seed", "3");
    assertEquals(1, broken.exit(), broken::all);
    assertTrue(broken.out().contains("checker=agreement: "), broken::all);
    Run sender = run("sim", "agreement-early", "--broken", "sender-in-echo-chains", "--seed",
        "4");
    assertEquals(1, sender.exit(), sender::all);
    assertTrue(sender.out().contains("checker=agreement: "), sender::all);
    assertUsageError(run("sim", "agreement-early", "--broken", "naive-early-decision"),
        "naive-early-decision", "no-final-relay");
  }
}
