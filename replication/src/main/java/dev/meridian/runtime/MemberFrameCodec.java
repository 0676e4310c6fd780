package dev.meridian.runtime;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.meridian.NodeId;
import dev.meridian.core.link.LinkFrame;
import dev.meridian.core.membership.MemberWire;
import dev.meridian.membership.View;
import dev.meridian.proto.v1.AcceptMessage;
import dev.meridian.proto.v1.AcceptedMessage;
import dev.meridian.proto.v1.AppMessage;
import dev.meridian.proto.v1.Ballot;
import dev.meridian.proto.v1.HeartbeatMessage;
import dev.meridian.proto.v1.InstallMessage;
import dev.meridian.proto.v1.JoinMessage;
import dev.meridian.proto.v1.GoneMessage;
import dev.meridian.proto.v1.LeaveMessage;
import dev.meridian.proto.v1.StateTransferMessage;
import com.google.protobuf.ByteString;
import dev.meridian.proto.v1.MemberLinkFrame;
import dev.meridian.proto.v1.MemberMessage;
import dev.meridian.proto.v1.NackMessage;
import dev.meridian.proto.v1.NotMemberMessage;
import dev.meridian.proto.v1.OrderBatchMessage;
import dev.meridian.proto.v1.OrderMessage;
import dev.meridian.proto.v1.OrderRun;
import dev.meridian.proto.v1.PrepareMessage;
import dev.meridian.proto.v1.PromiseMessage;
import dev.meridian.proto.v1.ProposalMessage;
import dev.meridian.proto.v1.ViewMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The wire form of the membership core's link frames: {@code meridian.v1.MemberLinkFrame}
 * ({@code membership.proto}). Decoding is strict: a frame that does not parse, lacks a part a
 * message needs, or names an invalid node id is refused with an {@link IllegalArgumentException}
 * saying what was wrong, and the runtime drops it.
 *
 * <p><b>Fast paths.</b> Application messages carry the load, so frames and their {@code
 * AppMessage}s are written and read by hand, without building protobuf objects: writing produces
 * exactly the bytes the generated code would (fields in number order, defaults left out), and
 * reading takes the fast path only for frames laid out that way — known fields with their wire
 * types, each payload one kind. Everything else (other kinds of payload, unknown fields, a
 * repeated oneof, malformed input) is read by the generated parser, so what is accepted, and what
 * it decodes to, is the same either way. Node ids read are interned: the same id arrives as the
 * same {@link NodeId} instance, which makes the core's map lookups cheap.
 *
 * <p>Not thread-safe (it caches): the runtime calls it on its core thread only.
 */
public final class MemberFrameCodec implements WireCodec<LinkFrame<MemberWire>> {
  // (field number << 3) | wire type; all fit in one byte
  private static final int FRAME_PAYLOAD_TAG =
      MemberLinkFrame.PAYLOADS_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int APP_TAG =
      MemberMessage.APP_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int ORDER_BATCH_TAG =
      MemberMessage.ORDER_BATCH_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int MAX_INTERNED = 256;

  // node ids read (interned) and written (their UTF-8, which is ASCII)
  private final Map<NodeId, byte[]> idBytes = new HashMap<>();
  // the payloads of the last frames written, and their bytes: a turn writes a frame or two to
  // each member, all of them with the same payloads
  private static final int BODIES = 8;
  @SuppressWarnings({"unchecked", "rawtypes"})
  private final List<MemberWire>[] recentPayloads = new List[BODIES];
  private final byte[][] recentBodies = new byte[BODIES][];
  private int nextRecent;
  private NodeId lastId; // the last one written (a member writes mostly its own id)
  private byte[] lastIdBytes;
  private NodeId[] internedIds = new NodeId[8];
  private byte[][] internedBytes = new byte[8][];
  private int interned;

  /** A codec that interns the node ids it reads afresh. */
  public MemberFrameCodec() {}

  /**
   * A codec that reads {@code known} ids (a group's members) as these very instances: the
   * core's maps, keyed by them, then compare by identity.
   */
  public MemberFrameCodec(Iterable<NodeId> known) {
    for (NodeId id : known) {
      byte[] b = id.value().getBytes(StandardCharsets.UTF_8);
      if (interned < MAX_INTERNED && find(b, 0, b.length) == null) {
        add(id, b);
      }
    }
  }

