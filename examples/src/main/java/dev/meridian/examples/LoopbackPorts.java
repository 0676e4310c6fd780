package dev.meridian.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Ports for the demos' members, all on 127.0.0.1. */
final class LoopbackPorts {
  private LoopbackPorts() {}

  /** {@code n} distinct ports that were free a moment ago (all held at once, then released). */
  static int[] free(int n) {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      for (ServerSocket s : held) {
        s.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
    return ports;
  }
}
