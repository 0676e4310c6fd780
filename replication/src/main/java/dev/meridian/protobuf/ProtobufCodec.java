package dev.meridian.protobuf;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.meridian.replica.Codec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A {@link Codec} for protobuf messages, so that replicated operations can be protobuf messages
 * out of the box (it lives here, not in {@code api}, which has no dependencies).
 *
 * <pre>{@code
 * Codec<AddItem> codec = ProtobufCodec.of(AddItem.parser());
 * }</pre>
 *
 * <ul>
 *   <li><i>Deterministic:</i> messages are written with protobuf's deterministic serialization
 *       (map entries sorted by key), so equal messages give equal bytes on every member — as long
 *       as every member runs the same protobuf-java version; protobuf promises no more.
 *   <li><i>Strict:</i> bytes that do not parse, or that lack a required field (proto2), are refused
 *       with an {@link IllegalArgumentException} naming the message type. Unknown fields — from a
 *       newer schema — are kept and written back, so a round trip never drops them.
 * </ul>
 *
 * @param <T> the message type
 */
public final class ProtobufCodec<T extends MessageLite> implements Codec<T> {
  private final Parser<T> parser;
  private final String typeName;

  private ProtobufCodec(Parser<T> parser, String typeName) {
    this.parser = parser;
    this.typeName = typeName;
  }

  /**
   * A codec for the messages {@code parser} reads, e.g. {@code ProtobufCodec.of(MyOp.parser())}.
   *
   * @throws IllegalArgumentException if {@code parser} is null
   */
  public static <T extends MessageLite> ProtobufCodec<T> of(Parser<T> parser) {
    if (parser == null) {
      throw new IllegalArgumentException("parser must not be null");
    }
    return new ProtobufCodec<>(parser, nameOf(parser));
  }

  @Override
  public byte[] encode(T value) {
    if (value == null) {
      throw new IllegalArgumentException("cannot encode a null " + typeName);
    }
    if (!value.isInitialized()) {
      throw new IllegalArgumentException("cannot encode a " + typeName
          + " that lacks required fields");
    }
    byte[] bytes = new byte[value.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    try {
      value.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("writing a " + typeName + " into an array failed", e);
    }
    return bytes;
  }

  @Override
  public T decode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("cannot decode a " + typeName + " from null");
    }
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a valid " + typeName + " (" + bytes.length
          + " bytes): " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "ProtobufCodec[" + typeName + "]";
  }

  /** The message type's simple name, from the parser's default instance where it can tell. */
  private static String nameOf(Parser<?> parser) {
    try {
      Object empty = parser.parsePartialFrom(new byte[0]);
      return empty.getClass().getSimpleName();
    } catch (InvalidProtocolBufferException e) {
      return "protobuf message";
    }
  }
}
