package dev.meridian.runtime;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.snapshot.SnapshotWire;
import dev.meridian.proto.v1.SnapshotAppMessage;
import dev.meridian.proto.v1.SnapshotChannel;
import dev.meridian.proto.v1.SnapshotContribution;
import dev.meridian.proto.v1.SnapshotIdMessage;
import dev.meridian.proto.v1.SnapshotLinkFrame;
import dev.meridian.proto.v1.SnapshotMarker;
import dev.meridian.proto.v1.SnapshotMessage;
import dev.meridian.proto.v1.SnapshotWithdrawn;
import dev.meridian.replica.Codec;
import dev.meridian.snapshot.SnapshotId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The wire form of the snapshot core's link frames: {@code meridian.v1.SnapshotLinkFrame}
 * ({@code snapshot.proto}), with the application's messages and recorded states encoded by its own
 * {@link Codec}s. Decoding is strict: a frame that does not parse, lacks a part a message needs,
 * names an invalid node id, holds a number out of range, or carries a message or state the
 * application's codec refuses is refused with an {@link IllegalArgumentException} saying what was
 * wrong (and where), and the runtime drops it. An application codec that throws anything else is
 * reported the same way, so a bad frame can never stop the node.
 *
 * @param <A> the application's message type
 * @param <S> the application's recorded-state type
 */
public final class SnapshotFrameCodec<A, S> implements WireCodec<LinkFrame<SnapshotWire<A, S>>> {
  private final Codec<A> messages;
  private final Codec<S> states;

  /**
   * @param messages the application's messages
   * @param states the application's recorded states
   */
  public SnapshotFrameCodec(Codec<A> messages, Codec<S> states) {
    if (messages == null || states == null) {
      throw new IllegalArgumentException("message and state codecs must not be null");
    }
    this.messages = messages;
    this.states = states;
  }

  @Override
  public byte[] encode(LinkFrame<SnapshotWire<A, S>> frame) {
    SnapshotLinkFrame.Builder b = SnapshotLinkFrame.newBuilder()
        .setSenderIncarnation(frame.senderIncarnation())
        .setReceiverIncarnation(frame.receiverIncarnation())
        .setAck(frame.ack())
        .setFirstSeq(frame.firstSeq());
    for (SnapshotWire<A, S> w : frame.payloads()) {
      b.addPayloads(message(w));
    }
    return b.build().toByteArray();
  }

  private SnapshotMessage message(SnapshotWire<A, S> w) {
    SnapshotMessage.Builder m = SnapshotMessage.newBuilder();
    if (w instanceof SnapshotWire.App<A, S> app) {
      m.setApp(SnapshotAppMessage.newBuilder()
          .setPayload(ByteString.copyFrom(messages.encode(app.message()))));
    } else if (w instanceof SnapshotWire.Marker<A, S> marker) {
      SnapshotMarker.Builder b = SnapshotMarker.newBuilder().setId(id(marker.id()))
          .setViewId(marker.viewId());
      marker.members().forEach((n, inc) -> b.putMembers(n.value(), inc));
      m.setMarker(b);
    } else if (w instanceof SnapshotWire.Contribution<A, S> c) {
      SnapshotContribution.Builder b = SnapshotContribution.newBuilder().setId(id(c.id()))
          .setMember(c.member().value()).setIncarnation(c.incarnation())
          .setState(ByteString.copyFrom(states.encode(c.state())));
      new TreeMap<>(c.incoming()).forEach((from, recorded) -> {
        SnapshotChannel.Builder ch = SnapshotChannel.newBuilder().setFrom(from.value());
        for (A a : recorded) {
          ch.addMessages(ByteString.copyFrom(messages.encode(a)));
        }
        b.addIncoming(ch);
      });
      m.setContribution(b);
    } else if (w instanceof SnapshotWire.Withdrawn<A, S> wd) {
      m.setWithdrawn(SnapshotWithdrawn.newBuilder().setId(id(wd.id()))
          .setMember(wd.member().value()).setReason(wd.reason()));
    }
    return m.build();
  }

  private static SnapshotIdMessage id(SnapshotId id) {
    return SnapshotIdMessage.newBuilder().setInitiator(id.initiator().value()).setK(id.k())
        .build();
  }

