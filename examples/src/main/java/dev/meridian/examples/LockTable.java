package dev.meridian.examples;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.StateMachine;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replicated lock table: which owner holds which resource. Replicated with total order
 * ({@link dev.meridian.replica.GroupMember}), every member grants and refuses the same requests,
 * so two owners never both believe they hold one lock. Locks of a member that crashed stay held
 * until released: a real deployment would pair them with leases (a later Meridian feature).
 *
 * <p>The state is a sorted map, so iteration and encoding are the same on every JVM.
 */
public final class LockTable implements StateMachine<TreeMap<String, String>, LockTable.Op, Boolean> {

  /** A request: {@code acquire} or {@code release} {@code resource} for {@code owner}. */
  public record Op(boolean acquire, String resource, String owner) {
    public Op {
      if (resource == null || owner == null || resource.isEmpty() || owner.isEmpty()
          || (resource + owner).contains("\n") || resource.contains("=")) {
        throw new IllegalArgumentException("resource and owner must be non-empty, on one line,"
            + " and the resource without '=': " + resource + ", " + owner);
      }
    }

    public static Op acquire(String resource, String owner) {
      return new Op(true, resource, owner);
    }

    public static Op release(String resource, String owner) {
      return new Op(false, resource, owner);
    }
  }

  @Override
  public TreeMap<String, String> initialState() {
    return new TreeMap<>();
  }

  /** Grants a free lock (or one its owner already holds); releases only the owner's. */
  @Override
  public Boolean apply(TreeMap<String, String> locks, Op op, NodeId origin) {
    String holder = locks.get(op.resource());
    if (op.acquire()) {
      if (holder == null) {
        locks.put(op.resource(), op.owner());
        return true;
      }
      return holder.equals(op.owner());
    }
    if (op.owner().equals(holder)) {
      locks.remove(op.resource());
      return true;
    }
    return false;
  }

  @Override
  public Codec<Op> opCodec() {
    return new Codec<>() {
      @Override
      public byte[] encode(Op op) {
        return ((op.acquire() ? "A" : "R") + op.resource() + "\n" + op.owner())
            .getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public Op decode(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        int nl = s.indexOf('\n');
        if (s.isEmpty() || (s.charAt(0) != 'A' && s.charAt(0) != 'R') || nl < 0) {
          throw new IllegalArgumentException("not a lock-table op (" + bytes.length + " bytes)");
        }
        return new Op(s.charAt(0) == 'A', s.substring(1, nl), s.substring(nl + 1));
      }
    };
  }

  @Override
  public Codec<TreeMap<String, String>> stateCodec() {
    return new Codec<>() {
      @Override
      public byte[] encode(TreeMap<String, String> locks) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : locks.entrySet()) {
          b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public TreeMap<String, String> decode(byte[] bytes) {
        TreeMap<String, String> locks = new TreeMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
          if (line.isEmpty()) {
            continue;
          }
          int eq = line.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("not a lock-table line: " + line.length()
                + " characters without '='");
          }
          locks.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return locks;
      }
    };
  }
}
