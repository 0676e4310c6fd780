package dev.meridian.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import dev.meridian.testing.LoopbackPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five members in five JVMs on 127.0.0.1 under load; two are SIGKILLed — the coordinator (the
 * total-order sequencer) among them. The three survivors must install the same new view, keep
 * every op any member acknowledged (the killed ones included), and end with identical logs.
 */
class RealProcessMembershipTest {
  private static final int MEMBERS = 5;

  /** A member process and every stdout line it printed. */
  private record Member(int index, Process process, List<String> lines, Writer stdin) {
    void send(String command) throws IOException {
      stdin.write(command + "\n");
      stdin.flush();
    }

    boolean printed(Predicate<String> line) {
      return lines.stream().anyMatch(line);
    }

    String lastView() {
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith("VIEW ")) {
          return lines.get(i);
        }
      }
      return null;
    }

    Set<String> acked() {
      Set<String> acked = new HashSet<>();
      for (String l : lines) {
        if (l.startsWith("ACK ")) {
          acked.add(l.substring(4));
        }
      }
      return acked;
    }
  }

  @Test
  @Timeout(180)
  void survivorsOfTwoKillsInstallOneViewKeepEveryAcknowledgedOpAndConverge(@TempDir Path dir)
      throws Exception {
    int[] ports = LoopbackPorts.free(MEMBERS);
    List<Member> members = new ArrayList<>();
    try {
      for (int i = 0; i < MEMBERS; i++) {
        members.add(start(i, ports));
      }
      await(() -> {
        Set<String> views = new HashSet<>();
        for (Member m : members) {
          String v = m.lastView();
          if (v == null || v.split(",").length != MEMBERS) {
            return false;
          }
          views.add(v);
        }
        return views.size() == 1;
      }, 90, "one view of all five", members);
      await(() -> members.stream().allMatch(m -> m.acked().size() > 200), 60,
          "load acknowledged at every member", members);

      Member p0 = members.get(0); // the oldest: coordinator and sequencer
      Member p2 = members.get(2);
      p0.process().destroyForcibly(); // SIGKILL
      p2.process().destroyForcibly();
      List<Member> survivors = List.of(members.get(1), members.get(3), members.get(4));
      await(() -> {
        Set<String> views = new HashSet<>();
        for (Member m : survivors) {
          String v = m.lastView();
          if (v == null || !members(v).equals(Set.of("p1", "p3", "p4"))) {
            return false;
          }
          views.add(v);
        }
        return views.size() == 1;
      }, 60, "the survivors' view without p0 and p2", survivors);
      int ackedAtViewChange = survivors.get(0).acked().size();
      await(() -> survivors.get(0).acked().size() > ackedAtViewChange + 100, 30,
          "load acknowledged in the new view", survivors);

      for (Member m : survivors) {
        m.send("STOP");
      }
      await(() -> survivors.stream().allMatch(m -> m.printed("STOPPED"::equals)), 30,
          "the load stopped", survivors);
      // Survivors may still be applying each other's last ops: dump until the logs agree.
      List<List<String>> logs = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int round = 0; ; round++) {
        logs.clear();
        for (Member m : survivors) {
          Path file = dir.resolve("log-" + m.index() + "-" + round);
          m.send("DUMP " + file);
          await(() -> Files.exists(file) && m.printed(l -> l.startsWith("DUMPED")), 30,
              "a dump", survivors);
          logs.add(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
        if (logs.get(0).equals(logs.get(1)) && logs.get(1).equals(logs.get(2))
            || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(logs.get(0), logs.get(1), "p1 and p3 converge to one total order");
      assertEquals(logs.get(1), logs.get(2), "p3 and p4 converge to one total order");
      Set<String> log = new HashSet<>(logs.get(0));
      assertEquals(logs.get(0).size(), log.size(), "no op applied twice");
      for (Member m : survivors) {
        Set<String> missing = new HashSet<>(m.acked());
        missing.removeAll(log);
        assertEquals(Set.of(), missing, "ops acknowledged by p" + m.index() + " but lost");
        assertTrue(m.acked().size() > 100, "p" + m.index() + " acknowledged its ops");
      }
      // Even what the killed members acknowledged survives: a submit completes only once every
      // member of the view holds it (see GroupMember).
      for (Member victim : List.of(p0, p2)) {
        Set<String> lost = new HashSet<>(victim.acked());
        lost.removeAll(log);
        assertEquals(Set.of(), lost, "ops acknowledged by p" + victim.index()
            + " before its SIGKILL but lost");
      }
      for (Member m : survivors) {
        m.send("EXIT");
      }
    } finally {
      for (Member m : members) {
        m.process().destroyForcibly();
      }
      for (Member m : members) {
        m.process().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The members of a {@code VIEW <id> [a, b]} line (age order differs after rejoins). */
  private static Set<String> members(String viewLine) {
    String list = viewLine.substring(viewLine.indexOf('[') + 1, viewLine.lastIndexOf(']'));
    return Set.of(list.split(", "));
  }

  private static Member start(int index, int[] ports) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        GroupProcessMain.class.getName(), Integer.toString(index)));
    for (int p : ports) {
      command.add(Integer.toString(p));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "p" + index + "-stdout");
    reader.setDaemon(true);
    reader.start();
    return new Member(index, process, lines,
        new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(Condition condition, int seconds, String what, List<Member> members)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        StringBuilder state = new StringBuilder();
        for (Member m : members) {
          state.append("\n  p").append(m.index()).append(": alive=").append(m.process().isAlive())
              .append(", last view ").append(m.lastView()).append(", ").append(m.acked().size())
              .append(" acks; non-ACK output: ").append(m.lines().stream()
                  .filter(l -> !l.startsWith("ACK ")).limit(20).toList());
        }
        assertTrue(false, "timed out after " + seconds + " s waiting for " + what + state);
      }
      Thread.sleep(50);
    }
  }
}
