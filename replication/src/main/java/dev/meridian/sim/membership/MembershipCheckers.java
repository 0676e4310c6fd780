package dev.meridian.sim.membership;

import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.core.membership.MembershipCore;
import dev.meridian.membership.View;
import dev.meridian.sim.Checker;
import dev.meridian.sim.Execution;
import dev.meridian.sim.Step;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Properties of group membership, judged from what each member installed and delivered (its
 * {@link MembershipCore.Installed} and {@link MembershipCore.Delivered} outputs).
 */
public final class MembershipCheckers {
  private MembershipCheckers() {}

  private static String who(Step<?> step) {
    return step.node() + "#" + step.incarnation();
  }

  /**
   * Per view, what the first member to move on from it had seen there; every later member that
   * moves on from the same view must have seen the same.
   */
  private static final class FirstToMoveOn<T> {
    private final Map<Long, T> seen = new HashMap<>();
    private final Map<Long, String> by = new HashMap<>();

    /** Records {@code mine}; returns who saw something else in {@code view} first, or null. */
    String disagreeing(long view, String me, T mine) {
      T first = seen.putIfAbsent(view, mine);
      by.putIfAbsent(view, me);
      return first != null && !first.equals(mine) ? by.get(view) : null;
    }

    T first(long view) {
      return seen.get(view);
    }
  }

