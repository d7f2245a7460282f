#include "server/pki_certificate_issuer.hpp"

#include <string>
#include <utility>
#include <vector>

#include "log/log.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::server {
namespace {

using log::Channel;

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
    std::int64_t next_update, std::uint64_t number) {
  using std::chrono::seconds;
  using std::chrono::system_clock;
  std::vector<pki::RevokedSerial> entries;
  entries.reserve(revoked.size());
  for (const auto& r : revoked) {
    const auto& hex = r.serial_hex;
    if (!pki::is_serial_hex(hex)) {
      log::warn(Channel::pki, "revoked certificate serial={} is not hex; left out of the CRL",
                hex.substr(0, 64));
      continue;
    }
    if (!r.manufactured_pem.empty()) {
      // A manufacturing CA's certificate is its CA's to list (RFC 5280 §5: a CRL names
      // its issuer's certificates); one the Stratus CA signed is ours.
      auto cert = pki::Certificate::from_pem(r.manufactured_pem);
      if (!cert || !cert->issued_by(ca_.certificate()))
        continue;
    }
    entries.push_back({hex, system_clock::time_point(seconds(r.revoked_at))});
  }
  return ca_.issue_crl(entries, crl_url_, system_clock::time_point(seconds(this_update)),
                       system_clock::time_point(seconds(next_update)), number);
}

}  // namespace stratus::server
