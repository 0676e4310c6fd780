package dev.meridian.snapshot;

import dev.meridian.NodeId;
import dev.meridian.replica.Codec;
import dev.meridian.replica.GroupMember;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Settings of a new {@link SnapshotMember}. All are required: the {@link #member} it runs
 * alongside, the address it {@link #listen}s on, one {@link #peer} address for each of the group
 * member's peers, both codecs, the {@link #recorder} and the {@link #inbox}. A bad value fails
 * naming the setting.
 *
 * @param <A> the application's message type
 * @param <S> the recorded-state type
 */
public final class SnapshotMemberBuilder<A, S> {
  private GroupMember<?, ?, ?> member;
  private String listenAddress;
  private final Map<NodeId, String> peers = new LinkedHashMap<>();
  private Codec<A> messageCodec;
  private Codec<S> stateCodec;
  private SnapshotMember.StateRecorder<S> recorder;
  private SnapshotMember.Inbox<A> inbox;

  SnapshotMemberBuilder() {}

  /** The group member to run alongside: its node id, its peers, its views. */
  public SnapshotMemberBuilder<A, S> member(GroupMember<?, ?, ?> groupMember) {
    this.member = nonNull("member", groupMember);
    return this;
  }

  /** {@code host:port} for this member's snapshot links (not the group member's address). */
  public SnapshotMemberBuilder<A, S> listen(String address) {
    this.listenAddress = nonNull("listen", address);
    return this;
  }

  /** A peer of the group member and the address its snapshot links listen on. */
  public SnapshotMemberBuilder<A, S> peer(NodeId id, String address) {
    nonNull("peer id", id);
    nonNull("peer address", address);
    if (peers.putIfAbsent(id, address) != null) {
      throw new IllegalArgumentException("peer " + id + " given twice");
    }
    return this;
  }

  /** The application's messages on the wire. */
  public SnapshotMemberBuilder<A, S> messageCodec(Codec<A> codec) {
    this.messageCodec = nonNull("messageCodec", codec);
    return this;
  }

  /** The recorded states on the wire. */
  public SnapshotMemberBuilder<A, S> stateCodec(Codec<S> codec) {
    this.stateCodec = nonNull("stateCodec", codec);
    return this;
  }

  /** Records the local state for a snapshot. */
  public SnapshotMemberBuilder<A, S> recorder(SnapshotMember.StateRecorder<S> stateRecorder) {
    this.recorder = nonNull("recorder", stateRecorder);
    return this;
  }

  /** Receives the application's messages. */
  public SnapshotMemberBuilder<A, S> inbox(SnapshotMember.Inbox<A> applicationInbox) {
    this.inbox = nonNull("inbox", applicationInbox);
    return this;
  }

  /**
   * Starts the member: it listens, connects to its peers and follows the group member's views.
   *
   * @throws IllegalStateException if a setting is missing, or the peers are not the group
   *     member's
   */
  public SnapshotMember<A> start() {
    StringBuilder missing = new StringBuilder();
    missing.append(member == null ? " member" : "").append(listenAddress == null ? " listen" : "")
        .append(messageCodec == null ? " messageCodec" : "")
        .append(stateCodec == null ? " stateCodec" : "").append(recorder == null ? " recorder" : "")
        .append(inbox == null ? " inbox" : "");
    if (missing.length() > 0) {
      throw new IllegalStateException("a snapshot member needs settings it lacks:" + missing);
    }
    SnapshotMemberConfig<A, S> config = new SnapshotMemberConfig<>(member, listenAddress,
        Map.copyOf(peers), messageCodec, stateCodec, recorder, inbox);
    Iterator<SnapshotMemberFactory> it =
        ServiceLoader.load(SnapshotMemberFactory.class).iterator();
    if (!it.hasNext()) {
      throw new IllegalStateException("no Meridian engine found: add the dependency"
          + " dev.meridian:meridian-replication next to meridian-api");
    }
    return it.next().start(config);
  }

  private static <T> T nonNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