  /**
   * Replicated state, state transfer included: members that move from view v to v+1 hold the
   * same state at the boundary — what they applied in all views so far, or what a transfer gave
   * a joiner, plus what it applied since. Judged from {@link DigestState}'s results: each
   * delivery returns the member's whole state digest.
   */
  public static Checker<LinkFrame<MemberWire>> replicatedState() {
    return new Checker<>() {
      private final Map<String, DigestState.Digest> current = new HashMap<>(); // null: unknown
      private final Map<String, Long> currentView = new HashMap<>();
      private final FirstToMoveOn<DigestState.Digest> agreed = new FirstToMoveOn<>();

      @Override
      public String name() {
        return "replicated-state";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        String me = who(step);
        if (step.event() instanceof dev.meridian.core.Event.Start<LinkFrame<MemberWire>>) {
          current.put(me, DigestState.Digest.INITIAL); // a founder's start; a joiner's is replaced
        }
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Delivered d && d.result() instanceof DigestState.Digest g) {
            current.put(me, g);
          } else if (o instanceof MembershipCore.StateRestored) {
            current.put(me, null); // known again after its next delivery
          } else if (o instanceof MembershipCore.Installed i) {
            Long previous = currentView.get(me);
            DigestState.Digest mine = current.get(me);
            if (i.joined().contains(step.node())) {
              current.put(me, null); // its state comes by transfer
            } else if (previous != null && previous == i.view().id() - 1 && mine != null) {
              String other = agreed.disagreeing(previous, me, mine);
              if (other != null) {
                return Optional.of(me + " and " + other + " both moved from view " + previous
                    + " to " + i.view().id() + " with different states: " + mine + " here, "
                    + agreed.first(previous) + " there");
              }
            }
            currentView.put(me, i.view().id());
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Acknowledged operations survive: a message whose submit was reported done (at any member,
   * even one that crashed right after) is delivered in its view by every member that moves on
   * from that view. The workload's submit tokens are {@code workload-<n>} with n in the payload.
   */
  public static Checker<LinkFrame<MemberWire>> acknowledgedSurvive() {
    return new Checker<>() {
      private final Map<String, Map<Long, MemberWire.App>> ownByNumber = new HashMap<>();
      private final Map<Long, Set<MemberWire.App>> acked = new HashMap<>(); // by view
      private final Map<String, Long> currentView = new HashMap<>();
      private final Map<String, Set<MemberWire.App>> deliveredInView = new HashMap<>();
      // per view, what each member that moved on from it had delivered there
      private final Map<Long, Map<String, Set<MemberWire.App>>> movedOn = new HashMap<>();

      @Override
      public String name() {
        return "acknowledged-survive";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        String me = who(step);
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Delivered d) {
            deliveredInView.computeIfAbsent(me, k -> new LinkedHashSet<>()).add(d.app());
            if (d.app().sender().equals(step.node()) && d.app().payload().length == 8) {
              long n = java.nio.ByteBuffer.wrap(d.app().payload()).getLong();
              ownByNumber.computeIfAbsent(me, k -> new HashMap<>()).put(n, d.app());
            }
          } else if (o instanceof MembershipCore.SubmitDone done
              && done.token() instanceof String t && t.startsWith("workload-")) {
            long n = Long.parseLong(t.substring("workload-".length()));
            MemberWire.App app = ownByNumber.getOrDefault(me, Map.of()).get(n);
            if (app == null) {
              return Optional.of(me + " reported " + t + " done without applying it");
            }
            acked.computeIfAbsent(app.viewId(), k -> new LinkedHashSet<>()).add(app);
            for (Map.Entry<String, Set<MemberWire.App>> m
                : movedOn.getOrDefault(app.viewId(), Map.of()).entrySet()) {
              if (!m.getValue().contains(app)) {
                return Optional.of(me + " reported " + app + " done, but " + m.getKey()
                    + " had already moved on from view " + app.viewId() + " without it");
              }
            }
          } else if (o instanceof MembershipCore.Installed i) {
            Long previous = currentView.get(me);
            Set<MemberWire.App> mine = deliveredInView.getOrDefault(me, Set.of());
            if (previous != null && previous == i.view().id() - 1
                && !i.joined().contains(step.node())) {
              for (MemberWire.App a : acked.getOrDefault(previous, Set.of())) {
                if (!mine.contains(a)) {
                  return Optional.of(me + " moved from view " + previous + " to " + i.view().id()
                      + " without " + a + ", which its sender had reported done");
                }
              }
              movedOn.computeIfAbsent(previous, k -> new HashMap<>()).put(me, mine);
            }
            currentView.put(me, i.view().id());
            deliveredInView.put(me, new LinkedHashSet<>());
          }
        }
        return Optional.empty();
      }
    };
  }

  /** At most one view per view id: whoever installs id v installs the same members. */
  public static Checker<LinkFrame<MemberWire>> oneViewPerId() {
    return new Checker<>() {
      private final Map<Long, View> views = new HashMap<>();

      @Override
      public String name() {
        return "one-view-per-id";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Installed i) {
            View first = views.putIfAbsent(i.view().id(), i.view());
            if (first != null && !first.equals(i.view())) {
              return Optional.of(who(step) + " installed " + i.view() + " but " + first
                  + " was installed elsewhere: two primary views with one id");
            }
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Virtual synchrony: members that install views v and v+1 delivered the same messages in v;
   * nobody delivers a message of a view it is not in, or one message twice.
   */
  public static Checker<LinkFrame<MemberWire>> virtualSynchrony() {
    return new Checker<>() {
      private final Map<String, Long> currentView = new HashMap<>();
      private final Map<String, Set<MemberWire.App>> deliveredInView = new HashMap<>();
      private final FirstToMoveOn<Set<MemberWire.App>> agreed = new FirstToMoveOn<>();

      @Override
      public String name() {
        return "virtual-synchrony";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        String me = who(step);
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Delivered d) {
            Long in = currentView.get(me);
            if (in == null || in != d.app().viewId()) {
              return Optional.of(me + " delivered " + d.app() + " while in view " + in);
            }
            if (!deliveredInView.get(me).add(d.app())) {
              return Optional.of(me + " delivered " + d.app() + " twice");
            }
          } else if (o instanceof MembershipCore.Installed i) {
            Long previous = currentView.get(me);
            long id = i.view().id();
            // A member the next view re-admits (a joiner whose state never came) delivered
            // nothing it could be held to; it starts over from a transfer.
            if (previous != null && previous == id - 1 && !i.joined().contains(step.node())) {
              Set<MemberWire.App> mine = deliveredInView.get(me);
              String other = agreed.disagreeing(previous, me, mine);
              if (other != null) {
                Set<MemberWire.App> first = agreed.first(previous);
                Set<MemberWire.App> onlyMine = new TreeSet<>(Comparator.APPS);
                onlyMine.addAll(mine);
                onlyMine.removeAll(first);
                Set<MemberWire.App> onlyTheirs = new TreeSet<>(Comparator.APPS);
                onlyTheirs.addAll(first);
                onlyTheirs.removeAll(mine);
                return Optional.of(me + " and " + other + " both moved from view " + previous
                    + " to " + id + " but delivered different messages in it: only " + me + " "
                    + onlyMine + ", only " + other + " " + onlyTheirs);
              }
            }
            currentView.put(me, id);
            deliveredInView.put(me, new LinkedHashSet<>());
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * Total order: members that install views v and v+1 delivered v's total-order messages in the
   * same order, and at the end the members of the final view agree on a common order (each one's
   * sequence a prefix of another's). A member removed from v is not held to it: the order is
   * non-uniform, like virtual synchrony itself (see {@link MembershipCore}).
   */
  public static Checker<LinkFrame<MemberWire>> totalOrder() {
    return new Checker<>() {
      private final Map<String, Long> currentView = new HashMap<>();
      private final Map<String, java.util.List<MemberWire.App>> sequence = new HashMap<>();
      private final FirstToMoveOn<java.util.List<MemberWire.App>> agreed = new FirstToMoveOn<>();

      @Override
      public String name() {
        return "total-order";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        String me = who(step);
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Installed i) {
            Long previous = currentView.get(me);
            if (previous != null && previous == i.view().id() - 1
                && !i.joined().contains(step.node())) {
              java.util.List<MemberWire.App> mine = sequence.get(me);
              String other = agreed.disagreeing(previous, me, mine);
              if (other != null) {
                return Optional.of(me + " and " + other + " both moved from view " + previous
                    + " to " + i.view().id() + " but delivered its total-order messages in"
                    + " different orders: " + firstDifference(agreed.first(previous), mine));
              }
            }
            currentView.put(me, i.view().id());
            sequence.put(me, new java.util.ArrayList<>());
          } else if (o instanceof MembershipCore.Delivered d && d.app().total()) {
            sequence.get(me).add(d.app());
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<LinkFrame<MemberWire>> exec) {
        Map<Long, java.util.List<MemberWire.App>> longest = new HashMap<>();
        Map<Long, String> longestAt = new HashMap<>();
        for (NodeId n : exec.members()) {
          String key = n + "#" + exec.incarnation(n);
          Long v = currentView.get(key);
          if (!exec.isUp(n) || v == null) {
            continue;
          }
          java.util.List<MemberWire.App> mine = sequence.get(key);
          java.util.List<MemberWire.App> other = longest.get(v);
          if (other == null) {
            longest.put(v, mine);
            longestAt.put(v, key);
            continue;
          }
          java.util.List<MemberWire.App> shorter = mine.size() <= other.size() ? mine : other;
          java.util.List<MemberWire.App> longer = shorter == mine ? other : mine;
          if (!longer.subList(0, shorter.size()).equals(shorter)) {
            return Optional.of(key + " and " + longestAt.get(v) + " in view " + v
                + " delivered total-order messages in different orders: "
                + firstDifference(other, mine));
          }
          if (longer == mine) {
            longest.put(v, mine);
            longestAt.put(v, key);
          }
        }
        return Optional.empty();
      }
    };
  }

  private static String firstDifference(java.util.List<MemberWire.App> a,
      java.util.List<MemberWire.App> b) {
    int i = 0;
    while (i < a.size() && i < b.size() && a.get(i).equals(b.get(i))) {
      i++;
    }
    return "place " + (i + 1) + ": " + (i < a.size() ? a.get(i) : "nothing") + " vs "
        + (i < b.size() ? b.get(i) : "nothing");
  }

  /**
   * Once faults heal, every live node is in one view, and that view holds exactly them — provided
   * a majority of the newest view survived with its incarnations. If a majority of a view crashed
   * before a next one was installed, a primary-partition protocol must block rather than guess
   * (the survivors cannot tell a crash from a partition), so that run is not held to liveness.
   */
  public static Checker<LinkFrame<MemberWire>> liveness() {
    return new Checker<>() {
      private View newest;
      private final Map<NodeId, Integer> installedNewest = new HashMap<>();

      @Override
      public String name() {
        return "liveness";
      }

      @Override
      public Optional<String> afterStep(Step<LinkFrame<MemberWire>> step,
          Execution<LinkFrame<MemberWire>> exec) {
        for (Object o : step.delivered()) {
          if (o instanceof MembershipCore.Installed i) {
            if (newest == null || i.view().id() > newest.id()) {
              newest = i.view();
              installedNewest.clear();
            }
            if (i.view().id() == newest.id()) {
              installedNewest.put(step.node(), step.incarnation());
            }
          }
        }
        return Optional.empty();
      }

      @Override
      public Optional<String> atEnd(Execution<LinkFrame<MemberWire>> exec) {
        Set<NodeId> survivors = new TreeSet<>();
        for (Map.Entry<NodeId, Integer> e : installedNewest.entrySet()) {
          if (exec.isUp(e.getKey()) && exec.incarnation(e.getKey()) == e.getValue()) {
            survivors.add(e.getKey());
          }
        }
        if (newest == null || !newest.isMajorityOf(survivors)) {
          return Optional.empty(); // a majority of the newest view was lost: blocking is right
        }
        Set<NodeId> up = new TreeSet<>();
        for (NodeId n : exec.members()) {
          if (exec.isUp(n)) {
            up.add(n);
          }
        }
        View common = null;
        for (NodeId n : up) {
          View v = ((MembershipCore) exec.core(n)).view();
          if (v == null) {
            return Optional.of(n + " is in no view after the faults healed (newest view "
                + newest + ", survivors " + survivors + ")");
          }
          if (common == null) {
            common = v;
          } else if (!common.equals(v)) {
            return Optional.of("live members disagree after the heal: " + common + " vs " + n
                + " in " + v);
          }
        }
        if (common != null && !new TreeSet<>(common.members()).equals(up)) {
          return Optional.of("after the heal the view is " + common + " but the live nodes are "
              + up);
        }
        return Optional.empty();
      }
    };
  }

  /** A deterministic order of messages for readable violation reports. */
  private static final class Comparator {
    static final java.util.Comparator<MemberWire.App> APPS =
        java.util.Comparator.comparingLong(MemberWire.App::viewId)
            .thenComparing(MemberWire.App::sender).thenComparingLong(MemberWire.App::seq);
  }
}