  @Override
  public LinkFrame<SnapshotWire<A, S>> decode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("frame must not be null");
    }
    SnapshotLinkFrame f;
    try {
      f = SnapshotLinkFrame.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a SnapshotLinkFrame: " + e.getMessage(), e);
    }
    int sender = incarnation(f.getSenderIncarnation(), "sender incarnation");
    if (Integer.toUnsignedLong(f.getReceiverIncarnation()) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("receiver incarnation "
          + Integer.toUnsignedString(f.getReceiverIncarnation()) + " out of range");
    }
    if (f.getAck() < 0 || f.getFirstSeq() < 1) {
      throw new IllegalArgumentException("ack " + Long.toUnsignedString(f.getAck())
          + " or first seq " + Long.toUnsignedString(f.getFirstSeq()) + " out of range");
    }
    List<SnapshotWire<A, S>> payloads = new ArrayList<>(f.getPayloadsCount());
    for (int i = 0; i < f.getPayloadsCount(); i++) {
      try {
        payloads.add(wire(f.getPayloads(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("payload " + i + ": " + e.getMessage(), e);
      }
    }
    return new LinkFrame<>(sender, f.getReceiverIncarnation(), f.getAck(), f.getFirstSeq(),
        payloads);
  }

  private SnapshotWire<A, S> wire(SnapshotMessage m) {
    return switch (m.getKindCase()) {
      case APP -> new SnapshotWire.App<>(decode(messages, m.getApp().getPayload(),
          "application message"));
      case MARKER -> marker(m.getMarker());
      case CONTRIBUTION -> contribution(m.getContribution());
      case WITHDRAWN -> {
        SnapshotWithdrawn w = m.getWithdrawn();
        yield new SnapshotWire.Withdrawn<>(id(w.hasId(), w.getId(), "withdrawal"),
            node(w.getMember(), "withdrawn member"), w.getReason());
      }
      case KIND_NOT_SET -> throw new IllegalArgumentException("message of no known kind");
    };
  }

  private SnapshotWire<A, S> marker(SnapshotMarker m) {
    SnapshotId id = id(m.hasId(), m.getId(), "marker");
    if (m.getViewId() < 1) {
      throw new IllegalArgumentException("marker of " + id + ": view id "
          + Long.toUnsignedString(m.getViewId()) + " out of range");
    }
    if (m.getMembersCount() == 0) {
      throw new IllegalArgumentException("marker of " + id + " names no members");
    }
    Map<NodeId, Integer> members = new TreeMap<>();
    m.getMembersMap().forEach((n, inc) -> members.put(node(n, "marker member"),
        incarnation(inc, "incarnation of marker member " + n)));
    return new SnapshotWire.Marker<>(id, m.getViewId(), members);
  }

  private SnapshotWire<A, S> contribution(SnapshotContribution c) {
    SnapshotId id = id(c.hasId(), c.getId(), "contribution");
    NodeId member = node(c.getMember(), "contributing member");
    int incarnation = incarnation(c.getIncarnation(), "incarnation of " + member);
    S state = decode(states, c.getState(), "recorded state of " + member);
    Map<NodeId, List<A>> incoming = new TreeMap<>();
    for (SnapshotChannel ch : c.getIncomingList()) {
      NodeId from = node(ch.getFrom(), "channel sender");
      List<A> recorded = new ArrayList<>(ch.getMessagesCount());
      for (int i = 0; i < ch.getMessagesCount(); i++) {
        recorded.add(decode(messages, ch.getMessages(i),
            "message " + i + " of channel " + from + "->" + member));
      }
      if (incoming.put(from, List.copyOf(recorded)) != null) {
        throw new IllegalArgumentException("contribution of " + member + " to " + id
            + " lists channel from " + from + " twice");
      }
    }
    return new SnapshotWire.Contribution<>(id, member, incarnation, state, incoming);
  }

  private static SnapshotId id(boolean present, SnapshotIdMessage id, String what) {
    if (!present) {
      throw new IllegalArgumentException(what + " without a snapshot id");
    }
    if (id.getK() < 1) {
      throw new IllegalArgumentException(what + ": snapshot number "
          + Long.toUnsignedString(id.getK()) + " out of range");
    }
    return new SnapshotId(node(id.getInitiator(), what + " initiator"), id.getK());
  }

  private static int incarnation(int value, String what) {
    if (value < 1) { // 0, or above Integer.MAX_VALUE as a uint32
      throw new IllegalArgumentException(what + " " + Integer.toUnsignedString(value)
          + " out of range [1, " + Integer.MAX_VALUE + "]");
    }
    return value;
  }

  /** The application's value in {@code bytes}; any complaint of its codec, as one about the frame. */
  private static <T> T decode(Codec<T> codec, ByteString bytes, String what) {
    T value;
    try {
      value = codec.decode(bytes.toByteArray());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(what + " does not decode: " + e.getMessage(), e);
    }
    if (value == null) {
      throw new IllegalArgumentException(what + " decodes to null");
    }
    return value;
  }

  private static NodeId node(String value, String what) {
    try {
      return NodeId.of(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }
}
