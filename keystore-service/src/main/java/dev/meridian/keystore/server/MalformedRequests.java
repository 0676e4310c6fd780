package dev.meridian.keystore.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.meridian.proto.v1.SignedRecord;
import dev.meridian.proto.v1.SignedRequest;
import dev.meridian.proto.v1.WriteBackRequest;
import dev.meridian.proto.v1.WriteRequest;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.InputStream;
import java.util.Map;

/**
 * Lets a request that is not a valid protobuf message of its method's type reach the service as
 * a recognizable placeholder, so that it is answered INVALID_ARGUMENT naming the method. Left to
 * gRPC, a request that fails to parse is answered UNKNOWN or INTERNAL ("Application error
 * processing RPC"), and logged as a server failure.
 *
 * <p>How: each method's request marshaller is wrapped; when parsing fails it returns a sentinel
 * instance of the request type, which {@link #isMalformed} recognizes by identity (no parsed
 * message is ever that very object).
 */
final class MalformedRequests {
  private static final Map<Class<?>, Object> SENTINELS = Map.of(
      SignedRequest.class, SignedRequest.newBuilder()
          .setSignature(ByteString.copyFromUtf8("malformed")).build(),
      WriteRequest.class, WriteRequest.newBuilder()
          .setShare(ByteString.copyFromUtf8("malformed")).build(),
      WriteBackRequest.class, WriteBackRequest.newBuilder()
          .setShare(ByteString.copyFromUtf8("malformed")).build(),
      SignedRecord.class, SignedRecord.newBuilder()
          .setSignature(ByteString.copyFromUtf8("malformed")).build());

  private MalformedRequests() {}

  /** Whether {@code request} stands for bytes that did not parse. */
  static boolean isMalformed(Object request) {
    return request != null && SENTINELS.get(request.getClass()) == request;
  }

  /** {@code service} with every request marshaller made tolerant. */
  static ServerServiceDefinition tolerant(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder out =
        ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      out.addMethod(tolerant(method));
    }
    return out.build();
  }

  private static <Q, A> ServerMethodDefinition<Q, A> tolerant(ServerMethodDefinition<Q, A> def) {
    MethodDescriptor<Q, A> descriptor = def.getMethodDescriptor();
    MethodDescriptor.Marshaller<Q> parse = descriptor.getRequestMarshaller();
    @SuppressWarnings("unchecked")
    Q sentinel = (Q) SENTINELS.values().stream()
        .filter(s -> s.getClass() == sentinelType(descriptor))
        .findFirst().orElse(null);
    if (sentinel == null) {
      return def; // not a request type of ours: leave it to gRPC
    }
    MethodDescriptor.Marshaller<Q> marshaller = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Q value) {
        return parse.stream(value);
      }

      @Override
      public Q parse(InputStream stream) {
        try {
          return parse.parse(stream);
        } catch (RuntimeException e) {
          return sentinel;
        }
      }
    };
    return ServerMethodDefinition.create(
        descriptor.toBuilder().setRequestMarshaller(marshaller).build(), def.getServerCallHandler());
  }

  private static Class<?> sentinelType(MethodDescriptor<?, ?> descriptor) {
    if (descriptor.getRequestMarshaller()
        instanceof MethodDescriptor.PrototypeMarshaller<?> prototype) {
      Object message = prototype.getMessagePrototype();
      return message instanceof MessageLite ? message.getClass() : null;
    }
    return null;
  }
}
