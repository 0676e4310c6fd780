package dev.meridian.sim;

import static dev.meridian.sim.SimTestSupport.A;
import static dev.meridian.sim.SimTestSupport.B;
import static dev.meridian.sim.SimTestSupport.MS;
import static dev.meridian.sim.SimTestSupport.burst;
import static dev.meridian.sim.SimTestSupport.nodes;
import static dev.meridian.sim.SimTestSupport.payload;
import static dev.meridian.sim.SimTestSupport.receives;
import static dev.meridian.sim.SimTestSupport.sent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.sim.SimTestSupport.Chatter;
import dev.meridian.sim.SimTestSupport.Ping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What the simulated network does to messages: delay, loss, duplication, reordering. */
class SimulationNetworkTest {

  private record Run(SimulationResult result, List<Step<Ping>> steps) {
    List<Step<Ping>> receives() {
      return SimTestSupport.receives(steps);
    }

    List<Integer> receivedSeqs() {
      return receives().stream().map(s -> payload(s).seq()).toList();
    }
  }

  private static Run burstRun(long seed, int count, NetworkModel network) {
    List<Step<Ping>> steps = new ArrayList<>();
    SimulationResult r = Simulation.<Ping>builder()
        .seed(seed)
        .members(List.of(A, B))
        .cores(burst(A, B, count))
        .network(network)
        .observer(steps::add)
        .keepTrace(true)
        .build()
        .run();
    assertTrue(r.ok(), () -> r.violation().toString());
    assertEquals(count, r.messagesSent());
    return new Run(r, steps);
  }

  @Test
  void reliableNetworkDeliversEveryMessageExactlyOnce() {
    Run run = burstRun(3, 500, NetworkModel.reliable());
    assertEquals(0, run.result().messagesDropped());
    List<Integer> seqs = new ArrayList<>(run.receivedSeqs());
    seqs.sort(null);
    assertEquals(IntStream.range(0, 500).boxed().toList(), seqs);
    // And each receive handed the ping to the application.
    for (Step<Ping> s : run.receives()) {
      assertEquals(List.of(payload(s)), s.delivered());
      assertEquals(B, s.node());
    }
  }

