package dev.meridian.transport;

import dev.meridian.NodeId;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A peer's crash rehearsed once per JVM, in the background, on two throwaway {@link
 * GrpcTransport}s on 127.0.0.1: they exchange a frame each way, then one closes (its port closes
 * and its streams end, as a crashed process's do) and the other probes the port, finds it refused
 * and is told the peer looks gone.
 *
 * <p>Why: the first crash a member sees otherwise runs the transport's failure path for the first
 * time: gRPC's and Netty's stream-closing classes, {@link OutboundLink}'s callbacks (lambdas,
 * linked at first use), the probe. Measured in {@code bench failover} traces (2026-11-25): about 25
 * classes loaded and lambdas spun in each survivor within the 50 ms after a kill, on a machine
 * whose two cores were then also busy freeing the dead process's memory. The rehearsal pays that
 * at start-up instead. It shares nothing with the real transport but the JVM: its own ids, ports,
 * threads and no-op handler; it never logs (the transports are {@code quiet}); every wait is
 * bounded, and a rehearsal that fails only leaves that path cold.
 */
final class CrashRehearsal {
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** Bound of each wait: the link coming up, the frames, the hint. */
  static final Duration WAIT = Duration.ofSeconds(2);

  private CrashRehearsal() {}

  /** Starts the rehearsal on a daemon thread, unless one was started in this JVM already. */
  static void startOnce() {
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(CrashRehearsal::run, "meridian-crash-rehearsal");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Runs one rehearsal on the calling thread.
   *
   * @return whether it went as a crash does: frames both ways, then the survivor's hint
   */
  static boolean run() {
    NodeId survivorId = NodeId.of("rehearsal-survivor");
    NodeId victimId = NodeId.of("rehearsal-victim");
    Recorder atSurvivor = new Recorder();
    Recorder atVictim = new Recorder();
    GrpcTransport survivor = null;
    GrpcTransport victim = null;
    try {
      survivor = GrpcTransport.builder(survivorId).peer(victimId).quiet()
          .closeTimeout(WAIT).build();
      victim = GrpcTransport.builder(victimId).peer(survivorId).quiet()
          .closeTimeout(WAIT).build();
      survivor.start(atSurvivor);
      victim.start(atVictim);
      survivor.setPeerAddress(victimId, victim.localAddress());
      victim.setPeerAddress(survivorId, survivor.localAddress());
      survivor.send(victimId, new byte[] {1});
      victim.send(survivorId, new byte[] {1});
      if (!atVictim.frame.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)
          || !atSurvivor.frame.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return false;
      }
      victim.close();
      return atSurvivor.hint.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (RuntimeException e) { // e.g. no loopback port free: only a warm-up
      return false;
    } finally {
      if (victim != null) {
        victim.close();
      }
      if (survivor != null) {
        survivor.close();
      }
    }
  }

  private static final class Recorder implements Transport.FrameHandler {
    final CountDownLatch frame = new CountDownLatch(1);
    final CountDownLatch hint = new CountDownLatch(1);

    @Override
    public void onFrame(NodeId from, byte[] bytes) {
      frame.countDown();
    }

    @Override
    public void onPeerUnreachable(NodeId peer) {
      hint.countDown();
    }
  }
}
