#pragma once
/// @file
/// The challenge-response mapping's signature port
/// (service/node_signature_verifier.hpp) over src/pki.

#include "service/node_signature_verifier.hpp"

namespace stratus::server {

/// Parses the node certificate and checks the signature with
/// pki::verify_signature. Stateless and thread-safe.
class PkiSignatureVerifier final : public service::NodeSignatureVerifier {
 public:
  /// See NodeSignatureVerifier::verify. A certificate that does not parse is
  /// errc::internal (it came from our own audit table, not from the caller).
  [[nodiscard]] Result<void> verify(std::string_view certificate_pem, std::string_view data,
                                    std::string_view signature) override;
};

}  // namespace stratus::server
