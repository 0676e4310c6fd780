package dev.meridian.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import org.jgroups.conf.ConfiguratorFactory;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.ProtocolStackConfigurator;

/**
 * JGroups protocol stacks derived from {@code jgroups-tcp.xml}, the fairly configured copy of the
 * shipped {@code tcp.xml} that {@link JGroupsGroup} runs (TCP and FD_SOCK2 on 127.0.0.1, TCPPING
 * with the members' ports, diag off, no virtual threads, bundler capacity 64k, FRAG4). Variants
 * start from that file and change only named protocols, so a correction made there reaches every
 * benchmark. Each change is checked: a protocol that is expected but missing is an error, never
 * silently skipped.
 */
final class JGroupsStacks {
  private JGroupsStacks() {}

  /** One member's stack, as a list of protocol configurations that may still be edited. */
  static final class Stack implements ProtocolStackConfigurator {
    private final List<ProtocolConfiguration> protocols;

    private Stack(List<ProtocolConfiguration> protocols) {
      this.protocols = protocols;
    }

    /** Sets attributes of the protocol named {@code name} (e.g. {@code "FD_ALL3"}). */
    Stack set(String name, Map<String, String> attributes) {
      protocols.get(indexOf(name)).getProperties().putAll(attributes);
      return this;
    }

    /** Removes the protocol named {@code name}. */
    Stack remove(String name) {
      protocols.remove(indexOf(name));
      return this;
    }

    /** Inserts a protocol with default attributes directly above the one named {@code below}. */
    Stack insertAbove(String below, String name) {
      protocols.add(indexOf(below) + 1, new ProtocolConfiguration(name, new HashMap<>()));
      return this;
    }

    boolean contains(String name) {
      return protocols.stream().anyMatch(p -> p.getProtocolName().equals(name));
    }

    /** Attribute {@code key} of protocol {@code name} as configured, or null. */
    String get(String name, String key) {
      return protocols.get(indexOf(name)).getProperties().get(key);
    }

    /** Protocol names bottom (transport) to top, e.g. "TCP TCPPING MERGE3 ...". */
    String names() {
      return protocols.stream().map(ProtocolConfiguration::getProtocolName)
          .collect(Collectors.joining(" "));
    }

    private int indexOf(String name) {
      for (int i = 0; i < protocols.size(); i++) {
        if (protocols.get(i).getProtocolName().equals(name)) {
          return i;
        }
      }
      throw new IllegalStateException("protocol " + name + " is not in the stack of "
          + JGroupsGroup.STACK + ": " + names());
    }

    @Override
    public String getProtocolStackString() {
      return names();
    }

    @Override
    public List<ProtocolConfiguration> getProtocolStack() {
      return protocols;
    }
  }

  /**
   * The stack of {@code jgroups-tcp.xml} for the member that listens on {@code ports[self]}, with
   * every port of {@code ports} in TCPPING's initial hosts.
   */
  static Stack tcp(int self, int[] ports) {
    StringJoiner hosts = new StringJoiner(",");
    for (int p : ports) {
      hosts.add("127.0.0.1[" + p + "]");
    }
    String xml = template().replace("@BIND_PORT@", Integer.toString(ports[self]))
        .replace("@INITIAL_HOSTS@", hosts.toString());
    try {
      ProtocolStackConfigurator parsed = ConfiguratorFactory.getStackConfigurator(
          new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      List<ProtocolConfiguration> copy = new ArrayList<>();
      for (ProtocolConfiguration p : parsed.getProtocolStack()) {
        copy.add(new ProtocolConfiguration(p.getProtocolName(), new HashMap<>(p.getProperties())));
      }
      return new Stack(copy);
    } catch (Exception e) {
      throw new IllegalStateException("cannot parse " + JGroupsGroup.STACK, e);
    }
  }

  private static String template() {
    try (InputStream in = JGroupsStacks.class.getResourceAsStream(JGroupsGroup.STACK)) {
      if (in == null) {
        throw new IllegalStateException("resource " + JGroupsGroup.STACK
            + " missing from the bench module");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
