package dev.meridian.replica;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The codecs behind {@link Codec#bytes()}, {@link Codec#utf8()} and {@link Codec#int64()}. */
final class StandardCodecs {
  private StandardCodecs() {}

  enum Bytes implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
      if (value == null) {
        throw new IllegalArgumentException("Codec.bytes(): value to encode must not be null");
      }
      return value.clone();
    }

    @Override
    public byte[] decode(byte[] bytes) {
      if (bytes == null) {
        throw new IllegalArgumentException("Codec.bytes(): bytes to decode must not be null");
      }
      return bytes.clone();
    }

    @Override
    public String toString() {
      return "Codec.bytes()";
    }
  }

  enum Utf8 implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
      if (value == null) {
        throw new IllegalArgumentException("Codec.utf8(): string to encode must not be null");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (Character.isHighSurrogate(c)) {
          if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
            i++;
            continue;
          }
          throw unpaired(c, i);
        }
        if (Character.isLowSurrogate(c)) {
          throw unpaired(c, i);
        }
      }
      return value.getBytes(StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException unpaired(char c, int index) {
      return new IllegalArgumentException(
          String.format(
              "Codec.utf8(): string has an unpaired surrogate U+%04X at index %d; it has no UTF-8"
                  + " form",
              (int) c, index));
    }

    @Override
    public String decode(byte[] bytes) {
      if (bytes == null) {
        throw new IllegalArgumentException("Codec.utf8(): bytes to decode must not be null");
      }
      // A fresh decoder per call: decoders are stateful and not thread-safe.
      CharsetDecoder decoder =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      ByteBuffer in = ByteBuffer.wrap(bytes);
      try {
        CharBuffer out = decoder.decode(in);
        return out.toString();
      } catch (CharacterCodingException e) {
        // After a failure the buffer's position is at the start of the bad sequence.
        throw new IllegalArgumentException(
            "Codec.utf8(): malformed UTF-8 at byte " + in.position() + " of " + bytes.length
                + " (" + e.getMessage() + ")",
            e);
      }
    }

    @Override
    public String toString() {
      return "Codec.utf8()";
    }
  }

  enum Int64 implements Codec<Long> {
    INSTANCE;

    @Override
    public byte[] encode(Long value) {
      if (value == null) {
        throw new IllegalArgumentException("Codec.int64(): value to encode must not be null");
      }
      long v = value;
      byte[] out = new byte[Long.BYTES];
      for (int i = Long.BYTES - 1; i >= 0; i--) {
        out[i] = (byte) v;
        v >>>= 8;
      }
      return out;
    }

    @Override
    public Long decode(byte[] bytes) {
      if (bytes == null) {
        throw new IllegalArgumentException("Codec.int64(): bytes to decode must not be null");
      }
      if (bytes.length != Long.BYTES) {
        throw new IllegalArgumentException(
            "Codec.int64(): needs exactly 8 bytes, got " + bytes.length
                + (bytes.length <= 16 ? " " + Arrays.toString(bytes) : ""));
      }
      long v = 0;
      for (byte b : bytes) {
        v = (v << 8) | (b & 0xFF);
      }
      return v;
    }

    @Override
    public String toString() {
      return "Codec.int64()";
    }
  }
}