  /**
   * Encodes and decodes one frame holding every kind of message, with a throwaway codec: a
   * member's first view change otherwise loads and initializes the protocol's message classes
   * (generated protobuf ones included) on its critical path, right after a peer died.
   */
  static void loadEveryMessageKind() {
    NodeId a = NodeId.of("warm-up-a");
    NodeId b = NodeId.of("warm-up-b");
    MemberWire.App app = new MemberWire.App(1, a, 1, true);
    MemberWire.Order order = new MemberWire.Order(1, 1, a, 1);
    MemberWire.Ballot ballot = new MemberWire.Ballot(1, a);
    MemberWire.Proposal proposal = new MemberWire.Proposal(new dev.meridian.membership.View(2,
        java.util.List.of(a, b)), java.util.List.of(app), java.util.List.of(order),
        java.util.Map.of(a, 1, b, 1), java.util.Set.of(b), java.util.Set.of(NodeId.of("warm-up-c")));
    java.util.List<MemberWire> all = java.util.List.of(app, order, new MemberWire.Heartbeat(1),
        new MemberWire.Join(), new MemberWire.NotMember(1), new MemberWire.Leave(1),
        new MemberWire.Prepare(ballot, 1),
        new MemberWire.Promise(ballot, 1, ballot, proposal, java.util.List.of(app),
            java.util.List.of(order)),
        new MemberWire.Nack(ballot, ballot), new MemberWire.Accept(ballot, proposal,
            java.util.List.of(a, b)),
        new MemberWire.Accepted(ballot, 1), new MemberWire.Install(proposal),
        new MemberWire.Gone(1, b), new MemberWire.StateTransfer(2, new byte[1]));
    MemberFrameCodec codec = new MemberFrameCodec();
    codec.decode(codec.encode(new LinkFrame<>(1, 1, 0, 1, all)));
  }

