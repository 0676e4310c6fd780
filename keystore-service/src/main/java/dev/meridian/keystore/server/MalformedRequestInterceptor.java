package dev.meridian.keystore.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Answers a request that is not a valid protobuf message of its method's type with
 * INVALID_ARGUMENT naming the method, where gRPC itself would answer INTERNAL (it parses
 * requests before any service code runs). The call fails; the server goes on serving.
 */
final class MalformedRequestInterceptor implements ServerInterceptor {
  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (status.getCode() == Status.Code.INTERNAL && (causedByBadProtobuf(status.getCause())
            || "Invalid protobuf byte sequence".equals(status.getDescription()))) {
          status = Status.INVALID_ARGUMENT.withDescription(
              "request to " + method + " is not a valid protobuf message of its type");
        }
        super.close(status, trailers);
      }
    }, headers);
  }

  private static boolean causedByBadProtobuf(Throwable t) {
    for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
      if (t instanceof InvalidProtocolBufferException) {
        return true;
      }
    }
    return false;
  }
}
