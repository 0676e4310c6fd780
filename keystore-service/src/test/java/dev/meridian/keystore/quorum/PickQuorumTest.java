package dev.meridian.keystore.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.quorum.QuorumSystem.Kind;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link QuorumSystem#pickQuorum}: inside what is available, smallest, spread, empty if none. */
class PickQuorumTest {

  private static final long SEED = 0xB1C_0_0_0FL;

  /** Every kind at 9..100 servers, at f = 1 and at its largest valid f. */
  private static List<QuorumSystem> systems() {
    List<QuorumSystem> systems = new ArrayList<>();
    for (int n : new int[] {9, 16, 25, 49, 100}) {
      for (Kind kind : Kind.values()) {
        systems.add(QuorumSystems.of(kind, n, 1));
        systems.add(QuorumSystems.of(kind, n, QuorumSystems.largestF(kind, n)));
      }
    }
    return systems;
  }

  @Test
  void picksASmallestQuorumInsideAvailableOrNothing() {
    Random random = new Random(SEED);
    for (QuorumSystem system : systems()) {
      int n = system.n();
      int picked = 0;
      for (int trial = 0; trial < 400; trial++) {
        BitSet available = new BitSet(n);
        int down = random.nextInt(n / 3 + 2);
        available.set(0, n);
        for (int i = 0; i < down; i++) {
          available.clear(random.nextInt(n));
        }
        int rotation = random.nextInt();
        BitSet before = (BitSet) available.clone();
        Optional<BitSet> quorum = system.pickQuorum(available, rotation);
        String where =
            "seed="
                + SEED
                + " trial="
                + trial
                + " "
                + system.describe()
                + " available="
                + available
                + " rotation="
                + rotation;
        assertEquals(before, available, where + ": argument modified");
        assertEquals(system.containsQuorum(available), quorum.isPresent(), where);
        if (quorum.isPresent()) {
          picked++;
          BitSet outside = (BitSet) quorum.get().clone();
          outside.andNot(available);
          assertTrue(outside.isEmpty(), where + ": picked " + quorum.get());
          assertTrue(system.containsQuorum(quorum.get()), where + ": picked " + quorum.get());
          assertEquals(system.quorumSize(), quorum.get().cardinality(), where);
          assertEquals(
              quorum, system.pickQuorum(available, rotation), where + ": not deterministic");
        }
      }
      assertTrue(picked > 0, system.describe() + ": the trials never had a quorum");
    }
  }

  @Test
  void emptyWhenAvailableHoldsNoQuorum() {
    for (QuorumSystem system : systems()) {
      int n = system.n();
      assertEquals(Optional.empty(), system.pickQuorum(new BitSet(), 0), system.describe());
      // A diagonal down kills every column of a grid; n - q + 1 down starves a threshold system.
      BitSet available = new BitSet(n);
      available.set(0, n);
      if (system.kind() == Kind.THRESHOLD) {
        available.clear(0, n - system.quorumSize() + 1);
      } else {
        int side = (int) Math.round(Math.sqrt(n));
        for (int i = 0; i < side; i++) {
          available.clear(i * side + i);
        }
      }
      assertFalse(system.containsQuorum(available), system.describe());
      assertEquals(Optional.empty(), system.pickQuorum(available, 7), system.describe());
    }
  }

  /**
   * With everything available, over a cycle of rotations each server is used exactly as often as
   * the load says, and consecutive rotations give different quorums.
   */
  @Test
  void spreadsLoadOverRotations() {
    for (QuorumSystem system : systems()) {
      int n = system.n();
      BitSet all = new BitSet(n);
      all.set(0, n);
      int side = (int) Math.round(Math.sqrt(n));
      int cycle = system.kind() == Kind.THRESHOLD ? n : side * side;
      int[] uses = new int[n];
      Set<BitSet> distinct = new HashSet<>();
      for (int rotation = 0; rotation < cycle; rotation++) {
        BitSet quorum = system.pickQuorum(all, rotation).orElseThrow();
        distinct.add(quorum);
        quorum.stream().forEach(server -> uses[server]++);
      }
      for (int server = 0; server < n; server++) {
        assertEquals(
            system.load(),
            (double) uses[server] / cycle,
            1e-9,
            system.describe() + " server " + server);
      }
      assertTrue(distinct.size() >= Math.min(cycle, 2), system.describe());
    }
  }

  /**
   * With some servers down, the candidates still take turns: over a cycle of rotations (from any
   * start) every full row and column of a grid's available servers is chosen equally often, and
   * every available server of a threshold system is used equally often. (Not "no server above q/n":
   * with f servers down a grid may have a single quorum left, which then takes all.)
   */
  @Test
  void spreadsLoadOverWhatIsAvailable() {
    Random random = new Random(SEED + 1);
    for (QuorumSystem system : systems()) {
      int n = system.n();
      for (int trial = 0; trial < 20; trial++) {
        BitSet available = new BitSet(n);
        available.set(0, n);
        for (int i = 0; i < system.f(); i++) {
          available.clear(random.nextInt(n));
        }
        int start = random.nextInt();
        String where =
            "seed="
                + (SEED + 1)
                + " trial="
                + trial
                + " "
                + system.describe()
                + " available="
                + available
                + " start="
                + start;
        if (system instanceof GridQuorumSystem grid) {
          int rows = grid.fullRows(available).cardinality();
          int cols = grid.fullColumns(available).cardinality();
          int cycle = rows * cols;
          int[] rowUses = new int[grid.side()];
          int[] colUses = new int[grid.side()];
          for (int k = 0; k < cycle; k++) {
            BitSet quorum = system.pickQuorum(available, start + k).orElseThrow();
            grid.fullRows(quorum).stream().forEach(row -> rowUses[row]++);
            grid.fullColumns(quorum).stream().forEach(col -> colUses[col]++);
          }
          for (int line = 0; line < grid.side(); line++) {
            int row = line;
            int col = line;
            int rowExpected = grid.fullRows(available).get(row) ? grid.rowsNeeded() * cols : 0;
            int colExpected = grid.fullColumns(available).get(col) ? grid.colsNeeded() * rows : 0;
            assertEquals(rowExpected, rowUses[row], () -> where + " row " + row);
            assertEquals(colExpected, colUses[col], () -> where + " column " + col);
          }
        } else {
          int members = available.cardinality();
          int[] uses = new int[n];
          for (int k = 0; k < members; k++) {
            system.pickQuorum(available, start + k).orElseThrow().stream().forEach(x -> uses[x]++);
          }
          for (int server = 0; server < n; server++) {
            int expected = available.get(server) ? system.quorumSize() : 0;
            int at = server;
            assertEquals(expected, uses[server], () -> where + " server " + at);
          }
        }
      }
    }
  }

  @Test
  void anyRotationIsFineIncludingNegativeAndTheWrap() {
    for (QuorumSystem system : systems()) {
      BitSet all = new BitSet(system.n());
      all.set(0, system.n());
      for (int rotation : new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}) {
        BitSet quorum = system.pickQuorum(all, rotation).orElseThrow();
        assertTrue(system.containsQuorum(quorum), system.describe() + " rotation " + rotation);
      }
    }
  }

  @Test
  void rejectsIndexesOutOfRange() {
    for (QuorumSystem system : systems()) {
      BitSet wrong = new BitSet();
      wrong.set(system.n());
      assertThrows(IllegalArgumentException.class, () -> system.pickQuorum(wrong, 0));
      assertThrows(NullPointerException.class, () -> system.pickQuorum(null, 0));
    }
  }
}
