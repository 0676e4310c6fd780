package dev.meridian.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free ports on 127.0.0.1 for tests whose members must know each other's address up front. */
public final class LoopbackPorts {
  private LoopbackPorts() {}

  /**
   * {@code n} distinct ports that were free a moment ago (all held open together, so never the
   * same twice). Another process may take one before the test binds it: a rare, loud failure.
   */
  public static int[] free(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