  @Override
  public byte[] encode(LinkFrame<MemberWire> frame) {
    // The payloads' bytes: what a turn sends every member is encoded once (the frames to the
    // members differ in their header only), and what a retransmission sends again, again.
    List<MemberWire> payloads = frame.payloads();
    byte[] body = null;
    for (int i = 0; i < BODIES && body == null; i++) {
      if (sameInstances(payloads, recentPayloads[i])) {
        body = recentBodies[i];
      }
    }
    if (body == null) {
      body = encodePayloads(payloads);
      recentPayloads[nextRecent] = payloads;
      recentBodies[nextRecent] = body;
      nextRecent = (nextRecent + 1) % BODIES;
    }
    int size = body.length;
    if (frame.senderIncarnation() != 0) {
      size += CodedOutputStream.computeUInt32Size(1, frame.senderIncarnation());
    }
    if (frame.receiverIncarnation() != 0) {
      size += CodedOutputStream.computeUInt32Size(2, frame.receiverIncarnation());
    }
    if (frame.ack() != 0) {
      size += CodedOutputStream.computeUInt64Size(3, frame.ack());
    }
    if (frame.firstSeq() != 0) {
      size += CodedOutputStream.computeUInt64Size(4, frame.firstSeq());
    }
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (frame.senderIncarnation() != 0) {
        out.writeUInt32(1, frame.senderIncarnation());
      }
      if (frame.receiverIncarnation() != 0) {
        out.writeUInt32(2, frame.receiverIncarnation());
      }
      if (frame.ack() != 0) {
        out.writeUInt64(3, frame.ack());
      }
      if (frame.firstSeq() != 0) {
        out.writeUInt64(4, frame.firstSeq());
      }
      out.writeRawBytes(body); // the repeated field 5 last, as the generated code writes it
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a frame into an array of its exact size", e);
    }
    return bytes;
  }

  private static boolean sameInstances(List<MemberWire> a, List<MemberWire> b) {
    if (b == null || a.size() != b.size() || a.isEmpty()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /** Field 5 of a MemberLinkFrame, once per payload: tag, length, MemberMessage. */
  private byte[] encodePayloads(List<MemberWire> payloads) {
    int n = payloads.size();
    int[] sizes = new int[n]; // of each payload as a MemberMessage
    int[] appSizes = new int[n]; // of an App's AppMessage
    MemberMessage[] others = null; // payloads that are not App, as protobuf messages
    int size = 0;
    for (int i = 0; i < n; i++) {
      MemberWire w = payloads.get(i);
      int s;
      if (w instanceof MemberWire.App a) {
        int app = appSize(a);
        appSizes[i] = app;
        s = 1 + CodedOutputStream.computeUInt32SizeNoTag(app) + app; // tag 1 is one byte
      } else {
        if (others == null) {
          others = new MemberMessage[n];
        }
        others[i] = message(w);
        s = others[i].getSerializedSize();
      }
      sizes[i] = s;
      size += 1 + CodedOutputStream.computeUInt32SizeNoTag(s) + s; // tag 5 is one byte
    }
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      for (int i = 0; i < n; i++) {
        out.writeUInt32NoTag(FRAME_PAYLOAD_TAG);
        out.writeUInt32NoTag(sizes[i]);
        if (others != null && others[i] != null) {
          others[i].writeTo(out);
        } else {
          MemberWire.App a = (MemberWire.App) payloads.get(i);
          out.writeUInt32NoTag(APP_TAG);
          out.writeUInt32NoTag(appSizes[i]);
          writeApp(out, a);
        }
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding payloads into an array of their exact size", e);
    }
    return bytes;
  }

  /** The size of {@code a} as an {@code AppMessage}, as the generated code computes it. */
  private int appSize(MemberWire.App a) {
    int s = 0;
    if (a.viewId() != 0) {
      s += CodedOutputStream.computeUInt64Size(1, a.viewId());
    }
    byte[] sender = idBytes(a.sender());
    if (sender.length != 0) {
      s += CodedOutputStream.computeByteArraySize(2, sender);
    }
    if (a.seq() != 0) {
      s += CodedOutputStream.computeUInt64Size(3, a.seq());
    }
    if (a.total()) {
      s += CodedOutputStream.computeBoolSize(4, true);
    }
    if (a.payload().length != 0) {
      s += CodedOutputStream.computeByteArraySize(5, a.payload());
    }
    return s;
  }

  private void writeApp(CodedOutputStream out, MemberWire.App a) throws IOException {
    if (a.viewId() != 0) {
      out.writeUInt64(1, a.viewId());
    }
    byte[] sender = idBytes(a.sender());
    if (sender.length != 0) {
      out.writeByteArray(2, sender); // a string field is written as its UTF-8 bytes
    }
    if (a.seq() != 0) {
      out.writeUInt64(3, a.seq());
    }
    if (a.total()) {
      out.writeBool(4, true);
    }
    if (a.payload().length != 0) {
      out.writeByteArray(5, a.payload());
    }
  }

  private byte[] idBytes(NodeId id) {
    if (id == lastId) {
      return lastIdBytes;
    }
    byte[] b = idBytes.get(id);
    if (b == null) {
      b = id.value().getBytes(StandardCharsets.UTF_8);
      if (idBytes.size() < MAX_INTERNED) {
        idBytes.put(id, b);
      }
    }
    lastId = id;
    lastIdBytes = b;
    return b;
  }

  @Override
  public LinkFrame<MemberWire> decode(byte[] bytes) {
    if (bytes != null) {
      try {
        LinkFrame<MemberWire> fast = decodeFast(bytes);
        if (fast != null) {
          return fast;
        }
      } catch (NotFast | IllegalArgumentException e) {
        // unusual or malformed: the generated parser decides, and says what is wrong
      }
    }
    return decodeWithProtobuf(bytes);
  }

  /** The frame as the generated parser reads it: the reference the fast path must match. */
  LinkFrame<MemberWire> decodeWithProtobuf(byte[] bytes) {
    MemberLinkFrame f;
    try {
      f = MemberLinkFrame.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a MemberLinkFrame: " + e.getMessage(), e);
    }
    List<MemberWire> payloads = new ArrayList<>(f.getPayloadsCount());
    for (int i = 0; i < f.getPayloadsCount(); i++) {
      try {
        payloads.add(wire(f.getPayloads(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("payload " + i + ": " + e.getMessage(), e);
      }
    }
    if (f.getSenderIncarnation() > Integer.MAX_VALUE
        || f.getReceiverIncarnation() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("incarnation out of range");
    }
    return new LinkFrame<>((int) f.getSenderIncarnation(), (int) f.getReceiverIncarnation(),
        f.getAck(), f.getFirstSeq(), payloads);
  }

  // ---------------------------------------------------------------- the fast path of decode

  /** The frame is not one the fast path reads; the generated parser takes over. */
  private static final class NotFast extends RuntimeException {
    private static final NotFast INSTANCE = new NotFast();

    private NotFast() {
      super(null, null, false, false); // thrown often enough: no stack trace
    }
  }

  /**
   * Reads a frame laid out as {@link #encode} writes it, or returns null or throws {@link NotFast}
   * (or {@link IllegalArgumentException}) for anything else: the slow path then decides.
   */
  private LinkFrame<MemberWire> decodeFast(byte[] b) {
    int[] at = {0};
    int end = b.length;
    long senderIncarnation = 0;
    long receiverIncarnation = 0;
    long ack = 0;
    long firstSeq = 0;
    List<MemberWire> payloads = new ArrayList<>();
    while (at[0] < end) {
      switch (tag(b, at, end)) {
        case 8 -> senderIncarnation = (int) varint(b, at, end); // uint32: the low 32 bits
        case 16 -> receiverIncarnation = (int) varint(b, at, end);
        case 24 -> ack = varint(b, at, end);
        case 32 -> firstSeq = varint(b, at, end);
        case 42 -> {
          int len = length(b, at, end);
          int start = at[0];
          payloads.add(payload(b, start, start + len));
          at[0] = start + len;
        }
        default -> throw NotFast.INSTANCE;
      }
    }
    if (senderIncarnation > Integer.MAX_VALUE || receiverIncarnation > Integer.MAX_VALUE) {
      throw NotFast.INSTANCE; // as the slow path would refuse it (it cannot happen: uint32)
    }
    return new LinkFrame<>((int) senderIncarnation, (int) receiverIncarnation, ack, firstSeq,
        payloads);
  }

  /** One MemberMessage in {@code b[start, end)}: an App by hand, anything else by protobuf. */
  private MemberWire payload(byte[] b, int start, int end) {
    int[] at = {start};
    if (start < end && b[start] == APP_TAG) {
      at[0]++;
      int len = length(b, at, end);
      if (at[0] + len == end) { // the app and nothing else
        return app(b, at[0], end);
      }
    } else if (start < end && b[start] == ORDER_BATCH_TAG) {
      at[0]++;
      int len = length(b, at, end);
      if (at[0] + len == end) { // the batch and nothing else
        return orderBatch(b, at[0], end);
      }
    }
    MemberMessage m;
    try {
      m = MemberMessage.parser().parseFrom(b, start, end - start);
    } catch (InvalidProtocolBufferException e) {
      throw NotFast.INSTANCE;
    }
    if (m.getKindCase() == MemberMessage.KindCase.HEARTBEAT) { // many: a progress report
      MemberWire.Heartbeat h = heartbeat(m.getHeartbeat());
      Map<NodeId, Long> received = new LinkedHashMap<>();
      h.received().forEach((n, seq) -> received.put(intern(n), seq));
      return new MemberWire.Heartbeat(h.viewId(), received, h.totalDelivered());
    }
    return wire(m);
  }

  /** The interned instance equal to {@code id}, if there is one. */
  private NodeId intern(NodeId id) {
    for (int i = 0; i < interned; i++) {
      if (internedIds[i].equals(id)) {
        return internedIds[i];
      }
    }
    return id;
  }

  private MemberWire.App app(byte[] b, int start, int end) {
    int[] at = {start};
    long viewId = 0;
    NodeId sender = null;
    long seq = 0;
    boolean total = false;
    byte[] payload = null;
    while (at[0] < end) {
      switch (tag(b, at, end)) {
        case 8 -> viewId = varint(b, at, end);
        case 18 -> {
          int len = length(b, at, end);
          sender = intern(b, at[0], len);
          at[0] += len;
        }
        case 24 -> seq = varint(b, at, end);
        case 32 -> total = varint(b, at, end) != 0;
        case 42 -> {
          int len = length(b, at, end);
          payload = Arrays.copyOfRange(b, at[0], at[0] + len);
          at[0] += len;
        }
        default -> throw NotFast.INSTANCE;
      }
    }
    if (sender == null) {
      throw NotFast.INSTANCE; // an empty sender: the slow path refuses it, saying so
    }
    return new MemberWire.App(viewId, sender, seq, total, payload == null ? new byte[0] : payload);
  }

  /** An OrderBatchMessage laid out as the generated code writes it (else: not fast). */
  private MemberWire orderBatch(byte[] b, int start, int end) {
    int[] at = {start};
    long viewId = 0;
    long first = 0;
    List<MemberWire.OrderRun> runs = new ArrayList<>();
    while (at[0] < end) {
      switch (tag(b, at, end)) {
        case 8 -> viewId = varint(b, at, end);
        case 16 -> first = varint(b, at, end);
        case 26 -> {
          int len = length(b, at, end);
          int runEnd = at[0] + len;
          NodeId sender = null;
          long firstSeq = 0;
          int count = 0;
          while (at[0] < runEnd) {
            switch (tag(b, at, runEnd)) {
              case 10 -> {
                int n = length(b, at, runEnd);
                sender = intern(b, at[0], n);
                at[0] += n;
              }
              case 16 -> firstSeq = varint(b, at, runEnd);
              case 24 -> count = (int) varint(b, at, runEnd); // uint32: the low 32 bits
              default -> throw NotFast.INSTANCE;
            }
          }
          if (sender == null || count < 1 || firstSeq < 1
              || firstSeq - 1 > Long.MAX_VALUE - count) {
            throw NotFast.INSTANCE; // the slow path says what is wrong
          }
          runs.add(new MemberWire.OrderRun(sender, firstSeq, count));
        }
        default -> throw NotFast.INSTANCE;
      }
    }
    if (runs.isEmpty() || first < 1) {
      throw NotFast.INSTANCE;
    }
    return new MemberWire.OrderBatch(viewId, first, runs);
  }

  /** The node id whose UTF-8 is {@code b[off, off+len)}, the same instance every time. */
  private NodeId intern(byte[] b, int off, int len) {
    NodeId known = find(b, off, len);
    if (known != null) {
      return known;
    }
    for (int i = off; i < off + len; i++) {
      byte c = b[i];
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.'
          || c == '_' || c == '-' || c == '#')) {
        throw NotFast.INSTANCE; // not an id (or not ASCII): the slow path says what is wrong
      }
    }
    NodeId id = NodeId.of(new String(b, off, len, StandardCharsets.US_ASCII));
    if (interned < MAX_INTERNED) {
      add(id, Arrays.copyOfRange(b, off, off + len));
    }
    return id;
  }

  private NodeId find(byte[] b, int off, int len) {
    for (int i = 0; i < interned; i++) {
      byte[] k = internedBytes[i];
      if (k.length == len && Arrays.equals(k, 0, len, b, off, off + len)) {
        return internedIds[i];
      }
    }
    return null;
  }

  private void add(NodeId id, byte[] utf8) {
    if (interned == internedIds.length) {
      internedIds = Arrays.copyOf(internedIds, interned * 2);
      internedBytes = Arrays.copyOf(internedBytes, interned * 2);
    }
    internedIds[interned] = id;
    internedBytes[interned++] = utf8;
  }

  /** A varint at {@code at[0]}, which moves past it; at most 10 bytes, as protobuf reads them. */
  private static long varint(byte[] b, int[] at, int end) {
    int i = at[0];
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= end) {
        throw NotFast.INSTANCE;
      }
      byte x = b[i++];
      v |= (long) (x & 0x7f) << shift;
      if (x >= 0) {
        at[0] = i;
        return v;
      }
    }
    throw NotFast.INSTANCE;
  }

  /** A field's tag. */
  private static int tag(byte[] b, int[] at, int end) {
    long tag = varint(b, at, end);
    if (tag < 0 || tag > Integer.MAX_VALUE) {
      throw NotFast.INSTANCE;
    }
    return (int) tag;
  }

  /** A length prefix that fits in what is left before {@code end}. */
  private static int length(byte[] b, int[] at, int end) {
    long len = varint(b, at, end);
    if (len < 0 || len > end - at[0]) {
      throw NotFast.INSTANCE;
    }
    return (int) len;
  }

  // ---------------------------------------------------------------- to protobuf

  private static MemberMessage message(MemberWire w) {
    MemberMessage.Builder m = MemberMessage.newBuilder();
    if (w instanceof MemberWire.App a) {
      m.setApp(app(a));
    } else if (w instanceof MemberWire.Order o) {
      m.setOrder(order(o));
    } else if (w instanceof MemberWire.OrderBatch b) {
      OrderBatchMessage.Builder ob = OrderBatchMessage.newBuilder().setViewId(b.viewId())
          .setFirst(b.first());
      for (MemberWire.OrderRun r : b.runs()) {
        ob.addRuns(OrderRun.newBuilder().setSender(r.sender().value()).setFirstSeq(r.firstSeq())
            .setCount(r.count()));
      }
      m.setOrderBatch(ob);
    } else if (w instanceof MemberWire.Heartbeat h) {
      HeartbeatMessage.Builder b = HeartbeatMessage.newBuilder().setViewId(h.viewId())
          .setTotalDelivered(h.totalDelivered());
      h.received().forEach((n, seq) -> b.putReceived(n.value(), seq));
      m.setHeartbeat(b);
    } else if (w instanceof MemberWire.Gone g) {
      m.setGone(GoneMessage.newBuilder().setViewId(g.viewId()).setPeer(g.peer().value()));
    } else if (w instanceof MemberWire.Leave l) {
      m.setLeave(LeaveMessage.newBuilder().setViewId(l.viewId()));
    } else if (w instanceof MemberWire.StateTransfer st) {
      m.setStateTransfer(StateTransferMessage.newBuilder().setViewId(st.viewId())
          .setState(ByteString.copyFrom(st.state())));
    } else if (w instanceof MemberWire.Join) {
      m.setJoin(JoinMessage.getDefaultInstance());
    } else if (w instanceof MemberWire.NotMember n) {
      m.setNotMember(NotMemberMessage.newBuilder().setViewId(n.viewId()));
    } else if (w instanceof MemberWire.Prepare p) {
      m.setPrepare(PrepareMessage.newBuilder().setBallot(ballot(p.ballot())).setViewId(p.viewId()));
    } else if (w instanceof MemberWire.Promise p) {
      PromiseMessage.Builder b = PromiseMessage.newBuilder().setBallot(ballot(p.ballot()))
          .setViewId(p.viewId());
      if (p.accepted() != null) {
        b.setAcceptedBallot(ballot(p.acceptedBallot())).setAccepted(proposal(p.accepted()));
      }
      p.delivered().forEach(a -> b.addDelivered(app(a)));
      p.orders().forEach(o -> b.addOrders(order(o)));
      b.setLacksState(!p.hasState());
      m.setPromise(b);
    } else if (w instanceof MemberWire.Nack n) {
      m.setNack(NackMessage.newBuilder().setBallot(ballot(n.ballot()))
          .setPromised(ballot(n.promised())));
    } else if (w instanceof MemberWire.Accept a) {
      AcceptMessage.Builder b = AcceptMessage.newBuilder().setBallot(ballot(a.ballot()))
          .setProposal(proposal(a.proposal()));
      a.quorum().forEach(q -> b.addQuorum(q.value()));
      m.setAccept(b);
    } else if (w instanceof MemberWire.Accepted a) {
      m.setAccepted(AcceptedMessage.newBuilder().setBallot(ballot(a.ballot()))
          .setViewId(a.viewId()));
    } else if (w instanceof MemberWire.Install i) {
      m.setInstall(InstallMessage.newBuilder().setProposal(proposal(i.proposal())));
    }
    return m.build();
  }

  private static AppMessage app(MemberWire.App a) {
    return AppMessage.newBuilder().setViewId(a.viewId()).setSender(a.sender().value())
        .setSeq(a.seq()).setTotal(a.total()).setPayload(ByteString.copyFrom(a.payload())).build();
  }

  private static OrderMessage order(MemberWire.Order o) {
    return OrderMessage.newBuilder().setViewId(o.viewId()).setNumber(o.number())
        .setSender(o.sender().value()).setSeq(o.seq()).build();
  }

  private static Ballot ballot(MemberWire.Ballot b) {
    return Ballot.newBuilder().setRound(b.round()).setCoordinator(b.coordinator().value()).build();
  }

  private static ProposalMessage proposal(MemberWire.Proposal p) {
    ViewMessage.Builder v = ViewMessage.newBuilder().setId(p.view().id());
    p.view().members().forEach(n -> v.addMembers(n.value()));
    ProposalMessage.Builder b = ProposalMessage.newBuilder().setView(v);
    p.union().forEach(a -> b.addUnion(app(a)));
    p.orders().forEach(o -> b.addOrders(order(o)));
    p.incarnations().forEach((n, inc) -> b.putIncarnations(n.value(), inc));
    p.joined().stream().map(NodeId::value).sorted().forEach(b::addJoined);
    p.departed().stream().map(NodeId::value).sorted().forEach(b::addDeparted);
    return b.build();
  }

  // ---------------------------------------------------------------- from protobuf

  private static MemberWire wire(MemberMessage m) {
    return switch (m.getKindCase()) {
      case APP -> app(m.getApp());
      case ORDER -> order(m.getOrder());
      case ORDER_BATCH -> orderBatch(m.getOrderBatch());
      case HEARTBEAT -> heartbeat(m.getHeartbeat());
      case LEAVE -> new MemberWire.Leave(m.getLeave().getViewId());
      case GONE -> new MemberWire.Gone(m.getGone().getViewId(),
          node(m.getGone().getPeer(), "gone peer"));
      case STATE_TRANSFER -> new MemberWire.StateTransfer(m.getStateTransfer().getViewId(),
          m.getStateTransfer().getState().toByteArray());
      case JOIN -> new MemberWire.Join();
      case NOT_MEMBER -> new MemberWire.NotMember(m.getNotMember().getViewId());
      case PREPARE -> new MemberWire.Prepare(ballot(m.getPrepare().hasBallot(),
          m.getPrepare().getBallot()), m.getPrepare().getViewId());
      case PROMISE -> promise(m.getPromise());
      case NACK -> new MemberWire.Nack(ballot(m.getNack().hasBallot(), m.getNack().getBallot()),
          ballot(m.getNack().hasPromised(), m.getNack().getPromised()));
      case ACCEPT -> accept(m.getAccept());
      case ACCEPTED -> new MemberWire.Accepted(ballot(m.getAccepted().hasBallot(),
          m.getAccepted().getBallot()), m.getAccepted().getViewId());
      case INSTALL -> new MemberWire.Install(proposal(m.getInstall().hasProposal(),
          m.getInstall().getProposal()));
      case KIND_NOT_SET -> throw new IllegalArgumentException("message of no known kind");
    };
  }

  private static MemberWire.Heartbeat heartbeat(HeartbeatMessage h) {
    Map<NodeId, Long> received = new LinkedHashMap<>();
    h.getReceivedMap().forEach((n, seq) -> received.put(node(n, "heartbeat sender key"), seq));
    return new MemberWire.Heartbeat(h.getViewId(), received, h.getTotalDelivered());
  }

  private static MemberWire.Promise promise(PromiseMessage p) {
    boolean accepted = p.hasAccepted();
    if (accepted != p.hasAcceptedBallot()) {
      throw new IllegalArgumentException("promise has an accepted proposal without its ballot,"
          + " or the other way round");
    }
    List<MemberWire.App> delivered = new ArrayList<>();
    p.getDeliveredList().forEach(a -> delivered.add(app(a)));
    List<MemberWire.Order> orders = new ArrayList<>();
    p.getOrdersList().forEach(o -> orders.add(order(o)));
    return new MemberWire.Promise(ballot(p.hasBallot(), p.getBallot()), p.getViewId(),
        accepted ? ballot(true, p.getAcceptedBallot()) : null,
        accepted ? proposal(true, p.getAccepted()) : null, delivered, orders, !p.getLacksState());
  }

  private static MemberWire.App app(AppMessage a) {
    return new MemberWire.App(a.getViewId(), node(a.getSender(), "app sender"), a.getSeq(),
        a.getTotal(), a.getPayload().toByteArray());
  }

  private static MemberWire.Order order(OrderMessage o) {
    return new MemberWire.Order(o.getViewId(), o.getNumber(), node(o.getSender(), "order sender"),
        o.getSeq());
  }

  private static MemberWire.OrderBatch orderBatch(OrderBatchMessage b) {
    if (b.getRunsCount() == 0) {
      throw new IllegalArgumentException("order batch without runs");
    }
    List<MemberWire.OrderRun> runs = new ArrayList<>(b.getRunsCount());
    for (int i = 0; i < b.getRunsCount(); i++) {
      OrderRun r = b.getRuns(i);
      if (r.getCount() < 1 || r.getFirstSeq() < 1
          || r.getFirstSeq() - 1 > Long.MAX_VALUE - r.getCount()) {
        throw new IllegalArgumentException("order batch run " + i + ": first seq "
            + Long.toUnsignedString(r.getFirstSeq()) + " and count "
            + Integer.toUnsignedString(r.getCount()) + " out of range");
      }
      runs.add(new MemberWire.OrderRun(node(r.getSender(), "order batch sender"),
          r.getFirstSeq(), r.getCount()));
    }
    if (b.getFirst() < 1) {
      throw new IllegalArgumentException("order batch from place "
          + Long.toUnsignedString(b.getFirst()) + " out of range");
    }
    return new MemberWire.OrderBatch(b.getViewId(), b.getFirst(), runs);
  }

  private static MemberWire.Accept accept(AcceptMessage a) {
    MemberWire.Ballot ballot = ballot(a.hasBallot(), a.getBallot());
    List<NodeId> quorum = new ArrayList<>();
    for (String q : a.getQuorumList()) {
      NodeId n = node(q, "quorum member");
      if (quorum.contains(n)) {
        throw new IllegalArgumentException("accept lists quorum member " + n + " twice");
      }
      quorum.add(n);
    }
    if (!quorum.contains(ballot.coordinator())) {
      throw new IllegalArgumentException("accept's quorum " + quorum
          + " lacks its coordinator " + ballot.coordinator());
    }
    return new MemberWire.Accept(ballot, proposal(a.hasProposal(), a.getProposal()), quorum);
  }

  private static MemberWire.Ballot ballot(boolean present, Ballot b) {
    if (!present) {
      throw new IllegalArgumentException("ballot missing");
    }
    return new MemberWire.Ballot(b.getRound(), node(b.getCoordinator(), "ballot coordinator"));
  }

  private static MemberWire.Proposal proposal(boolean present, ProposalMessage p) {
    if (!present || !p.hasView()) {
      throw new IllegalArgumentException("proposal or its view missing");
    }
    List<NodeId> members = new ArrayList<>();
    for (String m : p.getView().getMembersList()) {
      members.add(node(m, "view member"));
    }
    View view = new View(p.getView().getId(), members);
    List<MemberWire.App> union = new ArrayList<>();
    p.getUnionList().forEach(a -> union.add(app(a)));
    List<MemberWire.Order> orders = new ArrayList<>();
    p.getOrdersList().forEach(o -> orders.add(order(o)));
    Map<NodeId, Integer> incarnations = new LinkedHashMap<>();
    p.getIncarnationsMap().forEach((n, inc) -> {
      if (inc < 1 || inc > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("incarnation " + Integer.toUnsignedString(inc)
            + " of " + n + " out of range");
      }
      incarnations.put(node(n, "incarnation key"), inc);
    });
    Set<NodeId> joined = new HashSet<>();
    for (String j : p.getJoinedList()) {
      joined.add(node(j, "joiner"));
    }
    if (!incarnations.keySet().equals(Set.copyOf(members)) || !members.containsAll(joined)) {
      throw new IllegalArgumentException("proposal for " + view + " lists incarnations "
          + incarnations.keySet() + " and joiners " + joined + " that do not match its members");
    }
    Set<NodeId> departed = new HashSet<>();
    for (String d : p.getDepartedList()) {
      departed.add(node(d, "departed member"));
    }
    if (departed.stream().anyMatch(members::contains)) {
      throw new IllegalArgumentException("proposal for " + view + " lists departed members "
          + departed + " that are still in it");
    }
    return new MemberWire.Proposal(view, union, orders, incarnations, joined, departed);
  }

  private static NodeId node(String value, String what) {
    try {
      return NodeId.of(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }
}
