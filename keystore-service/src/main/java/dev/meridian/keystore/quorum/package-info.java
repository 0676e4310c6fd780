/**
 * Byzantine quorum systems for the key service: grid CR, grid MG and threshold, with the exhaustive
 * start-up check that an instance has intersection {@code >= f + t} and survives {@code f}
 * failures. The contract is DESIGN.md, "Key service: threat model and math".
 */
package dev.meridian.keystore.quorum;
