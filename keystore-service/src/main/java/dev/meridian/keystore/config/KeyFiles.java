package dev.meridian.keystore.config;

import dev.meridian.keystore.crypto.SigningKey;
import dev.meridian.keystore.crypto.VerifyingKey;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 identities on disk: a key file holds the 32-byte seed as 64 hex digits and a newline, a
 * public-key file ({@code .pub}) the 32-byte public key the same way.
 *
 * <p>Guarantees: a key file is created with permissions {@code rw-------} from the start (where
 * the file system supports POSIX permissions), and never over an existing file. A key file that
 * the group or others may access is refused when read, as ssh does. Messages name the path and
 * what is wrong, never the content; seed bytes are zeroed after use (best effort on a JVM).
 *
 * <p>Failure model: every method throws {@link IOException} with such a message; {@link
 * FileAlreadyExistsException} when asked to write over a file.
 */
public final class KeyFiles {
  private static final int HEX_DIGITS = 64;
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private KeyFiles() {}

  /** The key file of identity {@code prefix}: {@code PREFIX.key}. */
  public static Path keyFile(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + ".key");
  }

  /** The public-key file of identity {@code prefix}: {@code PREFIX.pub}. */
  public static Path publicKeyFile(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + ".pub");
  }

  /**
   * Writes a new identity: {@code PREFIX.key} (the seed, {@code rw-------}) and {@code PREFIX.pub}.
   * Neither file may exist; if one does, nothing is written.
   *
   * @throws FileAlreadyExistsException naming the file that exists
   */
  public static void writeIdentity(Path prefix, SigningKey key) throws IOException {
    Path keyFile = keyFile(prefix);
    Path pubFile = publicKeyFile(prefix);
    for (Path p : new Path[] {keyFile, pubFile}) {
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(p.toString(), null,
            "refusing to overwrite an existing file");
      }
    }
    writeSigningKey(keyFile, key);
    try {
      writePublicKey(pubFile, key.verifyingKey());
    } catch (IOException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
  }

  /**
   * Creates {@code file} ({@code rw-------} where POSIX permissions exist) holding the seed of
   * {@code key} in hex.
   *
   * @throws FileAlreadyExistsException if the file exists
   */
  public static void writeSigningKey(Path file, SigningKey key) throws IOException {
    byte[] seed = key.seed();
    byte[] text = new byte[HEX_DIGITS + 1];
    try {
      for (int i = 0; i < seed.length; i++) {
        text[2 * i] = HEX[(seed[i] >> 4) & 0xf];
        text[2 * i + 1] = HEX[seed[i] & 0xf];
      }
      text[HEX_DIGITS] = '\n';
      createPrivate(file);
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(text);
      }
    } finally {
      Arrays.fill(seed, (byte) 0);
      Arrays.fill(text, (byte) 0);
    }
  }

  /**
   * Creates {@code file} holding {@code key} in hex.
   *
   * @throws FileAlreadyExistsException if the file exists
   */
  public static void writePublicKey(Path file, VerifyingKey key) throws IOException {
    Files.writeString(file, hex(key) + "\n", StandardCharsets.US_ASCII,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /**
   * The signing key in {@code file}.
   *
   * @throws IOException if the file is missing or unreadable, accessible to group or others, or
   *     not 64 hex digits (the message gives the length found, not the content)
   */
  public static SigningKey readSigningKey(Path file) throws IOException {
    checkPrivate(file);
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no such key file");
    }
    byte[] seed = null;
    try {
      int from = 0;
      int to = raw.length;
      while (from < to && Character.isWhitespace(raw[from])) {
        from++;
      }
      while (to > from && Character.isWhitespace(raw[to - 1])) {
        to--;
      }
      if (to - from != HEX_DIGITS) {
        throw new IOException("key file " + file + " must hold 64 hex digits (a 32-byte Ed25519"
            + " seed), but holds " + (to - from) + " characters");
      }
      seed = new byte[HEX_DIGITS / 2];
      for (int i = 0; i < seed.length; i++) {
        int hi = Character.digit(raw[from + 2 * i], 16);
        int lo = Character.digit(raw[from + 2 * i + 1], 16);
        if (hi < 0 || lo < 0) {
          throw new IOException("key file " + file + " must hold 64 hex digits (a 32-byte"
              + " Ed25519 seed), but holds other characters");
        }
        seed[i] = (byte) (hi << 4 | lo);
      }
      return SigningKey.fromSeed(seed);
    } finally {
      Arrays.fill(raw, (byte) 0);
      if (seed != null) {
        Arrays.fill(seed, (byte) 0);
      }
    }
  }

  /**
   * The public key in {@code file} (64 hex digits, surrounding white space ignored).
   *
   * @throws IOException if the file is missing or unreadable, or does not hold a valid key
   */
  public static VerifyingKey readPublicKey(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no such public-key file");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IOException("public-key file " + file + " is not 64 hex digits");
    }
    try {
      return parsePublicKey(text);
    } catch (IllegalArgumentException e) {
      throw new IOException("public-key file " + file + ": " + e.getMessage());
    }
  }

  /**
   * The public key written as 64 hex digits.
   *
   * @throws IllegalArgumentException if it is not 64 hex digits or not a valid Ed25519 key
   */
  public static VerifyingKey parsePublicKey(String hex) {
    if (!isPublicKeyHex(hex)) {
      throw new IllegalArgumentException("an Ed25519 public key is 64 hex digits, got "
          + hex.length() + " characters");
    }
    return VerifyingKey.fromBytes(HexFormat.of().parseHex(hex));
  }

  /** Whether {@code text} has the form of a public key: exactly 64 hex digits. */
  public static boolean isPublicKeyHex(String text) {
    return text != null && text.matches("[0-9a-fA-F]{64}");
  }

  /** The public key as 64 lower-case hex digits. */
  public static String hex(VerifyingKey key) {
    return HexFormat.of().formatHex(key.toBytes());
  }

  /**
   * Creates an empty file readable and writable by its owner only (where POSIX exists): the
   * permissions are set as the file is created, so no other user can open it in between.
   *
   * @throws FileAlreadyExistsException if the file exists
   */
  public static void createPrivate(Path file) throws IOException {
    if (supportsPosix(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(file);
    }
  }

  /**
   * Refuses a private key file that the group or others may access (as ssh does).
   *
   * @throws NoSuchFileException if it is missing
   * @throws IOException naming the file, its permissions and the chmod that fixes it
   */
  public static void checkPrivate(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such key file");
    }
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> permissions = view.readAttributes().permissions();
    for (PosixFilePermission p : permissions) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new IOException("key file " + file + " may be accessed by group or others ("
            + PosixFilePermissions.toString(permissions) + "); run chmod 600 " + file);
      }
    }
  }

  private static boolean supportsPosix(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    return dir != null && dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
