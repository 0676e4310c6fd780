package dev.meridian.keystore.wire;

import com.google.protobuf.ByteString;
import dev.meridian.keystore.client.ServerEndpoint;
import dev.meridian.keystore.crypto.Hashes;
import dev.meridian.keystore.crypto.VerifyingKey;
import dev.meridian.keystore.quorum.InvalidQuorumSystemException;
import dev.meridian.keystore.quorum.QuorumCheck;
import dev.meridian.keystore.quorum.QuorumSystem;
import dev.meridian.keystore.quorum.QuorumSystems;
import dev.meridian.proto.v1.GridServer;
import dev.meridian.proto.v1.GridSpec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A grid as another grid knows it ({@link GridSpec}, carried by handoff admin actions): built
 * from a client's view of the grid, checked, and reduced to the identity both sides compare.
 *
 * <p>The identity ({@link #identity}) covers the server ids, their public keys in grid order,
 * the quorum kind and f, and not the addresses: a server's own configuration may name its
 * listening address differently (0.0.0.0) from the address others dial.
 */
public final class GridSpecs {
  /** Largest grid a spec may describe (x-coordinates are 1 … 255). */
  public static final int MAX_SERVERS = 255;
  private static final byte[] IDENTITY_TAG = "meridian grid identity v1".getBytes(
      StandardCharsets.US_ASCII);

  private GridSpecs() {}

  /** A checked grid: its servers in grid order, where they listen, their keys, its quorums. */
  public record Grid(List<String> ids, List<VerifyingKey> keys, List<InetSocketAddress> addresses,
      QuorumSystem quorums) {
    public Grid {
      ids = List.copyOf(ids);
      keys = List.copyOf(keys);
      addresses = List.copyOf(addresses);
    }

    /** SHA-256 of what identifies the grid (ids, keys, quorum kind, f). */
    public byte[] identity() {
      return GridSpecs.identity(ids, keys, quorums);
    }
  }

  /** The spec of the grid a client reaches through {@code servers} (grid order). */
  public static GridSpec of(List<ServerEndpoint> servers, QuorumSystem quorums) {
    GridSpec.Builder spec = GridSpec.newBuilder().setQuorumKind(quorums.kind().label())
        .setF(quorums.f());
    for (ServerEndpoint s : servers) {
      spec.addServers(GridServer.newBuilder().setId(s.id())
          .setPublicKey(ByteString.copyFrom(s.key().toBytes()))
          .setHost(s.address().getHostString()).setPort(s.address().getPort()));
    }
    return spec.build();
  }

  /**
   * Checks {@code spec}: 1 … {@value #MAX_SERVERS} servers with distinct valid ids, valid
   * Ed25519 keys, a host and a port each, and a quorum system that passes {@link QuorumCheck}.
   * A function of the bytes alone, so every server decides the same.
   *
   * @throws IllegalArgumentException naming the first bad field
   */
  public static Grid parse(GridSpec spec) {
    int n = spec.getServersCount();
    if (n < 1 || n > MAX_SERVERS) {
      throw new IllegalArgumentException("the grid lists " + n + " servers; allowed 1-"
          + MAX_SERVERS);
    }
    List<String> ids = new ArrayList<>(n);
    List<VerifyingKey> keys = new ArrayList<>(n);
    List<InetSocketAddress> addresses = new ArrayList<>(n);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      GridServer s = spec.getServers(i);
      if (!Names.isId(s.getId()) || !seen.add(s.getId())) {
        throw new IllegalArgumentException("grid server " + i + " has a bad or repeated id");
      }
      try {
        keys.add(VerifyingKey.fromBytes(s.getPublicKey().toByteArray()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("grid server " + s.getId() + ": " + e.getMessage());
      }
      if (s.getHost().isEmpty() || s.getHost().length() > 253 || s.getPort() < 1
          || s.getPort() > 65_535) {
        throw new IllegalArgumentException("grid server " + s.getId()
            + " needs a host and a port in 1-65535");
      }
      ids.add(s.getId());
      addresses.add(InetSocketAddress.createUnresolved(s.getHost(), s.getPort()));
    }
    QuorumSystem quorums;
    try {
      quorums = QuorumSystems.of(QuorumSystem.Kind.fromLabel(spec.getQuorumKind()), n,
          spec.getF());
      QuorumCheck.verify(quorums);
    } catch (InvalidQuorumSystemException e) {
      throw new IllegalArgumentException("the grid's quorum system is not valid: "
          + e.getMessage());
    }
    return new Grid(ids, keys, addresses, quorums);
  }

  /** SHA-256 of a grid's identity: its server ids and keys in grid order, quorum kind and f. */
  public static byte[] identity(List<String> ids, List<VerifyingKey> keys,
      QuorumSystem quorums) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(IDENTITY_TAG);
      out.writeUTF(quorums.kind().label());
      out.writeInt(quorums.f());
      out.writeInt(ids.size());
      for (int i = 0; i < ids.size(); i++) {
        out.writeUTF(ids.get(i));
        out.write(keys.get(i).toBytes());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // in memory: cannot happen
    }
    return Hashes.sha256(bytes.toByteArray());
  }
}
