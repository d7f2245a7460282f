#pragma once
/// @file
/// The certificate authority: a CA certificate with its key, issuing server
/// certificates (for the broker and HTTPS) and client certificates (for nodes).

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace stratus::pki {

/// One certificate in a certificate revocation list (RFC 5280 §5.1.2.6).
struct RevokedSerial {
  std::string serial_hex;  ///< the certificate's serial number, hex (either case)
  std::chrono::system_clock::time_point revoked_at;  ///< revocationDate (whole seconds kept)
};

/// Whether `serial_hex` is what `RevokedSerial::serial_hex` may hold: 1 to 40 hex digits
/// (a serial of at most 20 octets, RFC 5280 §4.1.2.2). Pure.
[[nodiscard]] bool is_serial_hex(std::string_view serial_hex);

/// A CA certificate and its private key. Move-only (it owns the key). Const methods
/// are safe to call concurrently, issuing included: OpenSSL 3 signs with a shared
/// key without mutating it.
///
/// Every certificate it issues gets a random 16-byte positive serial, SHA-256
/// signature, notBefore = now - 1 h (tolerates clock skew on nodes) and notAfter =
/// now + lifetime; notAfter is not clamped to the CA's own notAfter.
class CertificateAuthority {
 public:
  /// A new CA: a fresh P-256 key and a self-signed certificate with subject
  /// CN=`common_name`, basicConstraints critical CA:TRUE, keyUsage critical
  /// keyCertSign+cRLSign and a subjectKeyIdentifier. `lifetime` counts from
  /// `clock.now()`. Errors: invalid_argument for a bad common name (empty, over 64
  /// bytes, control characters) or a non-positive lifetime; internal if OpenSSL fails.
  [[nodiscard]] static Result<CertificateAuthority> create(std::string_view common_name,
                                                           std::chrono::days lifetime,
                                                           const Clock& clock);

  /// A CA from PEM texts. Errors: invalid_argument if either does not parse, the
  /// certificate is not a CA (basicConstraints CA:TRUE) or the key is not the
  /// certificate's.
  [[nodiscard]] static Result<CertificateAuthority> load(std::string_view cert_pem,
                                                         std::string_view key_pem);

  /// A CA from already-parsed parts; the same checks and errors as `load`.
  [[nodiscard]] static Result<CertificateAuthority> from_parts(Certificate certificate,
                                                               PrivateKey key);

  /// The CA certificate (what clients and the broker trust).
  [[nodiscard]] const Certificate& certificate() const { return certificate_; }
  /// The CA private key.
  [[nodiscard]] const PrivateKey& key() const { return key_; }

  /// A TLS server certificate for `subject_key`: subject CN=`common_name`; each entry
  /// of `names` goes into subjectAltName as an iPAddress if inet_pton reads it as IPv4
  /// or IPv6, else as a dNSName (duplicates dropped, order kept); basicConstraints
  /// critical CA:FALSE, keyUsage critical digitalSignature (+keyEncipherment for
  /// RSA), extKeyUsage serverAuth+clientAuth, subject and authority key identifiers.
  /// Errors: invalid_argument for a bad common name, an entry that is neither an IP
  /// nor a DNS name (letters, digits, '-', '_', '.', '*'), or a non-positive
  /// lifetime; internal if OpenSSL fails.
  [[nodiscard]] Result<Certificate> issue_server_certificate(const PrivateKey& subject_key,
                                                             std::string_view common_name,
                                                             const std::vector<std::string>& names,
                                                             std::chrono::days lifetime,
                                                             const Clock& clock) const;

  /// A TLS client certificate for a node's CSR: subject is CN=<the CSR's CN> only
  /// (everything else in the CSR, extensions included, is ignored); the CSR's public
  /// key; basicConstraints critical CA:FALSE, keyUsage critical digitalSignature
  /// (+keyEncipherment for RSA), extKeyUsage clientAuth, subject and authority key
  /// identifiers; when `crl_distribution_point` is not empty, a cRLDistributionPoints
  /// extension naming that URI (where a broker such as EMQX fetches `issue_crl`'s list;
  /// the caller checks it is an http(s) URL without commas or spaces). Errors:
  /// invalid_argument for a non-positive lifetime; internal if OpenSSL fails.
  [[nodiscard]] Result<Certificate> issue_client_certificate(
      const CertificateSigningRequest& csr, std::chrono::days lifetime, const Clock& clock,
      std::string_view crl_distribution_point = {}) const;

  /// This CA's certificate revocation list (RFC 5280 §5), DER: version 2, issuer = this
  /// CA's subject, thisUpdate and nextUpdate as given (whole seconds), the entries of
  /// `revoked` (serial and revocationDate, no entry extensions) sorted by serial, SHA-256
  /// signature by the CA key; extensions authorityKeyIdentifier, cRLNumber = `number`
  /// and, when `distribution_point` is not empty, a critical issuingDistributionPoint
  /// whose fullName is that URI: the scope that a certificate's cRLDistributionPoints
  /// must name for OpenSSL and EMQX to apply the list to it (a certificate naming none
  /// fails verification against a scoped list: X509_V_ERR_DIFFERENT_CRL_SCOPE). Errors:
  /// invalid_argument for a serial that is not 1 to 40 hex digits or `next_update` not
  /// after `this_update`; internal if OpenSSL fails. Thread-safe.
  [[nodiscard]] Result<std::string> issue_crl(std::span<const RevokedSerial> revoked,
                                              std::string_view distribution_point,
                                              std::chrono::system_clock::time_point this_update,
                                              std::chrono::system_clock::time_point next_update,
                                              std::uint64_t number) const;

  /// A node's manufacturing certificate (spec rainmaker.md §7, the admin CLI's
  /// `certs devicecert generate`), for a key the factory generated: subject
  /// CN=`common_name` only, issuer = this CA's subject, the given validity (the admin
  /// CLI uses yesterday .. +100 years), random serial, SHA-256; basicConstraints
  /// critical CA:FALSE, keyUsage critical digitalSignature (+keyEncipherment for RSA),
  /// extKeyUsage clientAuth, subject and authority key identifiers. Errors:
  /// invalid_argument for a bad common name (empty, over 64 bytes, control characters)
  /// or `not_after <= not_before`; internal if OpenSSL fails. Thread-safe.
  [[nodiscard]] Result<Certificate> issue_device_certificate(
      const PrivateKey& subject_key, std::string_view common_name,
      std::chrono::system_clock::time_point not_before,
      std::chrono::system_clock::time_point not_after) const;

 private:
  CertificateAuthority(Certificate certificate, PrivateKey key)
      : certificate_(std::move(certificate)), key_(std::move(key)) {}

  Certificate certificate_;
  PrivateKey key_;
};

}  // namespace stratus::pki
