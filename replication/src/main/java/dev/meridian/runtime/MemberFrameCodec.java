package dev.meridian.runtime;

import com.google.protobuf.InvalidProtocolBufferException;
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
import dev.meridian.proto.v1.LeaveMessage;
import dev.meridian.proto.v1.StateTransferMessage;
import com.google.protobuf.ByteString;
import dev.meridian.proto.v1.MemberLinkFrame;
import dev.meridian.proto.v1.MemberMessage;
import dev.meridian.proto.v1.NackMessage;
import dev.meridian.proto.v1.NotMemberMessage;
import dev.meridian.proto.v1.OrderMessage;
import dev.meridian.proto.v1.PrepareMessage;
import dev.meridian.proto.v1.PromiseMessage;
import dev.meridian.proto.v1.ProposalMessage;
import dev.meridian.proto.v1.ViewMessage;
import java.util.ArrayList;
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
 */
public final class MemberFrameCodec implements WireCodec<LinkFrame<MemberWire>> {

  @Override
  public byte[] encode(LinkFrame<MemberWire> frame) {
    MemberLinkFrame.Builder b = MemberLinkFrame.newBuilder()
        .setSenderIncarnation(frame.senderIncarnation())
        .setReceiverIncarnation(frame.receiverIncarnation())
        .setAck(frame.ack())
        .setFirstSeq(frame.firstSeq());
    for (MemberWire w : frame.payloads()) {
      b.addPayloads(message(w));
    }
    return b.build().toByteArray();
  }

  @Override
  public LinkFrame<MemberWire> decode(byte[] bytes) {
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

  // ---------------------------------------------------------------- to protobuf

  private static MemberMessage message(MemberWire w) {
    MemberMessage.Builder m = MemberMessage.newBuilder();
    if (w instanceof MemberWire.App a) {
      m.setApp(app(a));
    } else if (w instanceof MemberWire.Order o) {
      m.setOrder(order(o));
    } else if (w instanceof MemberWire.Heartbeat h) {
      HeartbeatMessage.Builder b = HeartbeatMessage.newBuilder().setViewId(h.viewId())
          .setTotalDelivered(h.totalDelivered());
      h.received().forEach((n, seq) -> b.putReceived(n.value(), seq));
      m.setHeartbeat(b);
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
      m.setAccept(AcceptMessage.newBuilder().setBallot(ballot(a.ballot()))
          .setProposal(proposal(a.proposal())));
    } else if (w instanceof MemberWire.Accepted a) {
      m.setAccepted(AcceptedMessage.newBuilder().setBallot(ballot(a.ballot())));
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
      case HEARTBEAT -> heartbeat(m.getHeartbeat());
      case LEAVE -> new MemberWire.Leave(m.getLeave().getViewId());
      case STATE_TRANSFER -> new MemberWire.StateTransfer(m.getStateTransfer().getViewId(),
          m.getStateTransfer().getState().toByteArray());
      case JOIN -> new MemberWire.Join();
      case NOT_MEMBER -> new MemberWire.NotMember(m.getNotMember().getViewId());
      case PREPARE -> new MemberWire.Prepare(ballot(m.getPrepare().hasBallot(),
          m.getPrepare().getBallot()), m.getPrepare().getViewId());
      case PROMISE -> promise(m.getPromise());
      case NACK -> new MemberWire.Nack(ballot(m.getNack().hasBallot(), m.getNack().getBallot()),
          ballot(m.getNack().hasPromised(), m.getNack().getPromised()));
      case ACCEPT -> new MemberWire.Accept(ballot(m.getAccept().hasBallot(),
          m.getAccept().getBallot()), proposal(m.getAccept().hasProposal(),
          m.getAccept().getProposal()));
      case ACCEPTED -> new MemberWire.Accepted(ballot(m.getAccepted().hasBallot(),
          m.getAccepted().getBallot()));
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
