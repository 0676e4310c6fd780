package dev.meridian.process;

import dev.meridian.NodeId;
import dev.meridian.membership.MembershipListener;
import dev.meridian.membership.ViewChange;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import dev.meridian.replica.GroupMemberBuilder;
import dev.meridian.replica.StateMachine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One group member in its own JVM, for {@link RealProcessMembershipTest}: it applies a log of
 * strings in total order and submits its own ops under load, printing on stdout {@code VIEW <id>
 * <members>} for each view and {@code ACK <op>} for each op applied here (what a client would be
 * told). Commands on stdin: {@code STOP} (stop the load and wait for what is in flight), {@code
 * DUMP <file>} (write the log, one op per line), {@code EXIT}.
 *
 * <p>Arguments: {@code INDEX PORT...} (one port per member, this one's at INDEX). It exits by
 * itself when its parent dies or after two minutes.
 */
public final class GroupProcessMain {
  private GroupProcessMain() {}

  /** A replicated log of strings: order-sensitive; applying returns the entry's position. */
  public static final class Log implements StateMachine<List<String>, String, Integer> {
    @Override
    public List<String> initialState() {
      return new ArrayList<>();
    }

    @Override
    public Integer apply(List<String> state, String op, NodeId origin) {
      state.add(op);
      return state.size() - 1;
    }

    @Override
    public Codec<String> opCodec() {
      return Codec.utf8();
    }

    @Override
    public Codec<List<String>> stateCodec() {
      return new Codec<>() {
        @Override
        public byte[] encode(List<String> value) {
          return String.join("\n", value).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public List<String> decode(byte[] bytes) {
          return bytes.length == 0 ? new ArrayList<>() : new ArrayList<>(Arrays.asList(
              new String(bytes, StandardCharsets.UTF_8).split("\n", -1)));
        }
      };
    }
  }

  public static void main(String[] args) throws Exception {
    int index = Integer.parseInt(args[0]);
    int members = args.length - 1;
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Thread watchdog = new Thread(() -> {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (System.nanoTime() < deadline
          && ProcessHandle.current().parent().map(ProcessHandle::isAlive).orElse(false)) {
        sleep(200);
      }
      Runtime.getRuntime().halt(3);
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    GroupMemberBuilder b = GroupMember.builder().nodeId(NodeId.of("p" + index))
        .listen("127.0.0.1:" + args[1 + index])
        .heartbeatInterval(Duration.ofMillis(100)).suspectAfter(Duration.ofMillis(1000))
        .listener(new MembershipListener() {
          @Override
          public void viewInstalled(ViewChange change) {
            out.println("VIEW " + change.view().id() + " " + change.view().members());
          }
        });
    for (int i = 0; i < members; i++) {
      if (i != index) {
        b.peer(NodeId.of("p" + i), "127.0.0.1:" + args[1 + i]);
      }
    }
    GroupMember<List<String>, String, Integer> member = b.stateMachine(new Log()).start();
    AtomicBoolean loading = new AtomicBoolean(true);
    Semaphore inFlight = new Semaphore(16);
    Thread load = new Thread(() -> {
      for (long k = 0; loading.get(); k++) {
        String op = "p" + index + "-" + k;
        inFlight.acquireUninterruptibly();
        member.submit(op).whenComplete((position, failure) -> {
          if (failure == null) {
            out.println("ACK " + op);
          }
          inFlight.release();
        });
        if (k % 16 == 15) {
          sleep(5); // a steady load, not a flood: five JVMs share two cores
        }
      }
    }, "load");
    load.start();

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("STOP")) {
        loading.set(false);
        load.join();
        inFlight.acquire(16); // everything in flight has completed
        out.println("STOPPED");
      } else if (line.startsWith("DUMP ")) {
        List<String> log = member.read(List::copyOf);
        Files.write(Path.of(line.substring(5)), log, StandardCharsets.UTF_8);
        out.println("DUMPED " + log.size());
      } else if (line.equals("EXIT")) {
        break;
      }
    }
    member.close();
    out.println("EXITED");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
