package dev.meridian.transport;

import dev.meridian.NodeId;
import dev.meridian.proto.v1.LinkFrame;
import dev.meridian.proto.v1.MemberLinkGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;

/**
 * The server side of {@code MemberLink.Exchange}: validates each inbound stream and hands its
 * frames to the transport's handler.
 *
 * <p>Threading: gRPC calls a stream's observer serially, on a Netty event-loop thread (the server
 * uses {@code directExecutor()}). Different streams may run concurrently; the frames of one sender
 * are delivered under that sender's lock, which is what keeps a superseded stream from
 * interleaving with its successor.
 */
final class InboundService extends MemberLinkGrpc.MemberLinkImplBase {
  private final GrpcTransport owner;
  private final Map<NodeId, Sender> senders;

  /** What the receiver knows of one peer's streams. Guarded by itself. */
  private static final class Sender {
    final NodeId id;
    boolean seen;
    long incarnation; // of the newest stream seen, whose frames are the only ones delivered
    long epoch;

    Sender(NodeId id) {
      this.id = id;
    }
  }

  InboundService(GrpcTransport owner) {
    this.owner = owner;
    Map<NodeId, Sender> m = new HashMap<>();
    for (NodeId p : owner.peers()) {
      m.put(p, new Sender(p));
    }
    this.senders = Collections.unmodifiableMap(m);
  }

  @Override
  public StreamObserver<LinkFrame> exchange(StreamObserver<LinkFrame> responses) {
    ServerCallStreamObserver<LinkFrame> call = (ServerCallStreamObserver<LinkFrame>) responses;
    call.setOnCancelHandler(() -> { }); // a peer going away is routine, not an error to log
    return new InboundCall(call);
  }

  /** One inbound stream. Its methods are called serially by gRPC. */
  private final class InboundCall implements StreamObserver<LinkFrame> {
    private final ServerCallStreamObserver<LinkFrame> call;
    private Sender sender;
    private long incarnation;
    private long epoch;
    private boolean done;

    InboundCall(ServerCallStreamObserver<LinkFrame> call) {
      this.call = call;
    }

    @Override
    public void onNext(LinkFrame frame) {
      if (done) {
        return;
      }
      if (owner.isClosed()) {
        done = true;
        return;
      }
      if (sender == null && !identify(frame)) {
        return;
      }
      if (!frame.getFromNode().equals(sender.id.value())
          || frame.getFromIncarnation() != incarnation || frame.getStreamEpoch() != epoch) {
        reject(Status.INVALID_ARGUMENT.withDescription("stream began as " + sender.id + "#"
            + incarnation + " epoch " + epoch + " but a frame claims "
            + frame.getFromNode() + "#" + frame.getFromIncarnation() + " epoch "
            + frame.getStreamEpoch() + "; identity may not change within a stream"), null);
        return;
      }
      ByteBuffer packed = frame.getPackedEnvelopes().asReadOnlyByteBuffer();
      int count;
      try {
        count = EnvelopePacking.validate(packed);
      } catch (EnvelopePacking.MalformedPackingException e) {
        reject(Status.INVALID_ARGUMENT.withDescription("malformed packed_envelopes from "
            + sender.id + ": " + e.getMessage()), null);
        return;
      }
      Transport.FrameHandler handler = owner.handler();
      synchronized (sender) {
        if (!current(sender)) {
          return;
        }
        EnvelopePacking.unpack(packed, envelope -> {
          try {
            handler.onFrame(sender.id, envelope);
          } catch (RuntimeException e) {
            GrpcTransport.LOG.log(Level.SEVERE, "frame handler of " + owner.self()
                + " threw on a frame from " + sender.id, e);
          }
        });
      }
      owner.counters().batchesReceived.increment();
      owner.counters().framesReceived.add(count);
    }

    /** Reads the stream's identity from its first frame; false if the stream was rejected. */
    private boolean identify(LinkFrame frame) {
      NodeId id;
      try {
        id = NodeId.of(frame.getFromNode());
      } catch (IllegalArgumentException e) {
        reject(Status.INVALID_ARGUMENT.withDescription("from_node is not a valid node id: "
            + e.getMessage()), null);
        return false;
      }
      Sender s = senders.get(id);
      if (s == null) {
        reject(Status.PERMISSION_DENIED.withDescription(id + " is not a peer of "
            + owner.self() + (id.equals(owner.self()) ? " (it is this node's own id)" : "")),
            null);
        return false;
      }
      sender = s;
      incarnation = frame.getFromIncarnation();
      epoch = frame.getStreamEpoch();
      return true;
    }

    /**
     * Whether this stream is the newest of its sender, adopting it if it is newer than any seen;
     * rejects it if it is older. Holds the sender's lock.
     */
    private boolean current(Sender s) {
      int byIncarnation = Long.compareUnsigned(incarnation, s.incarnation);
      int byEpoch = Long.compareUnsigned(epoch, s.epoch);
      if (!s.seen || byIncarnation > 0 || (byIncarnation == 0 && byEpoch > 0)) {
        s.seen = true;
        s.incarnation = incarnation;
        s.epoch = epoch;
        return true;
      }
      if (byIncarnation == 0 && byEpoch == 0) {
        return true;
      }
      if (byIncarnation < 0) {
        reject(Status.FAILED_PRECONDITION.withDescription(s.id + " incarnation "
            + Long.toUnsignedString(incarnation) + " is older than incarnation "
            + Long.toUnsignedString(s.incarnation) + " already seen; a restarted member must "
            + "use a larger incarnation"), null);
      } else {
        Metadata trailers = new Metadata();
        trailers.put(OutboundLink.EPOCH_FLOOR_KEY, Long.toUnsignedString(s.epoch));
        reject(Status.ABORTED.withDescription("stream epoch " + Long.toUnsignedString(epoch)
            + " of " + s.id + " was superseded by epoch " + Long.toUnsignedString(s.epoch)),
            trailers);
      }
      return false;
    }

    private void reject(Status status, Metadata trailers) {
      done = true;
      owner.counters().inboundRejected.increment();
      GrpcTransport.LOG.warning(() -> owner.self() + " rejected an inbound stream: "
          + status.getCode() + ": " + status.getDescription());
      try {
        call.onError(status.asRuntimeException(trailers));
      } catch (RuntimeException alreadyClosed) {
        // the peer went away first
      }
    }

    @Override
    public void onError(Throwable t) {
      done = true; // the peer cancelled or the connection broke: the peer reconnects
    }

    @Override
    public void onCompleted() {
      done = true;
      try {
        call.onCompleted();
      } catch (RuntimeException alreadyClosed) {
        // cancelled meanwhile
      }
    }
  }
}
