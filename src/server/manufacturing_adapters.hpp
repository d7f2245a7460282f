#pragma once
/// @file
/// The manufacturing service's ports (service/manufacturing_ports.hpp) over `pki` and the
/// data dir (docs/adr/0014):
/// - `PkiCertificateInspector`: reads CA and node certificates;
/// - `BrokerTrustStore`: the device listener's `capath` directory (`<subject hash>.N`
///   files: the Stratus CA and every manufacturing CA; OpenSSL looks issuers up there at
///   handshake time, so a new CA needs no broker restart) and the registered-certificates
///   file the Stratus mosquitto plugin reads (same format as the revoked list);
/// - `FileRegistrationStore`: uploaded node_certs.csv files, one per request id.

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "pki/certificate.hpp"
#include "service/manufacturing_ports.hpp"

namespace stratus::server {

/// Thread-safe. CA PEMs seen once are kept parsed (a registration checks every row
/// against the same few CAs).
class PkiCertificateInspector final : public service::CertificateInspector {
 public:
  /// `stratus_ca`: the CA of this data dir (its node certificates are accepted too).
  explicit PkiCertificateInspector(pki::Certificate stratus_ca)
      : stratus_ca_(std::move(stratus_ca)) {}
  /// @{
  /// See service::CertificateInspector.
  Result<service::CaCertificateInfo> inspect_ca(std::string_view pem) const override;
  Result<service::DeviceCertificateInfo> inspect_device(
      std::string_view pem, const std::vector<std::string>& ca_pems) const override;
  /// @}

 private:
  Result<pki::Certificate> parsed_ca(const std::string& pem) const;
  pki::Certificate stratus_ca_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, pki::Certificate> cas_;  // by PEM text
};

/// Thread-safe (one mutex serializes writers).
class BrokerTrustStore final : public service::BrokerTrust {
 public:
  /// `dir`: the capath directory; `registered_file`: the plugin's registered list.
  BrokerTrustStore(std::filesystem::path dir, std::filesystem::path registered_file)
      : dir_(std::move(dir)), registered_file_(std::move(registered_file)) {}

  /// Empties the directory and writes the Stratus CA into it (at every start, before the
  /// broker starts; manufacturing CAs follow through `add_ca`). Errors: unavailable.
  Result<void> reset(const pki::Certificate& stratus_ca);

  /// @{
  /// See service::BrokerTrust. `add_ca` writes `<subject hash>.<first free N>` atomically
  /// (temp file + rename) unless a file of the same hash already holds this certificate.
  Result<void> add_ca(const service::CaCertificateInfo& ca) override;
  Result<void> publish_registered(const std::vector<std::string>& fingerprints) override;
  /// @}

 private:
  Result<void> write_ca(const pki::Certificate& ca);
  std::filesystem::path dir_;
  std::filesystem::path registered_file_;
  std::mutex mutex_;
};

/// Thread-safe: distinct request ids touch distinct files; the service never writes one
/// request's file twice (`put` refuses).
class FileRegistrationStore final : public service::RegistrationFileStore {
 public:
  explicit FileRegistrationStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  /// Creates the directory (mode 0700). Errors: unavailable.
  Result<void> open();
  /// @{
  /// See service::RegistrationFileStore.
  Result<void> put(std::string_view request_id, const std::string& temp_path) override;
  Result<std::string> md5_hex(std::string_view request_id) override;
  Result<std::string> read(std::string_view request_id) override;
  void remove(std::string_view request_id) override;
  /// @}

 private:
  Result<std::filesystem::path> path_of(std::string_view request_id) const;
  std::filesystem::path dir_;
};

}  // namespace stratus::server
