#pragma once
/// @file
/// The service layer's port for checking a node's signature against its
/// certificate (challenge-response mapping, spec rainmaker.md §4.3).
/// server/pki_signature_verifier implements it over src/pki, which `service`
/// may not use directly.

#include <string_view>

#include "core/error.hpp"

namespace stratus::service {

/// Checks signatures made with a node's MQTT private key. Implementations are
/// thread-safe and may block briefly (public-key arithmetic).
class NodeSignatureVerifier {
 public:
  virtual ~NodeSignatureVerifier() = default;

  /// Whether `signature` (raw bytes) is the node's signature of `data`, made as
  /// the firmware makes it (SHA-256 of `data`; ECDSA P-256 with a DER signature,
  /// or RSA-PSS with MGF1-SHA-256 and a 32-byte salt), by the key of
  /// `certificate_pem` (a node certificate this cloud issued). Errors:
  /// invalid_argument when the signature does not verify (wrong key, other
  /// data, malformed bytes); internal when `certificate_pem` does not parse or
  /// the check cannot run.
  [[nodiscard]] virtual Result<void> verify(std::string_view certificate_pem, std::string_view data,
                                            std::string_view signature) = 0;
};

}  // namespace stratus::service
