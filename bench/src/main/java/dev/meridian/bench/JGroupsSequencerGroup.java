package dev.meridian.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.util.MessageBatch;

/**
 * JGroups with total order: members in this JVM, one {@link JChannel} each, with the stack of
 * {@link JGroupsGroup} ({@code jgroups-tcp.xml}: the shipped {@code tcp.xml} configured fairly,
 * bundler capacity 64k included) plus JGroups' SEQUENCER. SEQUENCER sits where JGroups' own
 * shipped {@code sequencer.xml} puts it: above GMS and the flow-control protocols (MFC, UFC), just
 * below fragmentation (FRAG4 here, FRAG2 there). That file notes it may instead sit just under
 * GMS when views, too, must be totally ordered; that is not needed here, as no view changes while
 * measuring. SEQUENCER makes the coordinator the sequencer: every other member forwards each
 * multicast to it (a unicast, under UFC), and it multicasts the message on the sender's behalf
 * (under MFC), so every member delivers everything in the coordinator's order.
 *
 * <p><b>Throughput</b> ({@link #measure}): every member sends 64-byte messages ({@link
 * DeliveryMeter#payload}, the same as {@link CausalBench} sends) as fast as JGroups lets it: one
 * thread per member calls {@code send(null, payload)}, which blocks while flow control has no
 * credits. First a warm-up at full load, unmeasured, until the JIT has settled (at least the
 * warm-up time given, then until two consecutive one-second slices spent under 5 % of their time
 * compiling with no C2 compilation running or queued, at most a given bound); then a measured
 * window in which each member's deliveries (its own messages included, as JGroups and {@link
 * CausalBench} count them) are counted. Reported: deliveries per second at each member and their
 * mean.
 *
 * <p><b>Correctness</b>: after the senders stop, every member must deliver every message sent,
 * each origin's in the order sent ({@link DeliveryMeter}), and all members in one and the same
 * order: each member folds the sequence of (origin, number) it delivers into an order-sensitive
 * 64-bit hash; the hashes and counts must be equal at every member. The check covers every
 * message of the run, warm-up included.
 *
 * <p>It is also a {@link BenchGroup}, so {@link CausalBench}'s runner can drive it like {@link
 * JGroupsGroup}.
 */
final class JGroupsSequencerGroup implements BenchGroup {
  static final int MEMBERS = 3;
  static final String CLUSTER = "meridian-bench-sequencer";
  /** A warm-up slice counts as settled when compiling took less than this share of it. */
  static final double JIT_SETTLED_SHARE = 0.05;
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

  private final List<JChannel> channels = new ArrayList<>();
  private final List<DeliveryMeter> meters = new ArrayList<>();
  private final List<OrderDigest> digests = new ArrayList<>();
  private final Map<Address, Integer> index = new ConcurrentHashMap<>();
  private final SendFailures failures = new SendFailures();
  private String stackNames = "";

  private JGroupsSequencerGroup() {}

  /** The stack of member {@code self}: {@code jgroups-tcp.xml} plus SEQUENCER above UFC. */
  static JGroupsStacks.Stack stack(int self, int[] ports) {
    JGroupsStacks.Stack s = JGroupsStacks.tcp(self, ports);
    // jgroups-tcp.xml has GMS MFC UFC FRAG4 at the top; sequencer.xml has GMS UFC MFC SEQUENCER
    // FRAG2: SEQUENCER goes above both flow-control protocols and below fragmentation.
    return s.insertAbove("UFC", "SEQUENCER");
  }

