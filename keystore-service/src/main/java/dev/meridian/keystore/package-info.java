/**
 * The Byzantine-tolerant key service: verifiable Shamir shares on a grid quorum system.
 *
 * <p>Not built yet: issues 7 and 8 fill this module. It exists now so that the build, the
 * enforcer rules and the one runnable jar already have their final shape.
 */
package dev.meridian.keystore;
