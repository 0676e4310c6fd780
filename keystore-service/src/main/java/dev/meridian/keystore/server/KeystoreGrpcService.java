package dev.meridian.keystore.server;

import dev.meridian.proto.v1.AdminReply;
import dev.meridian.proto.v1.CompleteReply;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StatsReply;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.keystore.server.ServerMetrics.Operation;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gRPC face of a {@link KeyServerCore}: each call is answered with the core's reply or with
 * the status of its {@link Rejection}. Anything else a request provokes (a bug) is answered with
 * INTERNAL and logged without the request, and the server keeps serving. Every call is counted
 * in the core's {@link ServerMetrics}: answered or refused (with its reason), and how long the
 * service took, from the parsed request to the answer handed to gRPC.
 */
public final class KeystoreGrpcService extends KeystoreGrpc.KeystoreImplBase {
  private static final Logger log = Logger.getLogger(KeystoreGrpcService.class.getName());
  private final KeyServerCore core;

  public KeystoreGrpcService(KeyServerCore core) {
    this.core = core;
  }

  @Override
  public void read(SignedRequest request, StreamObserver<ReadReply> reply) {
    answer(Operation.READ, request, core::read, reply);
  }

  @Override
  public void write(WriteRequest request, StreamObserver<StoreAck> reply) {
    answer(Operation.WRITE, request, core::write, reply);
  }

  @Override
  public void writeBack(WriteBackRequest request, StreamObserver<StoreAck> reply) {
    answer(Operation.WRITE_BACK, request, core::writeBack, reply);
  }

  @Override
  public void complete(SignedRequest request, StreamObserver<CompleteReply> reply) {
    answer(Operation.COMPLETE, request, core::complete, reply);
  }

  @Override
  public void openSession(SignedRequest request, StreamObserver<SessionGrant> reply) {
    answer(Operation.OPEN_SESSION, request, core::openSession, reply);
  }

  @Override
  public void admin(SignedRequest request, StreamObserver<AdminReply> reply) {
    // Answered when agreement among the servers decided it: not on this thread.
    answer(Operation.ADMIN, request, r -> {
      core.admin(r).whenComplete((answer, thrown) -> {
        // A stage derived from a failed one fails with the cause wrapped.
        Throwable failure = thrown instanceof java.util.concurrent.CompletionException wrapped
            && wrapped.getCause() != null ? wrapped.getCause() : thrown;
        if (failure == null) {
          reply.onNext(answer);
          reply.onCompleted();
        } else if (failure instanceof Rejection rejection) {
          reply.onError(rejection.toStatus().asRuntimeException());
        } else {
          reply.onError(Status.INTERNAL.withDescription("server " + core.config().serverId()
              + " failed on this admin request").asRuntimeException());
        }
      });
      return null;
    }, reply);
  }

  @Override
  public void adminLog(SignedRequest request,
      StreamObserver<dev.meridian.proto.v1.AdminLogReply> reply) {
    answer(Operation.ADMIN, request, core::adminLog, reply);
  }

  @Override
  public void stats(SignedRequest request, StreamObserver<StatsReply> reply) {
    answer(Operation.STATS, request, core::stats, reply);
  }

  @Override
  public void refreshDeal(dev.meridian.proto.v1.RefreshDealing request,
      StreamObserver<dev.meridian.proto.v1.RefreshDealAck> reply) {
    answer(Operation.ADMIN, request, core::refreshDeal, reply);
  }

  @Override
  public void handoffDeal(dev.meridian.proto.v1.HandoffDealing request,
      StreamObserver<dev.meridian.proto.v1.RefreshDealAck> reply) {
    answer(Operation.ADMIN, request, core::handoffDeal, reply);
  }

  private <Q, A> void answer(Operation op, Q request, Function<Q, A> handler,
      StreamObserver<A> reply) {
    ServerMetrics metrics = core.metrics();
    long start = System.nanoTime();
    if (MalformedRequests.isMalformed(request)) {
      metrics.refused(op, Rejection.Reason.MALFORMED, micros(start));
      reply.onError(Status.INVALID_ARGUMENT.withDescription("request to server "
          + core.config().serverId() + " is not a valid protobuf message of its method's type")
          .asRuntimeException());
      return;
    }
    A answer;
    try {
      answer = handler.apply(request);
    } catch (Rejection r) {
      metrics.refused(op, r.reason(), micros(start));
      reply.onError(r.toStatus().asRuntimeException());
      return;
    } catch (RuntimeException e) {
      // The exception's class only: its message might quote request content.
      log.log(Level.SEVERE, "server {0}: a request failed unexpectedly ({1})",
          new Object[] {core.config().serverId(), e.getClass().getName()});
      metrics.refused(op, Rejection.Reason.INTERNAL, micros(start));
      reply.onError(Status.INTERNAL.withDescription("server " + core.config().serverId()
          + " failed on this request").asRuntimeException());
      return;
    }
    metrics.answered(op, micros(start));
    if (answer != null) { // null: the handler answers later itself
      reply.onNext(answer);
      reply.onCompleted();
    }
  }

  private static long micros(long startNanos) {
    return (System.nanoTime() - startNanos) / 1000;
  }
}
