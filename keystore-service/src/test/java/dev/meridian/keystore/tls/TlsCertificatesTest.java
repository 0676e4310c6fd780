package dev.meridian.keystore.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.keystore.tls.TlsFileException.Part;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA and the certificates it makes: the files load as the transport reads them, private keys
 * are private, nothing is overwritten, and each kind of bad file is refused naming which file.
 */
class TlsCertificatesTest {
  @TempDir Path dir;
  private final SecureRandom random = new SecureRandom();

  private TransportSecurity issued(Path ca, String id, List<String> hosts) throws Exception {
    Path prefix = dir.resolve(id);
    TlsCertificates.issue(ca, prefix, id, hosts, TlsCertificates.CERTIFICATE_VALIDITY, random);
    return TransportSecurity.mutualTls(TlsCertificates.certificateFile(prefix),
        TlsCertificates.privateKeyFile(prefix), TlsCertificates.certificateFile(ca));
  }

  @Test
  void aCaAndTheCertificatesItIssuesLoad() throws Exception {
    Path ca = dir.resolve("ca");
    X509Certificate caCert = TlsCertificates.writeCa(ca, "test CA", Duration.ofDays(30), random);
    assertTrue(caCert.getBasicConstraints() >= 0, "a CA certificate");
    TransportSecurity s0 = issued(ca, "s0", List.of("127.0.0.1", "localhost", "::1"));
    assertTrue(s0.isTls());
    X509Certificate cert = TlsCertificates.readCertificates(
        TlsCertificates.certificateFile(dir.resolve("s0")), Part.CERTIFICATE).get(0);
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    assertTrue(cert.getSubjectX500Principal().getName().contains("CN=s0"));
    assertEquals(List.of(List.of(7, "127.0.0.1"), List.of(2, "localhost"),
        List.of(7, "0:0:0:0:0:0:0:1")), cert.getSubjectAlternativeNames().stream()
            .map(n -> List.of(n.get(0), n.get(1))).toList());
    assertTrue(cert.getExtendedKeyUsage().containsAll(
        List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")), "server and client auth");
    assertEquals("EC", cert.getPublicKey().getAlgorithm());
    assertFalse(cert.getNotAfter().after(caCert.getNotAfter()), "outlives its CA");
    // a credentials object is made from the files without error
    s0.serverCredentials();
    s0.channelCredentials();
    assertFalse(s0.toString().contains("PRIVATE"), s0.toString());
  }

  @Test
  void privateKeyFilesAreOwnerOnlyAndNothingIsOverwritten() throws Exception {
    Path ca = dir.resolve("ca");
    TlsCertificates.writeCa(ca, "test CA", TlsCertificates.CA_VALIDITY, random);
    issued(ca, "alice", List.of());
    for (Path key : List.of(TlsCertificates.privateKeyFile(ca),
        TlsCertificates.privateKeyFile(dir.resolve("alice")))) {
      assertEquals("rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), key.toString());
      assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    }
    String before = Files.readString(TlsCertificates.certificateFile(dir.resolve("alice")));
    assertThrows(FileAlreadyExistsException.class, () -> TlsCertificates.issue(ca,
        dir.resolve("alice"), "alice", List.of(), Duration.ofDays(1), random));
    assertThrows(FileAlreadyExistsException.class,
        () -> TlsCertificates.writeCa(ca, "again", Duration.ofDays(1), random));
    assertEquals(before,
        Files.readString(TlsCertificates.certificateFile(dir.resolve("alice"))));
  }

  @Test
  void aKeyFileOthersMayReadIsRefused() throws Exception {
    Path ca = dir.resolve("ca");
    TlsCertificates.writeCa(ca, "test CA", TlsCertificates.CA_VALIDITY, random);
    issued(ca, "alice", List.of());
    Path key = TlsCertificates.privateKeyFile(dir.resolve("alice"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    TlsFileException e = assertThrows(TlsFileException.class, () -> TransportSecurity.mutualTls(
        TlsCertificates.certificateFile(dir.resolve("alice")), key,
        TlsCertificates.certificateFile(ca)));
    assertEquals(Part.PRIVATE_KEY, e.part());
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void badFilesAreRefusedNamingWhichFile() throws Exception {
    Path ca = dir.resolve("ca");
    Path other = dir.resolve("other");
    TlsCertificates.writeCa(ca, "test CA", TlsCertificates.CA_VALIDITY, random);
    TlsCertificates.writeCa(other, "other CA", TlsCertificates.CA_VALIDITY, random);
    issued(ca, "alice", List.of());
    issued(other, "bob", List.of());
    Path aliceCert = TlsCertificates.certificateFile(dir.resolve("alice"));
    Path aliceKey = TlsCertificates.privateKeyFile(dir.resolve("alice"));
    Path bobKey = TlsCertificates.privateKeyFile(dir.resolve("bob"));
    Path caCert = TlsCertificates.certificateFile(ca);

    TlsFileException e = assertThrows(TlsFileException.class,
        () -> TransportSecurity.mutualTls(aliceCert, bobKey, caCert));
    assertEquals(Part.PRIVATE_KEY, e.part());
    assertTrue(e.getMessage().contains("is not the private key of"), e.getMessage());

    e = assertThrows(TlsFileException.class, () -> TransportSecurity.mutualTls(aliceCert,
        aliceKey, TlsCertificates.certificateFile(other)));
    assertEquals(Part.CERTIFICATE, e.part());
    assertTrue(e.getMessage().contains("is not signed by"), e.getMessage());

    e = assertThrows(TlsFileException.class, () -> TransportSecurity.mutualTls(
        dir.resolve("missing.crt"), aliceKey, caCert));
    assertEquals(Part.CERTIFICATE, e.part());
    assertTrue(e.getMessage().contains("no such certificate file"), e.getMessage());

    Path garbage = Files.writeString(dir.resolve("garbage.crt"), "not a certificate\n");
    e = assertThrows(TlsFileException.class,
        () -> TransportSecurity.mutualTls(aliceCert, aliceKey, garbage));
    assertEquals(Part.TRUSTED_CA, e.part());

    // a certificate where the key should be: refused, and the message shows no PEM body
    Path notKey = dir.resolve("not.key");
    Files.copy(aliceCert, notKey);
    Files.setPosixFilePermissions(notKey, PosixFilePermissions.fromString("rw-------"));
    e = assertThrows(TlsFileException.class,
        () -> TransportSecurity.mutualTls(aliceCert, notKey, caCert));
    assertEquals(Part.PRIVATE_KEY, e.part());
    assertFalse(e.getMessage().contains("MII"), e.getMessage());
  }

  @Test
  void aHostThatIsNeitherAnIpNorADnsNameIsRefused() throws Exception {
    Path ca = dir.resolve("ca");
    TlsCertificates.writeCa(ca, "test CA", TlsCertificates.CA_VALIDITY, random);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> issued(ca, "s0", List.of("not a host")));
    assertTrue(e.getMessage().contains("not a host"), e.getMessage());
    assertFalse(Files.exists(TlsCertificates.privateKeyFile(dir.resolve("s0"))));
  }
}
