#pragma once
/// @file
/// The service layer's port for signing node certificates (spec rainmaker.md §6).
/// The claiming service sees only this interface; server/pki_certificate_issuer
/// implements it over the Stratus CA (src/pki), which `service` may not use directly.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "storage/claim_repository.hpp"

namespace stratus::service {

/// A certificate just issued for a node, with what the audit trail records.
struct IssuedCertificate {
  std::string certificate_pem;  ///< the node's certificate, PEM ("-----BEGIN CERTIFICATE-----")
  std::string serial_hex;       ///< serial number, lower-case hex
  std::string fingerprint_hex;  ///< SHA-256 over the DER, lower-case hex (64 chars)
  std::int64_t not_after = 0;   ///< end of validity, Unix seconds
};

/// Turns a node's PKCS#10 CSR into a TLS client certificate whose subject is
/// CN=<node id> only, and lists the ones revoked. Implementations are thread-safe and may block
/// (signing): call them from the blocking pool.
class NodeCertificateIssuer {
 public:
  virtual ~NodeCertificateIssuer() = default;

  /// Checks `csr_pem` and returns its subject commonName, without issuing
  /// anything. Errors: invalid_argument (reason proto::rest::claim_error::csr_invalid) for a
  /// malformed CSR, one whose self-signature does not verify, a key that is not
  /// ECDSA P-256 or RSA 2048..4096 bits, or a missing/invalid commonName.
  [[nodiscard]] virtual Result<std::string> subject_cn(std::string_view csr_pem) = 0;

  /// Issues the certificate for `csr_pem`, whose subject CN must equal
  /// `expected_cn` (the node id). Errors: invalid_argument with reason
  /// proto::rest::claim_error::csr_invalid for the CSR problems listed on `subject_cn`, or
  /// proto::rest::claim_error::cn_mismatch when CN ≠ `expected_cn`; internal if signing fails.
  [[nodiscard]] virtual Result<IssuedCertificate> issue(std::string_view csr_pem,
                                                        std::string_view expected_cn) = 0;

  /// The same CA's certificate revocation list (RFC 5280 §5), DER, valid from
  /// `this_update` to `next_update` (Unix seconds), numbered `number`, scoped to the
  /// distribution point that the certificates `issue` signs name, if they name one
  /// (docs/adr/0037). It names those of `revoked` that this CA signed: every claimed one
  /// and the manufactured ones whose certificate it issued; a stored serial that is not
  /// hex is left out (and logged). Errors: invalid_argument when `next_update <=
  /// this_update`; internal if signing fails.
  [[nodiscard]] virtual Result<std::string> sign_revocation_list(
      std::span<const storage::RevokedSerialRecord> revoked, std::int64_t this_update,
      std::int64_t next_update, std::uint64_t number) = 0;
};

}  // namespace stratus::service
