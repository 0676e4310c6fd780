package dev.meridian.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.meridian.keystore.client.KeystoreClient;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.keystore.server.Rejection;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bytes that are not the message a method expects, and requests over the size limit, sent to a
 * real server over gRPC: each is refused with a status naming the problem, and the server goes
 * on serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedRequestTest {
  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static Status.Code send(ManagedChannel channel, String method, byte[] bytes) {
    MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("meridian.v1.Keystore", method))
        .setRequestMarshaller(RAW)
        .setResponseMarshaller(RAW)
        .build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, descriptor,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), bytes));
    return e.getStatus().getCode();
  }

  @Test
  void garbageAndOversizedRequestsAreRefusedAndTheServerKeepsServing() throws Exception {
    try (LocalGrid grid = LocalGrid.start(QuorumSystems.gridCr(9, 1), List.of("alice"));
        KeystoreClient alice = grid.client("alice", Duration.ofSeconds(3))) {
      alice.put("k", "v".getBytes(StandardCharsets.UTF_8));
      ManagedChannel raw = NettyChannelBuilder.forAddress(grid.server(0).address())
          .usePlaintext().maxInboundMessageSize(4 << 20).build();
      try {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
        for (String method : List.of("Read", "Write", "WriteBack", "Complete", "OpenSession",
            "Stats")) {
          assertEquals(Status.Code.INVALID_ARGUMENT, send(raw, method, garbage), method);
        }
        // A well-formed but empty request: no signature, no client.
        assertEquals(Status.Code.INVALID_ARGUMENT, send(raw, "Read", new byte[0]));
        // 2 MiB, over the 1 MiB limit: refused before it is parsed.
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, send(raw, "Write", new byte[2 << 20]));
        // The six that did not parse are counted as malformed; the empty one parsed.
        assertEquals(6, grid.server(0).metrics().snapshot().rejections()
            .get(Rejection.Reason.MALFORMED));
      } finally {
        raw.shutdownNow();
      }
      // Server 0 still serves: with server 4 down, every quorum needs rows 0 and 2 whole.
      grid.stop(4);
      assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), alice.get("k").value());
    }
  }
}
