package dev.meridian.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.Version;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.util.MessageBatch;

/**
 * JGroups members in this JVM, one {@link JChannel} each, with the stack of {@code
 * jgroups-tcp.xml} (the shipped {@code tcp.xml}, configured fairly: see that file). Every message
 * is multicast to the whole group ({@code send(null, bytes)}), the sender included, and counted
 * on delivery by each member's {@link DeliveryMeter}. Back-pressure is JGroups' own: {@code send}
 * blocks while MFC has no credits.
 */
final class JGroupsGroup implements BenchGroup {
  static final String STACK = "jgroups-tcp.xml";

  private final List<JChannel> channels = new ArrayList<>();
  private final List<DeliveryMeter> meters = new ArrayList<>();
  private final Map<Address, Integer> index = new ConcurrentHashMap<>();
  private final SendFailures failures = new SendFailures();

  private JGroupsGroup() {}

  static String version() {
    return Version.printVersion();
  }

  /** Starts {@code members} channels on free loopback ports and waits until all see all. */
  static JGroupsGroup start(int members, long timeoutNanos) throws Exception {
    String template = template();
    int[] ports = Ports.freeLoopbackPorts(members);
    StringJoiner hosts = new StringJoiner(",");
    for (int p : ports) {
      hosts.add("127.0.0.1[" + p + "]");
    }
    JGroupsGroup g = new JGroupsGroup();
    try {
      for (int i = 0; i < members; i++) {
        g.meters.add(new DeliveryMeter(i, members));
      }
      for (int i = 0; i < members; i++) {
        String xml = template.replace("@BIND_PORT@", Integer.toString(ports[i]))
            .replace("@INITIAL_HOSTS@", hosts.toString());
        JChannel ch = new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        ch.setName("j" + i);
        ch.setDiscardOwnMessages(false);
        DeliveryMeter meter = g.meters.get(i);
        Map<Address, Integer> index = g.index;
        ch.setReceiver(new Receiver() {
          @Override
          public void receive(Message m) {
            meter.delivered(index.get(m.getSrc()), m.getArray(), m.getOffset(), m.getLength());
          }

          @Override
          public void receive(MessageBatch batch) {
            for (Message m : batch) {
              receive(m);
            }
          }
        });
        g.channels.add(ch);
        ch.connect("meridian-bench");
        g.index.put(ch.getAddress(), i);
      }
      long deadline = System.nanoTime() + timeoutNanos;
      for (JChannel ch : g.channels) {
        while (ch.getView() == null || ch.getView().size() < members) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("JGroups members did not form a view of " + members
                + " within " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s: "
                + ch.getView());
          }
          TimeUnit.MILLISECONDS.sleep(10); // polling for the view; a benchmark, not a test
        }
      }
    } catch (Exception | Error e) {
      g.close();
      throw e;
    }
    return g;
  }

  private static String template() {
    try (InputStream in = JGroupsGroup.class.getResourceAsStream(STACK)) {
      if (in == null) {
        throw new IllegalStateException("resource " + STACK + " missing from the bench module");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String name() {
    return "jgroups";
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

  @Override
  public long stateOrderErrors(int member) {
    return 0;
  }

  @Override
  public String stats() {
    long xmitRequests = 0;
    long blockings = 0;
    for (JChannel ch : channels) {
      NAKACK2 nak = ch.getProtocolStack().findProtocol(NAKACK2.class);
      MFC mfc = ch.getProtocolStack().findProtocol(MFC.class);
      if (nak != null) {
        xmitRequests += nak.getXmitRequestsSent();
      }
      if (mfc != null) {
        blockings += mfc.getNumberOfBlockings();
      }
    }
    return "NAKACK2 retransmission requests " + xmitRequests + ", MFC blockings " + blockings;
  }

  @Override
  public void close() {
    for (int i = channels.size() - 1; i >= 0; i--) {
      channels.get(i).close();
    }
  }
}
