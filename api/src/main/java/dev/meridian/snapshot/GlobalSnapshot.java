package dev.meridian.snapshot;

import dev.meridian.NodeId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A consistent global state of a group, as recorded by a Chandy–Lamport snapshot: one recorded
 * local state per member and, for every channel between two members, the messages that were in
 * flight on it across the cut.
 *
 * <p><b>Guarantee.</b> The cut is consistent: every message recorded as received by a member before
 * its local state was recorded was sent before its sender's local state was recorded. A channel's
 * messages are exactly those sent before the sender's recording and received after the
 * receiver's. The whole is therefore a state the group could have passed through — reachable by
 * some ordering of the run's events that respects happens-before — even if no member ever saw it
 * at one instant. A property that, once true, stays true (a deadlock, termination, a lost token)
 * and holds here, holds in the group from the moment the snapshot completed on.
 *
 * <p>The application renders states and messages as text; this type neither knows nor parses their
 * form. Immutable; members and channels are held in {@link NodeId} order.
 *
 * @param id the snapshot's id, which names its initiator
 * @param viewId the view the snapshot was taken in
 * @param states each member's recorded local state, as the application rendered it
 * @param channels every channel between two members, with its in-flight messages in send order
 */
public record GlobalSnapshot(SnapshotId id, long viewId, Map<NodeId, String> states,
    List<Channel> channels) {

  /**
   * One directed channel and the messages recorded on it.
   *
   * @param from the sender
   * @param to the receiver
   * @param messages the messages in flight from {@code from} to {@code to} across the cut, oldest
   *     first, as the application rendered them
   */
  public record Channel(NodeId from, NodeId to, List<String> messages) {
    /** @throws IllegalArgumentException if a part is null, or the channel is a self-loop */
    public Channel {
      if (from == null || to == null || messages == null) {
        throw new IllegalArgumentException("channel needs from, to and messages, got from=" + from
            + " to=" + to);
      }
      if (from.equals(to)) {
        throw new IllegalArgumentException("channel from " + from + " to itself");
      }
      messages = List.copyOf(messages);
    }
  }

  /**
   * @throws IllegalArgumentException if a part is null, {@code states} is empty, or a channel names
   *     a node without a recorded state, or appears twice
   */
  public GlobalSnapshot {
    if (id == null || states == null || channels == null) {
      throw new IllegalArgumentException("snapshot needs an id, states and channels");
    }
    if (states.isEmpty()) {
      throw new IllegalArgumentException("snapshot " + id + " has no member state");
    }
    states = Collections.unmodifiableMap(new TreeMap<>(states)); // refuses null keys
    if (states.containsValue(null)) {
      throw new IllegalArgumentException("snapshot " + id + " has a null state");
    }
    List<Channel> sorted = new ArrayList<>(channels);
    sorted.sort(Comparator.comparing(Channel::from).thenComparing(Channel::to));
    for (int i = 0; i < sorted.size(); i++) {
      Channel c = sorted.get(i);
      if (!states.containsKey(c.from()) || !states.containsKey(c.to())) {
        throw new IllegalArgumentException("snapshot " + id + ": channel " + c.from() + "->"
            + c.to() + " names a node without a recorded state; members are " + states.keySet());
      }
      if (i > 0 && sorted.get(i - 1).from().equals(c.from())
          && sorted.get(i - 1).to().equals(c.to())) {
        throw new IllegalArgumentException(
            "snapshot " + id + ": channel " + c.from() + "->" + c.to() + " appears twice");
      }
    }
    channels = List.copyOf(sorted);
  }

  /** The members whose states were recorded, in order. */
  public List<NodeId> members() {
    return List.copyOf(states.keySet());
  }

  /** The recorded channel from {@code from} to {@code to}, or an empty list if none was. */
  public List<String> inFlight(NodeId from, NodeId to) {
    for (Channel c : channels) {
      if (c.from().equals(from) && c.to().equals(to)) {
        return c.messages();
      }
    }
    return List.of();
  }

  /**
   * The snapshot as JSON meant for people: two-space indentation, one member or channel per
   * line, keys in a fixed order. For example:
   *
   * <pre>{@code
   * {
   *   "id": "n1/3",
   *   "initiator": "n1",
   *   "k": 3,
   *   "view": 4,
   *   "states": {
   *     "n1": "balance=120",
   *     "n2": "balance=80"
   *   },
   *   "channels": [
   *     {"from": "n1", "to": "n2", "messages": []},
   *     {"from": "n2", "to": "n1", "messages": ["transfer 5"]}
   *   ]
   * }
   * }</pre>
   */
  public String toJson() {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n");
    sb.append("  \"id\": ").append(quote(id.toString())).append(",\n");
    sb.append("  \"initiator\": ").append(quote(id.initiator().value())).append(",\n");
    sb.append("  \"k\": ").append(id.k()).append(",\n");
    sb.append("  \"view\": ").append(viewId).append(",\n");
    sb.append("  \"states\": {");
    String separator = "\n";
    for (Map.Entry<NodeId, String> e : states.entrySet()) {
      sb.append(separator).append("    ").append(quote(e.getKey().value())).append(": ")
          .append(quote(e.getValue()));
      separator = ",\n";
    }
    sb.append(states.isEmpty() ? "}" : "\n  }").append(",\n");
    sb.append("  \"channels\": [");
    separator = "\n";
    for (Channel c : channels) {
      sb.append(separator).append("    {\"from\": ").append(quote(c.from().value()))
          .append(", \"to\": ").append(quote(c.to().value())).append(", \"messages\": [");
      for (int i = 0; i < c.messages().size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(quote(c.messages().get(i)));
      }
      sb.append("]}");
      separator = ",\n";
    }
    sb.append(channels.isEmpty() ? "]" : "\n  ]").append("\n}");
    return sb.toString();
  }

  /** A JSON string literal: quotes, backslashes and control characters escaped. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  @Override
  public String toString() {
    int inFlight = 0;
    for (Channel c : channels) {
      inFlight += c.messages().size();
    }
    return "GlobalSnapshot{" + id + " view " + viewId + ", " + states.size() + " states, "
        + inFlight + " in flight}";
  }
}
