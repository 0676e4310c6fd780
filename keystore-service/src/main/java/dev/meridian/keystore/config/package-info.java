/**
 * Configuration files of the key service, in {@link java.util.Properties} format: a server's
 * ({@link dev.meridian.keystore.config.ServerSettings}) and a client's ({@link
 * dev.meridian.keystore.config.ClientSettings}), their key files ({@link
 * dev.meridian.keystore.config.KeyFiles}), and a local grid whose identities and client configs
 * live in a directory ({@link dev.meridian.keystore.config.GridDirectory}).
 *
 * <p>Parsing validates every field once and refuses a bad one with a {@link
 * dev.meridian.keystore.config.ConfigException} naming the file, the field and what is wrong;
 * nothing here ever puts a private key in a message or a {@code toString}. README "Running the
 * key service" shows both formats.
 */
package dev.meridian.keystore.config;
