package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.LocalGrid;
import dev.meridian.keystore.quorum.QuorumSystems;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gRPC health service of a key server: SERVING while up, NOT_SERVING once it closes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthServiceTest {
  private LocalGrid grid;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (grid != null) {
      grid.close();
    }
  }

  private static HealthCheckRequest request(String service) {
    return HealthCheckRequest.newBuilder().setService(service).build();
  }

  private HealthGrpc.HealthBlockingStub health() {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS);
  }

  @Test
  void servingWhileUpThenNotServingWhenClosedThenGone() throws Exception {
    grid = LocalGrid.start(QuorumSystems.gridCr(9, 1),
        List.of("alice"));
    channel = NettyChannelBuilder.forAddress(grid.server(0).address()).usePlaintext().build();
    assertEquals(ServingStatus.SERVING, health().check(request("")).getStatus());
    assertEquals(ServingStatus.SERVING,
        health().check(request(KeyServer.HEALTH_SERVICE)).getStatus());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> health().check(request("no.such.Service")));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

    // A watcher sees SERVING, then NOT_SERVING when the server starts closing; it then hangs
    // up, which lets the server finish closing (close() waits for calls in progress).
    BlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
    AtomicReference<ClientCallStreamObserver<HealthCheckRequest>> call = new AtomicReference<>();
    HealthGrpc.newStub(channel).watch(request(""),
        new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> stream) {
            call.set(stream);
          }

          @Override
          public void onNext(HealthCheckResponse response) {
            seen.add(response.getStatus());
            if (response.getStatus() == ServingStatus.NOT_SERVING) {
              call.get().cancel("seen", null);
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    assertEquals(ServingStatus.SERVING, seen.poll(10, TimeUnit.SECONDS));
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> grid.stop(0));
    assertEquals(ServingStatus.NOT_SERVING, seen.poll(10, TimeUnit.SECONDS));
    closing.get(20, TimeUnit.SECONDS);

    StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
        () -> health().check(request("")));
    assertEquals(Status.Code.UNAVAILABLE, gone.getStatus().getCode());
    assertTrue(seen.isEmpty(), () -> "nothing after NOT_SERVING: " + seen);
  }
}