  @Test
  void reliableNetworkDeliversEveryMessageOfAChattyGroupExactlyOnce() {
    List<Step<Ping>> steps = new ArrayList<>();
    SimulationResult r = Simulation.<Ping>builder()
        .seed(11)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 10 * MS))
        .network(new NetworkModel(DelayDistribution.uniform(MS, MS), 0, 0, 0, 0))
        .phases(200 * MS, 0)
        .observer(steps::add)
        .build()
        .run();
    List<Ping> sentPings = steps.stream()
        .filter(s -> s.trueTimeNanos() <= 199 * MS) // arrives before the end of the run
        .flatMap(s -> sent(s).stream()).toList();
    Map<Ping, Long> received = receives(steps).stream()
        .collect(Collectors.groupingBy(SimTestSupport::payload, Collectors.counting()));
    assertTrue(sentPings.size() > 50, "too few messages: " + sentPings.size());
    for (Ping p : sentPings) {
      assertEquals(1L, received.getOrDefault(p, 0L), "times " + p + " arrived");
    }
    assertEquals(0, r.messagesDropped());
  }

  @Test
  void totalLossDeliversNothingAndCountsEveryDrop() {
    Run run = burstRun(3, 300, NetworkModel.reliable().withLoss(1.0));
    assertEquals(List.of(), run.receives());
    assertEquals(300, run.result().messagesDropped());
    assertEquals(300, run.result().trace().stream().filter(l -> l.endsWith(": lost")).count());
  }

  @Test
  void partialLossDeliversAboutTheRestAndCountsTheLost() {
    int n = 4000;
    Run run = burstRun(17, n, NetworkModel.reliable().withLoss(0.3));
    int delivered = run.receives().size();
    double fraction = delivered / (double) n;
    assertTrue(fraction > 0.6 && fraction < 0.8, "delivered fraction " + fraction);
    assertEquals(n, delivered + run.result().messagesDropped());
    // Those that did arrive arrived once.
    assertEquals(delivered, run.receivedSeqs().stream().distinct().count());
  }

  @Test
  void certainDuplicationDeliversEveryMessageTwice() {
    Run run = burstRun(5, 200, NetworkModel.reliable().withDuplication(1.0));
    Map<Integer, List<Step<Ping>>> bySeq = run.receives().stream()
        .collect(Collectors.groupingBy(s -> payload(s).seq()));
    assertEquals(200, bySeq.size());
    for (Map.Entry<Integer, List<Step<Ping>>> e : bySeq.entrySet()) {
      assertEquals(2, e.getValue().size(), "copies of ping " + e.getKey());
      // Both copies come from the one send.
      assertEquals(e.getValue().get(0).sendStep(), e.getValue().get(1).sendStep());
    }
    assertEquals(0, run.result().messagesDropped());
  }

  @Test
  void noDuplicationMeansNoCopies() {
    Run run = burstRun(5, 200, NetworkModel.reliable().withDuplication(0.0));
    assertEquals(200, run.receives().size());
  }

  @Test
  void reorderingLetsALaterMessageOvertakeAnEarlierOne() {
    NetworkModel net = new NetworkModel(DelayDistribution.uniform(MS, MS), 0, 0, 0.5, 100 * MS);
    Run run = burstRun(8, 100, net);
    List<Integer> seqs = run.receivedSeqs();
    assertEquals(100, seqs.size());
    assertTrue(inversions(seqs) > 0, "no message overtook another: " + seqs);
    // The held-back ones are exactly those that arrived late.
    long late = run.receives().stream().filter(s -> s.trueTimeNanos() == 101 * MS).count();
    long onTime = run.receives().stream().filter(s -> s.trueTimeNanos() == MS).count();
    assertEquals(100, late + onTime);
    assertTrue(late > 20 && onTime > 20, "late=" + late + " onTime=" + onTime);
  }

  @Test
  void fixedDelayWithoutReorderingKeepsEveryLinkFifo() {
    Run burst = burstRun(8, 300, new NetworkModel(DelayDistribution.uniform(MS, MS), 0, 0, 0,
        100 * MS));
    assertEquals(IntStream.range(0, 300).boxed().toList(), burst.receivedSeqs());

    // Many links, messages sent at many different times.
    List<Step<Ping>> steps = new ArrayList<>();
    Simulation.<Ping>builder()
        .seed(21)
        .members(nodes(4))
        .cores(ctx -> new Chatter(ctx, 3 * MS))
        .network(new NetworkModel(DelayDistribution.uniform(2 * MS, 2 * MS), 0, 0, 0, 0))
        .phases(300 * MS, 0)
        .observer(steps::add)
        .build()
        .run();
    Map<String, List<Integer>> perLink = new HashMap<>();
    for (Step<Ping> s : receives(steps)) {
      perLink.computeIfAbsent(payload(s).from() + "->" + s.node(), k -> new ArrayList<>())
          .add(payload(s).seq());
    }
    assertEquals(12, perLink.size());
    perLink.forEach((link, seqs) -> {
      assertTrue(seqs.size() > 20, link + " " + seqs);
      assertEquals(0, inversions(seqs), "link " + link + " not FIFO: " + seqs);
    });
  }

  @Test
  void randomDelayAloneCanReorderALink() {
    NetworkModel net = new NetworkModel(DelayDistribution.uniform(0, 10 * MS), 0, 0, 0, 0);
    Run run = burstRun(8, 100, net);
    assertTrue(inversions(run.receivedSeqs()) > 0);
  }

  @Test
  void fixedDelayMakesEveryMessageArriveExactlyThatMuchLater() {
    List<Step<Ping>> steps = new ArrayList<>();
    Simulation.<Ping>builder()
        .seed(4)
        .members(nodes(3))
        .cores(ctx -> new Chatter(ctx, 7 * MS))
        .network(new NetworkModel(DelayDistribution.uniform(5 * MS, 5 * MS), 0, 0, 0, 0))
        .phases(200 * MS, 50 * MS)
        .observer(steps::add)
        .build()
        .run();
    List<Step<Ping>> receives = receives(steps);
    assertTrue(receives.size() > 50);
    for (Step<Ping> r : receives) {
      Step<Ping> send = steps.get(r.sendStep());
      assertEquals(send.trueTimeNanos() + 5 * MS, r.trueTimeNanos(), r.toString());
    }
  }

  @Test
  void uniformDelayStaysWithinItsBounds() {
    DelayDistribution d = DelayDistribution.uniform(3, 6);
    java.util.SplittableRandom random = new java.util.SplittableRandom(1);
    java.util.Set<Long> seen = new java.util.TreeSet<>();
    for (int i = 0; i < 1000; i++) {
      seen.add(d.sampleNanos(random));
    }
    assertEquals(java.util.Set.of(3L, 4L, 5L, 6L), seen);
  }

  @Test
  void exponentialDelayHasItsMinimumAndIsCutAtTwentyMeans() {
    DelayDistribution d = DelayDistribution.exponential(1000, 500);
    java.util.SplittableRandom random = new java.util.SplittableRandom(2);
    double sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      long x = d.sampleNanos(random);
      assertTrue(x >= 1000 && x <= 1000 + 20 * 500, "delay " + x);
      sum += x - 1000;
    }
    double mean = sum / n;
    assertTrue(mean > 450 && mean < 550, "mean extra " + mean);
    assertEquals(7L, DelayDistribution.exponential(7, 0).sampleNanos(random));
    // The luckiest draw there is (nextDouble just below 1) would be ~37 means: cut at 20.
    java.util.random.RandomGenerator extreme = () -> -1L;
    assertTrue(extreme.nextDouble() > 0.999999);
    assertEquals(1000 + 20 * 500, d.sampleNanos(extreme));
  }

  /** Pairs (i, j), i before j in arrival order, where j was numbered lower than i. */
  private static long inversions(List<Integer> seqs) {
    long count = 0;
    for (int i = 0; i < seqs.size(); i++) {
      for (int j = i + 1; j < seqs.size(); j++) {
        if (seqs.get(j) < seqs.get(i)) {
          count++;
        }
      }
    }
    return count;
  }
}
