package dev.meridian.core.lease;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.StateMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated lease table: who holds which resource until when (synchronized time), and the
 * last fencing token per resource. Applied in total order at every member, so every member
 * decides every request the same way — the decision depends only on the table and the request.
 *
 * <p>The rule (DESIGN.md): a request carries the requester's {@code now().earliest} at the time
 * it sent it. A resource held until T is granted to someone else only if that earliest is after
 * T: the requester's interval then lies wholly after T, so true time has passed T. A grant lasts
 * until {@code earliest + duration}, and its token is one more than the resource's last. The
 * holder is the member that submitted the request (its origin), so nobody can act in another's
 * name.
 */
public final class LeaseTable implements StateMachine<LeaseTable.State, LeaseTable.Op, LeaseTable.Result> {
  /** Longest resource name, in UTF-8 bytes. */
  public static final int MAX_RESOURCE_BYTES = 1024;

  /** One grant. */
  public record Grant(String holder, long token, long expiryNanos) {}

  /** The table; mutated only by {@link #apply}. */
  public static final class State {
    public final Map<String, Grant> grants = new TreeMap<>();
    public final Map<String, Long> lastToken = new TreeMap<>();
  }

  public enum Kind { ACQUIRE, RENEW, RELEASE }

  /**
   * A request. {@code earliestNanos} is the requester's synchronized {@code now().earliest} when
   * it sent it; {@code token} names the grant a renew or release is about.
   */
  public record Op(Kind kind, String resource, long token, long durationNanos, long earliestNanos) {
    public Op {
      if (kind == null || resource == null || resource.isEmpty()
          || resource.getBytes(StandardCharsets.UTF_8).length > MAX_RESOURCE_BYTES) {
        throw new IllegalArgumentException("a lease request needs a kind and a resource name of"
            + " 1.." + MAX_RESOURCE_BYTES + " UTF-8 bytes");
      }
      if (durationNanos < 0) {
        throw new IllegalArgumentException("lease duration must be >= 0, got " + durationNanos);
      }
    }
  }

  /** What a request decided: the grant that now stands (if any), and whether it is the asker's. */
  public record Result(boolean granted, Grant grant) {}

  @Override
  public State initialState() {
    return new State();
  }

  @Override
  public Result apply(State state, Op op, NodeId origin) {
    String asker = origin.value();
    Grant current = state.grants.get(op.resource());
    switch (op.kind()) {
      case ACQUIRE -> {
        if (current != null && op.earliestNanos() <= current.expiryNanos()) {
          return new Result(false, current); // held, possibly by the asker: it renews instead
        }
        long token = state.lastToken.getOrDefault(op.resource(), 0L) + 1;
        Grant grant = new Grant(asker, token,
            Math.addExact(op.earliestNanos(), op.durationNanos()));
        state.grants.put(op.resource(), grant);
        state.lastToken.put(op.resource(), token);
        return new Result(true, grant);
      }
      case RENEW -> {
        if (current == null || !current.holder().equals(asker) || current.token() != op.token()
            || op.earliestNanos() > current.expiryNanos()) {
          return new Result(false, current); // lost: expired as the renewer sent it, or taken
        }
        Grant renewed = new Grant(asker, current.token(), Math.max(current.expiryNanos(),
            Math.addExact(op.earliestNanos(), op.durationNanos())));
        state.grants.put(op.resource(), renewed);
        return new Result(true, renewed);
      }
      case RELEASE -> {
        if (current != null && current.holder().equals(asker) && current.token() == op.token()) {
          state.grants.remove(op.resource());
          return new Result(true, null);
        }
        return new Result(false, current);
      }
      default -> throw new IllegalStateException("unknown kind " + op.kind());
    }
  }

  @Override
  public Codec<Op> opCodec() {
    return new Codec<>() {
      @Override
      public byte[] encode(Op op) {
        return write(out -> {
          out.writeByte(op.kind().ordinal());
          out.writeUTF(op.resource());
          out.writeLong(op.token());
          out.writeLong(op.durationNanos());
          out.writeLong(op.earliestNanos());
        });
      }

      @Override
      public Op decode(byte[] bytes) {
        return read(bytes, in -> {
          int kind = in.readUnsignedByte();
          if (kind >= Kind.values().length) {
            throw new IllegalArgumentException("unknown lease request kind " + kind);
          }
          return new Op(Kind.values()[kind], in.readUTF(), in.readLong(), in.readLong(),
              in.readLong());
        });
      }
    };
  }

  @Override
  public Codec<State> stateCodec() {
    return new Codec<>() {
      @Override
      public byte[] encode(State state) {
        return write(out -> {
          out.writeInt(state.lastToken.size());
          for (Map.Entry<String, Long> e : state.lastToken.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
            Grant g = state.grants.get(e.getKey());
            out.writeBoolean(g != null);
            if (g != null) {
              out.writeUTF(g.holder());
              out.writeLong(g.token());
              out.writeLong(g.expiryNanos());
            }
          }
        });
      }

      @Override
      public State decode(byte[] bytes) {
        return read(bytes, in -> {
          State s = new State();
          int n = in.readInt();
          if (n < 0 || n > bytes.length) {
            throw new IllegalArgumentException("lease table with " + n + " resources in "
                + bytes.length + " bytes");
          }
          for (int i = 0; i < n; i++) {
            String resource = in.readUTF();
            s.lastToken.put(resource, in.readLong());
            if (in.readBoolean()) {
              s.grants.put(resource, new Grant(in.readUTF(), in.readLong(), in.readLong()));
            }
          }
          return s;
        });
      }
    };
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  private static byte[] write(Writer w) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static <T> T read(byte[] bytes, Reader<T> r) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      T value = r.read(in);
      if (in.available() != 0) {
        throw new IllegalArgumentException(in.available() + " bytes left after a lease record");
      }
      return value;
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed lease record: " + e.getMessage(), e);
    }
  }
}
