#pragma once
/// @file
/// Ports the manufacturing service needs (issue 18, docs/adr/0014): reading node and CA
/// certificates (the server implements it over `pki`), the broker's trust (manufacturing
/// CAs and the registered-certificates list the Stratus mosquitto plugin enforces), and
/// the store of uploaded node_certs.csv files.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::service {

/// What the service needs to know of a CA certificate.
struct CaCertificateInfo {
  std::string fingerprint_hex;  ///< SHA-256 of the DER, lower-case hex (64 characters)
  std::string subject;          ///< one line, e.g. "CN=Acme Factory CA, O=Acme"
  std::string certificate_pem;  ///< normalised PEM (the first certificate of the input)
  std::int64_t not_after = 0;   ///< Unix seconds
};

/// What the service needs to know of a node certificate.
struct DeviceCertificateInfo {
  std::string common_name;
  std::string serial_hex;
  std::string fingerprint_hex;
  std::string certificate_pem;  ///< normalised PEM
  std::int64_t not_after = 0;   ///< Unix seconds
};

/// Reads certificates. Implementations are thread-safe.
class CertificateInspector {
 public:
  virtual ~CertificateInspector() = default;
  /// Parses a CA certificate (the first PEM block of `pem`). Errors: invalid_argument
  /// when it does not parse or is not CA:TRUE.
  virtual Result<CaCertificateInfo> inspect_ca(std::string_view pem) const = 0;
  /// Parses a node certificate and checks that one of `ca_pems` or the Stratus CA issued
  /// it (issuer name and signature; not validity). Errors: invalid_argument (does not
  /// parse, or is a CA certificate), forbidden (issued by none of them).
  virtual Result<DeviceCertificateInfo> inspect_device(
      std::string_view pem, const std::vector<std::string>& ca_pems) const = 0;
};

/// What the broker trusts. Implementations are thread-safe; calls may block (file I/O).
class BrokerTrust {
 public:
  virtual ~BrokerTrust() = default;
  /// Adds a CA to the device listener's trust store, without dropping connections.
  /// Errors: unavailable when it cannot be written.
  virtual Result<void> add_ca(const CaCertificateInfo& ca) = 0;
  /// Replaces the list of registered node certificates (SHA-256 fingerprints, sorted):
  /// the broker accepts a certificate not issued by the Stratus CA only when it is on it.
  /// Errors: unavailable (the previous list stays in force).
  virtual Result<void> publish_registered(const std::vector<std::string>& fingerprints) = 0;
};

/// Uploaded node_certs.csv files, one per registration request. Implementations are
/// thread-safe; calls block (file I/O).
class RegistrationFileStore {
 public:
  virtual ~RegistrationFileStore() = default;
  /// Takes the file at `temp_path` (moved, not copied) as the upload of `request_id`,
  /// replacing none: errc::already_exists when one is stored. Errors: unavailable.
  virtual Result<void> put(std::string_view request_id, const std::string& temp_path) = 0;
  /// MD5 of the stored upload, lower-case hex. Errors: not_found, unavailable.
  virtual Result<std::string> md5_hex(std::string_view request_id) = 0;
  /// The stored upload's bytes. Errors: not_found, unavailable.
  virtual Result<std::string> read(std::string_view request_id) = 0;
  /// Removes the upload (no error when absent).
  virtual void remove(std::string_view request_id) = 0;
};

}  // namespace stratus::service
