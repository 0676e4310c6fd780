/**
 * The Byzantine-tolerant key service: secrets sealed under fresh data keys, the data keys split
 * with Feldman-verifiable Shamir among n servers arranged in a quorum system, of which up to f
 * may be Byzantine. {@link dev.meridian.keystore.client.KeystoreClient} is the client, {@link
 * dev.meridian.keystore.server.KeyServer} one server, {@link dev.meridian.keystore.LocalGrid} a
 * whole grid in one process. README "Key service" states the guarantees and their limits.
 */
package dev.meridian.keystore;
