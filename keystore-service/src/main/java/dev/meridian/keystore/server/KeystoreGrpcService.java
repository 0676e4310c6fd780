package dev.meridian.keystore.server;

import dev.meridian.proto.v1.CompleteReply;
import dev.meridian.proto.v1.KeystoreGrpc;
import dev.meridian.proto.v1.ReadReply;
import dev.meridian.proto.v1.SessionGrant;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.StoreAck;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gRPC face of a {@link KeyServerCore}: each call is answered with the core's reply or with
 * the status of its {@link Rejection}. Anything else a request provokes (a bug) is answered with
 * INTERNAL and logged without the request, and the server keeps serving.
 */
public final class KeystoreGrpcService extends KeystoreGrpc.KeystoreImplBase {
  private static final Logger log = Logger.getLogger(KeystoreGrpcService.class.getName());
  private final KeyServerCore core;

  public KeystoreGrpcService(KeyServerCore core) {
    this.core = core;
  }

  @Override
  public void read(SignedRequest request, StreamObserver<ReadReply> reply) {
    answer(request, core::read, reply);
  }

  @Override
  public void write(WriteRequest request, StreamObserver<StoreAck> reply) {
    answer(request, core::write, reply);
  }

  @Override
  public void writeBack(WriteBackRequest request, StreamObserver<StoreAck> reply) {
    answer(request, core::writeBack, reply);
  }

  @Override
  public void complete(SignedRequest request, StreamObserver<CompleteReply> reply) {
    answer(request, core::complete, reply);
  }

  @Override
  public void openSession(SignedRequest request, StreamObserver<SessionGrant> reply) {
    answer(request, core::openSession, reply);
  }

  private <Q, A> void answer(Q request, Function<Q, A> handler, StreamObserver<A> reply) {
    if (MalformedRequests.isMalformed(request)) {
      reply.onError(Status.INVALID_ARGUMENT.withDescription("request to server "
          + core.config().serverId() + " is not a valid protobuf message of its method's type")
          .asRuntimeException());
      return;
    }
    A answer;
    try {
      answer = handler.apply(request);
    } catch (Rejection r) {
      reply.onError(r.toStatus().asRuntimeException());
      return;
    } catch (RuntimeException e) {
      // The exception's class only: its message might quote request content.
      log.log(Level.SEVERE, "server {0}: a request failed unexpectedly ({1})",
          new Object[] {core.config().serverId(), e.getClass().getName()});
      reply.onError(Status.INTERNAL.withDescription("server " + core.config().serverId()
          + " failed on this request").asRuntimeException());
      return;
    }
    reply.onNext(answer);
    reply.onCompleted();
  }
}
