package dev.meridian.transport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Makes a throwaway self-signed certificate for 127.0.0.1 with the JDK's own {@code keytool}
 * (the JDK has no public API to create certificates, and the tests add no dependency for it), and
 * writes it and its key as the PEM files {@link TlsConfig} takes.
 */
final class TestCertificates {
  private TestCertificates() {}

  static TlsConfig selfSignedFor127001(Path dir) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    assumeTrue(Files.isExecutable(keytool), "no keytool in " + keytool);
    Path store = dir.resolve("member.p12");
    char[] password = "test-only".toCharArray();
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "member",
        "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
        "-dname", "CN=meridian-test", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", new String(password), "-keypass", new String(password))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("keytool.log").toFile())
        .start();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("keytool did not finish within 15 s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("keytool failed with exit code " + p.exitValue() + ": "
          + Files.readString(dir.resolve("keytool.log")));
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, password);
    }
    Certificate cert = ks.getCertificate("member");
    PrivateKey key = (PrivateKey) ks.getKey("member", password);
    Path certPem = dir.resolve("member.crt.pem");
    Path keyPem = dir.resolve("member.key.pem");
    Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
    return TlsConfig.mutual(certPem, keyPem, certPem);
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
