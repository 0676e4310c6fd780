package dev.meridian.keystore.tls;

import dev.meridian.keystore.config.KeyFiles;
import dev.meridian.keystore.tls.TlsFileException.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for the key service's TLS, on BouncyCastle: a CA certificate, and
 * certificates it signs for servers and clients. Keys are ECDSA P-256 (every JDK TLS stack
 * speaks it), signatures SHA256withECDSA. Files are PEM: {@code PREFIX.tls.crt} holds a
 * certificate, {@code PREFIX.tls.key} its unencrypted PKCS#8 private key (what gRPC reads).
 *
 * <p>A certificate issued here is good for both TLS roles (server and client authentication), as
 * a key server both accepts calls and dials its peers; its subject alternative names are the
 * hosts given (IP literals as IP addresses, anything else as DNS names), which a client checks
 * against the address it dialled. Validity starts an hour back, so a peer whose clock is a
 * little behind does not refuse a certificate made a moment ago.
 *
 * <p>Guarantees: a private key file is created {@code rw-------} from the start (where POSIX
 * permissions exist; {@link KeyFiles#createPrivate}), and no file is ever written over: if one
 * of a pair exists, neither is written. Reading refuses a private key file the group or others
 * may access. Failure model: {@link IOException} naming the file and the problem ({@link
 * TlsFileException} when reading), never key material.
 */
public final class TlsCertificates {
  /** Validity of a CA certificate made by {@link #writeCa} when none is given: ten years. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** Validity of a certificate made by {@link #issue} when none is given: one year. */
  public static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(365);
  /** How far back a new certificate's validity starts (clock skew between peers). */
  static final Duration BACKDATE = Duration.ofHours(1);

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private TlsCertificates() {}

  /** The certificate file of {@code prefix}: {@code PREFIX.tls.crt}. */
  public static Path certificateFile(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + ".tls.crt");
  }

  /** The private key file of {@code prefix}: {@code PREFIX.tls.key}. */
  public static Path privateKeyFile(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + ".tls.key");
  }

  /**
   * Makes a new CA named {@code name}: a self-signed certificate allowed to sign certificates
   * (and nothing else), written to {@code PREFIX.tls.crt}, and its key to {@code PREFIX.tls.key}.
   *
   * @throws FileAlreadyExistsException if either file exists (nothing is written)
   */
  public static X509Certificate writeCa(Path prefix, String name, Duration validity,
      SecureRandom random) throws IOException {
    checkAbsent(prefix);
    KeyPair pair = newKeyPair(random);
    X500Name subject = name(name);
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(random),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject,
          pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate ca = sign(b, pair.getPrivate());
      write(prefix, ca, pair.getPrivate());
      return ca;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make a CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Makes a certificate for {@code commonName} with the given hosts as subject alternative
   * names, signed by the CA at {@code caPrefix}, and writes it to {@code PREFIX.tls.crt} with its
   * new key in {@code PREFIX.tls.key}.
   *
   * @param hosts IP addresses or DNS names the holder is reached at (may be empty for a client)
   * @throws FileAlreadyExistsException if either output file exists (nothing is written)
   * @throws TlsFileException if the CA's files do not read, or its key is not its certificate's
   * @throws IllegalArgumentException if a host is neither an IP literal nor a DNS name
   */
  public static X509Certificate issue(Path caPrefix, Path prefix, String commonName,
      List<String> hosts, Duration validity, SecureRandom random) throws IOException {
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      names.add(subjectAltName(host));
    }
    checkAbsent(prefix);
    List<X509Certificate> caChain = readCertificates(certificateFile(caPrefix), Part.TRUSTED_CA);
    X509Certificate ca = caChain.get(0);
    PrivateKey caKey = readPrivateKey(privateKeyFile(caPrefix));
    checkPair(ca, caKey, certificateFile(caPrefix), privateKeyFile(caPrefix));
    if (ca.getBasicConstraints() < 0) {
      throw new TlsFileException(Part.TRUSTED_CA, certificateFile(caPrefix)
          + " is not a CA certificate (no basic constraint cA=true)");
    }
    KeyPair pair = newKeyPair(random);
    Instant now = Instant.now();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(ca.getNotAfter().toInstant())) {
      notAfter = ca.getNotAfter().toInstant(); // a certificate cannot outlive its CA
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(random),
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), name(commonName),
          pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(ca));
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate cert = sign(b, caKey);
      write(prefix, cert, pair.getPrivate());
      return cert;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make a certificate for " + commonName + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * The certificates in a PEM file, in file order (at least one).
   *
   * @param part which file of a TLS configuration this is, for the exception
   * @throws TlsFileException if the file is missing, unreadable or holds no certificate
   */
  public static List<X509Certificate> readCertificates(Path file, Part part)
      throws TlsFileException {
    byte[] bytes = readFile(file, part, "certificate file");
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (var c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new TlsFileException(part, file + " is not a PEM certificate file: "
          + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new TlsFileException(part, file + " holds no certificate (expected PEM: -----BEGIN"
          + " CERTIFICATE-----)");
    }
    return out;
  }

  /**
   * The private key in a PEM file: unencrypted PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}),
   * the form gRPC reads. The file must be private to its owner.
   *
   * @throws TlsFileException if the file is missing, accessible to group or others, or does not
   *     hold such a key (the message names the PEM type found, never the content)
   */
  public static PrivateKey readPrivateKey(Path file) throws TlsFileException {
    try {
      KeyFiles.checkPrivate(file);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(Part.PRIVATE_KEY, "no such private key file: " + file);
    } catch (IOException e) {
      throw new TlsFileException(Part.PRIVATE_KEY, e.getMessage());
    }
    byte[] bytes = readFile(file, Part.PRIVATE_KEY, "private key file");
    String text = new String(bytes, StandardCharsets.US_ASCII);
    java.util.Arrays.fill(bytes, (byte) 0);
    Object parsed;
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      parsed = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new TlsFileException(Part.PRIVATE_KEY, file + " is not a PEM private key file");
    }
    if (parsed instanceof PEMKeyPair) {
      throw new TlsFileException(Part.PRIVATE_KEY, file + " holds a traditional (OpenSSL) key;"
          + " gRPC needs PKCS#8: openssl pkcs8 -topk8 -nocrypt -in " + file);
    }
    if (!(parsed instanceof PrivateKeyInfo info)) {
      throw new TlsFileException(Part.PRIVATE_KEY, file + " holds no unencrypted PKCS#8 private"
          + " key (expected -----BEGIN PRIVATE KEY-----"
          + (parsed == null ? ")" : ", found " + parsed.getClass().getSimpleName() + ")"));
    }
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (PEMException e) {
      throw new TlsFileException(Part.PRIVATE_KEY, file + " holds a private key this JVM cannot"
          + " use (" + info.getPrivateKeyAlgorithm().getAlgorithm() + ")");
    }
  }

  /**
   * Checks that {@code key} is the private half of {@code certificate}'s public key, by signing
   * a random challenge and verifying it.
   *
   * @throws TlsFileException ({@link Part#PRIVATE_KEY}) if it is not
   */
  public static void checkPair(X509Certificate certificate, PrivateKey key, Path certificateFile,
      Path keyFile) throws TlsFileException {
    PublicKey pub = certificate.getPublicKey();
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null || !key.getAlgorithm().equals(pub.getAlgorithm())) {
      throw new TlsFileException(Part.PRIVATE_KEY, keyFile + " is a " + key.getAlgorithm()
          + " key, but the certificate in " + certificateFile + " has a " + pub.getAlgorithm()
          + " key" + (algorithm == null ? " (supported: EC, RSA, Ed25519)" : ""));
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(challenge);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(pub);
      v.update(challenge);
      if (v.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // the key does not fit the certificate: reported below
    }
    throw new TlsFileException(Part.PRIVATE_KEY, keyFile + " is not the private key of the"
        + " certificate in " + certificateFile);
  }

  /**
   * Checks that {@code certificate} is signed by one of {@code cas} and is valid now.
   *
   * @throws TlsFileException ({@link Part#CERTIFICATE}) if no CA signed it, or it has expired or
   *     is not yet valid
   */
  public static void checkIssuedBy(X509Certificate certificate, List<X509Certificate> cas,
      Path certificateFile, Path caFile) throws TlsFileException {
    try {
      certificate.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new TlsFileException(Part.CERTIFICATE, "the certificate in " + certificateFile
          + " expired on " + certificate.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw new TlsFileException(Part.CERTIFICATE, "the certificate in " + certificateFile
          + " is not valid before " + certificate.getNotBefore().toInstant());
    }
    for (X509Certificate ca : cas) {
      try {
        certificate.verify(ca.getPublicKey());
        return;
      } catch (GeneralSecurityException e) {
        // try the next CA
      }
    }
    throw new TlsFileException(Part.CERTIFICATE, "the certificate in " + certificateFile + " ("
        + certificate.getSubjectX500Principal().getName() + ", issued by "
        + certificate.getIssuerX500Principal().getName() + ") is not signed by a certificate in "
        + caFile);
  }

  /** The PEM text of {@code certificates}, in order. */
  static String pem(List<X509Certificate> certificates) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      for (X509Certificate c : certificates) {
        w.writeObject(c);
      }
    }
    return text.toString();
  }

  /**
   * Checks that {@code host} can name a certificate's holder: an IP literal or a DNS name.
   *
   * @throws IllegalArgumentException saying which it is not
   */
  public static void checkHost(String host) {
    subjectAltName(host);
  }

  private static GeneralName subjectAltName(String host) {
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (IPV4.matcher(h).matches() || h.contains(":")) {
      try {
        // A literal: InetAddress parses it without a lookup, and refuses a bad one.
        return new GeneralName(GeneralName.iPAddress,
            new org.bouncycastle.asn1.DEROctetString(InetAddress.getByName(h).getAddress()));
      } catch (IOException e) {
        throw new IllegalArgumentException("host \"" + host + "\" is not a valid IP address");
      }
    }
    if (!h.matches("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")) {
      throw new IllegalArgumentException("host \"" + host + "\" is neither an IP address nor a"
          + " DNS name");
    }
    return new GeneralName(GeneralName.dNSName, h);
  }

  private static X500Name name(String commonName) {
    if (commonName == null || commonName.isBlank()) {
      throw new IllegalArgumentException("a certificate needs a non-empty name");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static KeyPair newKeyPair(SecureRandom random) throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("this JVM cannot make P-256 keys: " + e.getMessage(), e);
    }
  }

  /** A positive random serial of 127 bits (RFC 5280: unique per CA, at most 20 octets). */
  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).setBit(0);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, CertificateException {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
  }

  private static void checkAbsent(Path prefix) throws IOException {
    for (Path p : new Path[] {certificateFile(prefix), privateKeyFile(prefix)}) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(p.toString(), null,
            "refusing to overwrite an existing file");
      }
    }
  }

  /** Writes the key (private from creation) first, then the certificate; undoes on failure. */
  private static void write(Path prefix, X509Certificate certificate, PrivateKey key)
      throws IOException {
    Path keyFile = privateKeyFile(prefix);
    Path certFile = certificateFile(prefix);
    KeyFiles.createPrivate(keyFile);
    try {
      try (Writer out = Files.newBufferedWriter(keyFile, StandardCharsets.US_ASCII,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          JcaPEMWriter pem = new JcaPEMWriter(out)) {
        pem.writeObject(new JcaPKCS8Generator(key, null));
      }
      Files.writeString(certFile, pem(List.of(certificate)), StandardCharsets.US_ASCII,
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
  }

  private static byte[] readFile(Path file, Part part, String what) throws TlsFileException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(part, "no such " + what + ": " + file);
    } catch (IOException e) {
      throw new TlsFileException(part, what + " " + file + " cannot be read: " + e);
    }
  }
}