  /** Starts {@code members} channels on free loopback ports; returns once all see all. */
  static JGroupsSequencerGroup start(int members, Duration timeout) throws Exception {
    int[] ports = Ports.freeLoopbackPorts(members);
    JGroupsSequencerGroup g = new JGroupsSequencerGroup();
    try {
      for (int i = 0; i < members; i++) {
        g.meters.add(new DeliveryMeter(i, members));
        g.digests.add(new OrderDigest());
      }
      for (int i = 0; i < members; i++) {
        JGroupsStacks.Stack stack = stack(i, ports);
        g.stackNames = stack.names();
        JChannel ch = new JChannel(stack);
        ch.setName("s" + i);
        ch.setDiscardOwnMessages(false);
        ch.setReceiver(g.receiver(i));
        g.channels.add(ch);
        // one after the other: member 0 is the coordinator, i.e. the sequencer
        ch.connect(CLUSTER);
        g.index.put(ch.getAddress(), i);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      for (JChannel ch : g.channels) {
        while (ch.getView() == null || ch.getView().size() < members) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("JGroups+SEQUENCER members did not form a view of "
                + members + " within " + timeout.toSeconds() + " s: " + ch.getView());
          }
          TimeUnit.MILLISECONDS.sleep(10);
        }
      }
    } catch (Exception | Error e) {
      g.close();
      throw e;
    }
    return g;
  }

  private Receiver receiver(int member) {
    DeliveryMeter meter = meters.get(member);
    OrderDigest digest = digests.get(member);
    return new Receiver() {
      @Override
      public void receive(Message m) {
        Integer origin = index.get(m.getSrc());
        if (origin == null) { // not one of ours: cannot happen on 127.0.0.1 with fresh ports
          digest.foreign.incrementAndGet();
          return;
        }
        byte[] b = m.getArray();
        int at = m.getOffset();
        meter.delivered(origin, b, at, m.getLength());
        digest.add(origin, m.getLength() >= 16 ? DeliveryMeter.getLong(b, at + 8) : -1);
      }

      @Override
      public void receive(MessageBatch batch) {
        for (Message m : batch) {
          receive(m);
        }
      }
    };
  }

  /**
   * The sequence of (origin, number) one member delivered, folded into an order-sensitive hash.
   * Written by one delivering thread at a time (the coordinator's stream is delivered
   * sequentially); read once delivery has stopped.
   */
  static final class OrderDigest {
    private long hash = 0x6a09e667f3bcc909L;
    private final AtomicLong count = new AtomicLong();
    final AtomicLong foreign = new AtomicLong();

    void add(int origin, long seq) {
      long x = ((long) origin << 56) ^ seq;
      x *= 0x9E3779B97F4A7C15L; // spread the bits, then fold in by position
      hash = (hash ^ (x ^ (x >>> 31))) * 0xBF58476D1CE4E5B9L;
      count.lazySet(count.get() + 1); // publishes hash with it
    }

    long count() {
      return count.get();
    }

    long hash() {
      count.get(); // acquire what the writer published
      return hash;
    }
  }

  // ---------------------------------------------------------------- throughput

  /**
   * The outcome of {@link #measure}: deliveries per second at each member in the measured
   * window, their mean, and the check of FIFO and total order after the senders stopped.
   */
  record Throughput(double meanPerMember, double[] perMember, double seconds,
      double warmupSeconds, boolean jitSettled, boolean ok, String check, String cpu,
      String stats) {
    @Override
    public String toString() {
      StringBuilder per = new StringBuilder();
      for (double v : perMember) {
        per.append(per.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", v));
      }
      return String.format(Locale.ROOT, "%,.0f msgs/s per member (mean; members: %s) over %.1f s"
          + " after %.1f s of warm-up%s; %s; %s; %s", meanPerMember, per, seconds, warmupSeconds,
          jitSettled ? " (JIT settled)" : " (JIT NOT settled)", cpu, check, stats);
    }
  }

  /**
   * Warms up, then measures delivered messages per second with every member sending (see the
   * class comment). Call once per group.
   *
   * @param minWarmup warm-up at full load lasts at least this long
   * @param maxWarmup and at most this long, JIT settled or not
   * @param window the measured window
   */
  Throughput measure(Duration minWarmup, Duration maxWarmup, Duration window)
      throws InterruptedException {
    form();
    Senders senders = new Senders();
    senders.start();
    try {
      long begin = System.nanoTime();
      long minEnd = begin + minWarmup.toNanos();
      long maxEnd = begin + maxWarmup.toNanos();
      int quiet = 0;
      long jit = jitMillis();
      while (System.nanoTime() - maxEnd < 0 && (System.nanoTime() - minEnd < 0 || quiet < 2)) {
        long sliceStart = System.nanoTime();
        TimeUnit.SECONDS.sleep(1);
        long jitNow = jitMillis();
        double share = (jitNow - jit) * 1e6 / (System.nanoTime() - sliceStart);
        jit = jitNow;
        quiet = share < JIT_SETTLED_SHARE && JitActivity.c2Pending() <= 0 ? quiet + 1 : 0;
      }
      double warmupSeconds = (System.nanoTime() - begin) / 1e9;

      CpuSample c0 = CpuSample.take();
      long t0 = System.nanoTime();
      long[] d0 = delivered();
      TimeUnit.NANOSECONDS.sleep(window.toNanos());
      long t1 = System.nanoTime();
      long[] d1 = delivered();
      CpuSample c1 = CpuSample.take();
      senders.stop();

      double seconds = (t1 - t0) / 1e9;
      double[] rates = new double[MEMBERS];
      double sum = 0;
      for (int i = 0; i < MEMBERS; i++) {
        rates[i] = (d1[i] - d0[i]) / seconds;
        sum += rates[i];
      }
      String check = check(senders.sent());
      return new Throughput(sum / MEMBERS, rates, seconds, warmupSeconds, quiet >= 2,
          check.startsWith("ok"), check, c0.describeUntil(c1), stats());
    } finally {
      senders.stop();
    }
  }

  private static long jitMillis() {
    return ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
  }

  private long[] delivered() {
    long[] d = new long[size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = meters.get(i).delivered();
    }
    return d;
  }

  /** Each member sends message 1; returns once every member delivered all of them. */
  private void form() throws InterruptedException {
    for (int i = 0; i < size(); i++) {
      send(i, DeliveryMeter.payload(1));
    }
    String late = awaitDelivered(filled(1), SETTLE_TIMEOUT, "the first message of each member");
    if (late != null) {
      throw new IllegalStateException(late);
    }
  }

  private static long[] filled(long value) {
    long[] a = new long[MEMBERS];
    Arrays.fill(a, value);
    return a;
  }

  /**
   * Waits until every member delivered {@code sent[j]} messages of every origin j; returns null,
   * or what was missing at the timeout.
   */
  private String awaitDelivered(long[] sent, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < size(); i++) {
      for (int j = 0; j < size(); j++) {
        while (meters.get(i).deliveredFrom(j) < sent[j]) {
          if (System.nanoTime() - deadline > 0) {
            return "NOT CONVERGED: member " + i + " delivered " + meters.get(i).deliveredFrom(j)
                + " of the " + sent[j] + " messages of member " + j + " within "
                + timeout.toSeconds() + " s (" + what + ")";
          }
          TimeUnit.MILLISECONDS.sleep(5);
        }
      }
    }
    return null;
  }

  /**
   * After the senders stopped: every member delivered everything, each origin in order, all in
   * one order. Returns "ok: ..." or what is wrong.
   */
  private String check(long[] sent) throws InterruptedException {
    String late = awaitDelivered(sent, SETTLE_TIMEOUT, "after the senders stopped");
    if (late != null) {
      return late;
    }
    long total = Arrays.stream(sent).sum();
    for (int i = 0; i < size(); i++) {
      DeliveryMeter m = meters.get(i);
      OrderDigest d = digests.get(i);
      if (m.delivered() != total || d.count() != total) {
        return "WRONG COUNT: member " + i + " delivered " + m.delivered() + " (digest "
            + d.count() + ") of " + total + " messages sent";
      }
      if (m.orderErrors() != 0 || d.foreign.get() != 0) {
        return "WRONG: member " + i + " saw " + m.orderErrors() + " messages out of FIFO order"
            + " and " + d.foreign.get() + " from unknown senders";
      }
    }
    long hash0 = digests.get(0).hash();
    for (int i = 1; i < size(); i++) {
      if (digests.get(i).hash() != hash0) {
        return String.format(Locale.ROOT, "NOT TOTALLY ORDERED: member %d's delivery order"
            + " (hash %016x) differs from member 0's (%016x) over all %,d messages", i,
            digests.get(i).hash(), hash0, total);
      }
    }
    if (failures.total() != 0) {
      return "WRONG: " + failures.summary() + " sends failed";
    }
    return String.format(Locale.ROOT, "ok: every member delivered all %,d messages, each"
        + " origin's in order, all members in the same order (hash %016x)", total, hash0);
  }

  /** One thread per member, sending messages 2, 3, 4, ... as fast as flow control allows. */
  private final class Senders {
    private final AtomicLong[] sent = new AtomicLong[MEMBERS];
    private final Thread[] threads = new Thread[MEMBERS];
    private volatile boolean stop;

    Senders() {
      for (int i = 0; i < MEMBERS; i++) {
        int member = i;
        sent[i] = new AtomicLong(1); // message 1 was sent by form()
        threads[i] = new Thread(() -> loop(member), "bench-sender-sequencer-" + i);
        threads[i].setDaemon(true);
      }
    }

    void start() {
      for (Thread t : threads) {
        t.start();
      }
    }

    private void loop(int member) {
      AtomicLong count = sent[member];
      try {
        while (!stop) {
          send(member, DeliveryMeter.payload(count.get() + 1));
          count.incrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    long[] sent() {
      long[] s = new long[MEMBERS];
      for (int i = 0; i < MEMBERS; i++) {
        s[i] = sent[i].get();
      }
      return s;
    }

    void stop() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(10));
        if (t.isAlive()) {
          t.interrupt(); // stuck in flow control: the check will say so
          t.join(TimeUnit.SECONDS.toMillis(5));
        }
      }
    }
  }

  // ---------------------------------------------------------------- BenchGroup

  /** Protocol names of the stack, transport first. */
  String stackNames() {
    return stackNames;
  }

  @Override
  public String name() {
    return "jgroups-sequencer";
  }

  @Override
  public int size() {
    return channels.size();
  }

  @Override
  public DeliveryMeter meter(int member) {
    return meters.get(member);
  }

  @Override
  public void send(int member, byte[] payload) throws InterruptedException {
    try {
      channels.get(member).send(null, payload);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      failures.record(e);
    }
  }

  @Override
  public boolean awaitSendsSettled(long timeoutNanos) {
    return true; // send() returns once the message is handed to the stack
  }

  @Override
  public long failures() {
    return failures.total();
  }

  @Override
  public String failureSummary() {
    return failures.summary();
  }

  @Override
  public long[] appliedPerOrigin(int member) {
    long[] counts = new long[channels.size()];
    for (int j = 0; j < counts.length; j++) {
      counts[j] = meters.get(member).deliveredFrom(j);
    }
    return counts;
  }

  /**
   * Members whose delivery order so far differs from member 0's: compared over the whole
   * sequence, so meaningful only once every member delivered everything.
   */
  @Override
  public long stateOrderErrors(int member) {
    if (digests.get(member).count() != digests.get(0).count()) {
      return 0; // not comparable yet
    }
    return digests.get(member).hash() == digests.get(0).hash() ? 0 : 1;
  }

  @Override
  public String stats() {
    long xmitRequests = 0;
    long mfcBlockings = 0;
    long ufcBlockings = 0;
    long forwardsReceived = 0;
    long broadcast = 0;
    for (JChannel ch : channels) {
      NAKACK2 nak = ch.getProtocolStack().findProtocol(NAKACK2.class);
      MFC mfc = ch.getProtocolStack().findProtocol(MFC.class);
      UFC ufc = ch.getProtocolStack().findProtocol(UFC.class);
      xmitRequests += nak != null ? nak.getXmitRequestsSent() : 0;
      mfcBlockings += mfc != null ? mfc.getNumberOfBlockings() : 0;
      ufcBlockings += ufc != null ? ufc.getNumberOfBlockings() : 0;
      // SEQUENCER has no getters for these; they are JMX attributes
      Map<String, Object> seq = ch.dumpStats("SEQUENCER").getOrDefault("SEQUENCER", Map.of());
      forwardsReceived += asLong(seq.get("received_forwards"));
      broadcast += asLong(seq.get("bcast_msgs"));
    }
    return "SEQUENCER: " + forwardsReceived + " forwards received and " + broadcast
        + " broadcasts sent by the coordinator"
        + "; NAKACK2 retransmission requests " + xmitRequests + "; MFC blockings " + mfcBlockings
        + ", UFC blockings " + ufcBlockings;
  }

  private static long asLong(Object value) {
    try {
      return value == null ? 0 : Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    for (int i = channels.size() - 1; i >= 0; i--) {
      channels.get(i).close();
    }
  }
}
