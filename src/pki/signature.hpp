#pragma once
/// @file
/// Signatures made with a node's MQTT key, as ESP RainMaker firmware makes them
/// for challenge-response user-node mapping (spec rainmaker.md §4.3,
/// esp-rainmaker `esp_rmaker_node_auth.c`): the message is hashed with SHA-256
/// and the hash is signed with
/// - ECDSA P-256: the DER-encoded `Ecdsa-Sig-Value` (SEQUENCE of r, s), or
/// - RSA: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a salt as long as the hash
///   (32 bytes; what mbedTLS's `mbedtls_rsa_rsassa_pss_sign` picks for RSA keys
///   of 2048 bits and more).

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace stratus::pki {

/// Signs `data` (any bytes) with `key` in the format above; returns the raw
/// signature bytes (DER for ECDSA, modulus-sized for RSA). What a node does:
/// Stratus uses it for tests and device simulation. Errors: internal with
/// OpenSSL's text if signing fails. Thread-safe.
[[nodiscard]] Result<std::string> sign_message(const PrivateKey& key, std::string_view data);

/// Checks that `signature` (raw bytes, not hex) is a signature of `data` in the
/// format above, by the private half of `certificate`'s public key. Only the
/// signature is checked: not the certificate's validity dates, issuer or
/// extensions. Errors: invalid_argument when the signature does not verify
/// (wrong key, altered data, malformed or empty signature) or the certificate's
/// key is neither EC P-256 nor RSA 2048..4096 bits; internal if OpenSSL cannot
/// set up the check. Thread-safe.
[[nodiscard]] Result<void> verify_signature(const Certificate& certificate, std::string_view data,
                                            std::string_view signature);

}  // namespace stratus::pki
