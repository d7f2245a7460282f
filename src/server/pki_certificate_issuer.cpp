#include "server/pki_certificate_issuer.hpp"

#include <string>
#include <utility>
#include <vector>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::server {
namespace {

namespace code = proto::rest::claim_error;

Result<pki::CertificateSigningRequest> parse_csr(std::string_view csr_pem) {
  auto csr = pki::CertificateSigningRequest::from_pem(csr_pem);
  if (!csr) {
    Error e = csr.error();
    if (e.code == errc::invalid_argument) {
      e.reason = code::csr_invalid;
      e.context = "invalid csr: " + e.context;
    }
    return fail(std::move(e));
  }
  return csr;
}

}  // namespace

Result<std::string> PkiCertificateIssuer::subject_cn(std::string_view csr_pem) {
  auto csr = parse_csr(csr_pem);
  if (!csr)
    return fail(csr.error());
  return csr->subject_cn();
}

Result<service::IssuedCertificate> PkiCertificateIssuer::issue(std::string_view csr_pem,
                                                               std::string_view expected_cn) {
  auto csr = parse_csr(csr_pem);
  if (!csr)
    return fail(csr.error());
  const std::string cn = csr->subject_cn();
  if (cn != expected_cn) {
    return fail(errc::invalid_argument, code::cn_mismatch,
                "the CSR's common name \"" + cn + "\" is not the node id \"" +
                    std::string(expected_cn) + "\"");
  }
  auto cert = ca_.issue_client_certificate(*csr, lifetime_, clock_, crl_url_);
  if (!cert)
    return fail(cert.error());
  return service::IssuedCertificate{
      cert->to_pem(), cert->serial_hex(), cert->sha256_fingerprint_hex(),
      std::chrono::duration_cast<std::chrono::seconds>(cert->not_after().time_since_epoch())
          .count()};
}

Result<std::string> PkiCertificateIssuer::sign_revocation_list(
    std::span<const storage::RevokedSerialRecord> revoked, std::int64_t this_update,
    std::int64_t next_update) {
  using std::chrono::seconds;
  using std::chrono::system_clock;
  std::vector<pki::RevokedSerial> entries;
  entries.reserve(revoked.size());
  for (const auto& r : revoked)
    entries.push_back({r.serial_hex, system_clock::time_point(seconds(r.revoked_at))});
  return ca_.issue_crl(entries, crl_url_, system_clock::time_point(seconds(this_update)),
                       system_clock::time_point(seconds(next_update)));
}

}  // namespace stratus::server
