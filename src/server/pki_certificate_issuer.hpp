#pragma once
/// @file
/// The claiming service's certificate port (service/certificate_issuer.hpp)
/// over the Stratus CA (src/pki).

#include <chrono>
#include <string>

#include "core/clock.hpp"
#include "service/certificate_issuer.hpp"

namespace stratus::pki {
class CertificateAuthority;
}  // namespace stratus::pki

namespace stratus::server {

/// Issues node client certificates with `ca` (CertificateAuthority::
/// issue_client_certificate: subject CN=<node id> only, clientAuth, SHA-256,
/// notBefore = now − 1 h, notAfter = now + `lifetime`, cRLDistributionPoints =
/// `crl_url` when set) and signs its revocation list (CertificateAuthority::issue_crl,
/// scoped to `crl_url`). Thread-safe (the CA's const methods are); `ca` and `clock`
/// must outlive it.
class PkiCertificateIssuer final : public service::NodeCertificateIssuer {
 public:
  /// `lifetime`: config `claiming.node_cert_lifetime_days`; `crl_url`: config
  /// `claiming.crl_url` (validated there: an http URL without commas or spaces).
  PkiCertificateIssuer(const pki::CertificateAuthority& ca, std::chrono::days lifetime,
                       const Clock& clock, std::string crl_url = {})
      : ca_(ca), lifetime_(lifetime), clock_(clock), crl_url_(std::move(crl_url)) {}

  /// See NodeCertificateIssuer::subject_cn (CertificateSigningRequest::from_pem
  /// does the checks).
  [[nodiscard]] Result<std::string> subject_cn(std::string_view csr_pem) override;

  /// See NodeCertificateIssuer::issue.
  [[nodiscard]] Result<service::IssuedCertificate> issue(std::string_view csr_pem,
                                                         std::string_view expected_cn) override;

  /// See NodeCertificateIssuer::sign_revocation_list.
  [[nodiscard]] Result<std::string> sign_revocation_list(
      std::span<const storage::RevokedSerialRecord> revoked, std::int64_t this_update,
      std::int64_t next_update, std::uint64_t number) override;

 private:
  const pki::CertificateAuthority& ca_;
  std::chrono::days lifetime_;
  const Clock& clock_;
  std::string crl_url_;
};

}  // namespace stratus::server
