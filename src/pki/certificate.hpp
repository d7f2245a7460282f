#pragma once
/// @file
/// X.509 certificates and PKCS#10 certificate signing requests, read-only views.
/// OpenSSL stays behind a pimpl.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "pki/key.hpp"

namespace stratus::pki {

/// An X.509 certificate. Immutable; copies share one parsed certificate, so copying
/// is cheap. All methods are safe to call concurrently. A moved-from certificate
/// may only be assigned to or destroyed.
class Certificate {
 public:
  /// Parses the first PEM "CERTIFICATE" block of `pem`. Errors: invalid_argument for
  /// empty, malformed or over-1-MiB input, with OpenSSL's text in the context.
  [[nodiscard]] static Result<Certificate> from_pem(std::string_view pem);

  /// The certificate as PEM ("-----BEGIN CERTIFICATE-----"), byte-identical to the
  /// DER it was parsed from.
  [[nodiscard]] std::string to_pem() const;

  /// The subject's commonName as UTF-8; empty if the subject has none.
  [[nodiscard]] std::string subject_cn() const;

  /// The serial number as lower-case hex without separators ("7f3a..."); a negative
  /// (malformed) serial keeps its leading '-'.
  [[nodiscard]] std::string serial_hex() const;

  /// Start of validity (UTC, second resolution).
  [[nodiscard]] std::chrono::system_clock::time_point not_before() const;
  /// End of validity (UTC, second resolution).
  [[nodiscard]] std::chrono::system_clock::time_point not_after() const;

  /// The dNSName entries of subjectAltName, in certificate order; empty if none.
  [[nodiscard]] std::vector<std::string> dns_names() const;

  /// The iPAddress entries of subjectAltName as canonical text ("127.0.0.1", "::1"),
  /// in certificate order; entries of a length other than 4 or 16 bytes are skipped.
  [[nodiscard]] std::vector<std::string> ip_addresses() const;

  /// Whether basicConstraints says CA:TRUE.
  [[nodiscard]] bool is_ca() const;
  /// Whether the certificate has an extendedKeyUsage extension that lists clientAuth
  /// (TLS client authentication, id-kp-clientAuth). False without the extension.
  [[nodiscard]] bool has_client_auth_usage() const;
  /// The issuer's distinguished name as one line of text, RFC 2253 order ("CN=x,O=y").
  [[nodiscard]] std::string issuer_text() const;
  /// The subject's distinguished name, as `issuer_text`.
  [[nodiscard]] std::string subject_text() const;

  /// Whether `issuer` issued this certificate: this certificate's issuer name equals
  /// `issuer`'s subject name and its signature verifies with `issuer`'s public key.
  /// Validity dates and extensions are not checked.
  [[nodiscard]] bool issued_by(const Certificate& issuer) const;

  /// Whether `key` is the private half of this certificate's public key.
  [[nodiscard]] bool matches_key(const PrivateKey& key) const;

  /// SHA-256 over the DER encoding, lower-case hex without separators (64 chars).
  [[nodiscard]] std::string sha256_fingerprint_hex() const;

 private:
  struct Impl;
  explicit Certificate(std::shared_ptr<const Impl> impl);
  [[nodiscard]] const Impl& impl() const;

  std::shared_ptr<const Impl> impl_;
  friend struct detail::Access;
};

/// A PKCS#10 certificate signing request whose self-signature has been verified and
/// whose key is of a supported type. Immutable; copies share one parsed request.
/// All methods are safe to call concurrently.
class CertificateSigningRequest {
 public:
  /// Parses the first PEM "CERTIFICATE REQUEST" block of `pem` and checks it.
  /// Errors (all invalid_argument, with OpenSSL's text where it has one): malformed
  /// or over-1-MiB input; a self-signature that does not verify; a key that is not
  /// EC P-256 or RSA 2048..4096 bits; a subject without a valid commonName
  /// (1..64 bytes, no control characters).
  [[nodiscard]] static Result<CertificateSigningRequest> from_pem(std::string_view pem);

  /// The subject's commonName (UTF-8, never empty).
  [[nodiscard]] std::string subject_cn() const;

  /// The algorithm of the requested key.
  [[nodiscard]] KeyType key_type() const;

  /// What a node does: a CSR for `key` with subject CN=`common_name` only, signed
  /// with SHA-256, as PEM. Errors: invalid_argument for a common name that is empty,
  /// over 64 bytes or has control characters; internal if OpenSSL fails.
  /// Thread-safe.
  [[nodiscard]] static Result<std::string> make_csr_pem(const PrivateKey& key,
                                                        std::string_view common_name);

 private:
  struct Impl;
  explicit CertificateSigningRequest(std::shared_ptr<const Impl> impl);
  [[nodiscard]] const Impl& impl() const;

  std::shared_ptr<const Impl> impl_;
  friend struct detail::Access;
};

}  // namespace stratus::pki
