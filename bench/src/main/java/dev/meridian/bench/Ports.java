package dev.meridian.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

final class Ports {
  private Ports() {}

  /**
   * {@code n} distinct ports that were free on 127.0.0.1 a moment ago (bound to port 0, all held
   * at once so they differ, then released).
   */
  static int[] freeLoopbackPorts(int n) {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      InetAddress loopback = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, loopback);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // released either way
        }
      }
    }
    return ports;
  }
}
