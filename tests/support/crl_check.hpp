#pragma once
/// @file
/// Reading back a certificate revocation list with OpenSSL, for tests of the Stratus
/// CA's CRL (pki::CertificateAuthority::issue_crl) and of `GET /crl/stratus-ca.crl`:
/// what the list says, and what OpenSSL's own chain verification makes of a
/// certificate with it (as a broker that checks CRLs would).

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::test {

/// A DER CRL as OpenSSL reads it.
struct CrlSummary {
  bool signature_valid = false;          ///< by the key of the CA given to `read_crl`
  long version = -1;                     ///< 1 for a v2 list
  std::string issuer;                    ///< one line, RFC 2253
  std::vector<std::string> serials_hex;  ///< revoked serials, lower-case hex, in list order
  std::optional<std::string> scope_uri;  ///< issuingDistributionPoint fullName URI
  bool scope_critical = false;           ///< whether that extension is critical
  bool has_authority_key_id = false;     ///< authorityKeyIdentifier present
  std::int64_t number = -1;              ///< cRLNumber; -1 when absent
  std::int64_t this_update = 0;          ///< Unix seconds
  std::int64_t next_update = 0;          ///< Unix seconds; 0 when absent
};

/// Parses `der`; nullopt when it is not a CRL. `ca_pem` is the CA certificate whose key
/// should have signed it.
std::optional<CrlSummary> read_crl(std::string_view der, std::string_view ca_pem);

/// `X509_verify_cert` of `cert_pem` against the trust anchor `ca_pem` with `crl_der` and
/// CRL checking of the leaf (`X509_V_FLAG_CRL_CHECK`), at time `at`. Returns X509_V_OK or
/// the verification error (e.g. X509_V_ERR_CERT_REVOKED); -1 if an input does not parse.
int verify_with_crl(std::string_view ca_pem, std::string_view cert_pem, std::string_view crl_der,
                    std::time_t at);

/// The URIs in `cert_pem`'s cRLDistributionPoints (fullName entries), in order.
std::vector<std::string> distribution_point_uris(std::string_view cert_pem);

}  // namespace stratus::test
