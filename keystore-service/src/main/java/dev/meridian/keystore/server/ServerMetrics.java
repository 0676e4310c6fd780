package dev.meridian.keystore.server;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one key server has done since it started: per operation, requests answered and refused
 * and a latency histogram (p50, p99, from the request reaching the service to its answer); and
 * refusals counted by {@link Rejection.Reason}. Counters only: no key name, client id, share or
 * secret is ever kept here, so the figures can be shown to any administrator.
 *
 * <p>Thread-safe and cheap: recording is a few uncontended {@link LongAdder} and atomic adds, no
 * lock and no allocation, so it runs on the request path. A {@link #snapshot()} taken while
 * requests are served is not one atomic cut (a request may be in its operation's count but not
 * yet in its reason's); each figure is exact once traffic stops.
 */
public final class ServerMetrics {
  /** The key service's operations, one per RPC. */
  public enum Operation {
    READ("read"), WRITE("write"), WRITE_BACK("write-back"), COMPLETE("complete"),
    OPEN_SESSION("open-session"), STATS("stats"), ADMIN("admin");

    private final String label;

    Operation(String label) {
      this.label = label;
    }

    /** The name shown in metrics and the audit log, e.g. {@code write-back}. */
    public String label() {
      return label;
    }
  }

  /**
   * One operation's figures.
   *
   * @param ok requests answered
   * @param rejected requests refused (with any reason)
   * @param p50Micros median latency, an upper bound within 25% (0 if no request)
   * @param p99Micros 99th-percentile latency, likewise
   */
  public record OperationStats(long ok, long rejected, long p50Micros, long p99Micros) {}

  /**
   * Everything at one moment.
   *
   * @param operations by operation, every operation present
   * @param rejections by reason, every reason present
   */
  public record Snapshot(Map<Operation, OperationStats> operations,
      Map<Rejection.Reason, Long> rejections) {
    /** Copies the maps. */
    public Snapshot {
      operations = Map.copyOf(operations);
      rejections = Map.copyOf(rejections);
    }
  }

  private static final class PerOperation {
    final LongAdder ok = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LatencyHistogram latency = new LatencyHistogram();
  }

  private final Map<Operation, PerOperation> operations = new EnumMap<>(Operation.class);
  private final Map<Rejection.Reason, LongAdder> reasons = new EnumMap<>(Rejection.Reason.class);

  /** All counters at zero. */
  public ServerMetrics() {
    for (Operation op : Operation.values()) {
      operations.put(op, new PerOperation());
    }
    for (Rejection.Reason reason : Rejection.Reason.values()) {
      reasons.put(reason, new LongAdder());
    }
  }

  /** Counts a request of {@code op} that was answered after {@code micros}. */
  public void answered(Operation op, long micros) {
    PerOperation per = operations.get(op);
    per.ok.increment();
    per.latency.record(micros);
  }

  /** Counts a request of {@code op} that was refused for {@code reason} after {@code micros}. */
  public void refused(Operation op, Rejection.Reason reason, long micros) {
    PerOperation per = operations.get(op);
    per.rejected.increment();
    per.latency.record(micros);
    reasons.get(reason).increment();
  }

  /** The figures now. */
  public Snapshot snapshot() {
    Map<Operation, OperationStats> ops = new EnumMap<>(Operation.class);
    operations.forEach((op, per) -> ops.put(op, new OperationStats(per.ok.sum(),
        per.rejected.sum(), per.latency.percentileMicros(0.5),
        per.latency.percentileMicros(0.99))));
    Map<Rejection.Reason, Long> byReason = new EnumMap<>(Rejection.Reason.class);
    reasons.forEach((reason, count) -> byReason.put(reason, count.sum()));
    return new Snapshot(ops, byReason);
  }

  @Override
  public String toString() {
    return "ServerMetrics" + snapshot();
  }
}
