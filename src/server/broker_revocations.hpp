#pragma once
/// @file
/// The files the Stratus mosquitto plugin reads, as service ports: the claiming
/// service's revocation port (service/certificate_revocations.hpp) over the
/// revoked-certificates file (broker/revocation_list.hpp), and the Wirepas credentials
/// (service/wirepas_access.hpp, broker/wirepas_credentials.hpp).

#include <filesystem>
#include <mutex>

#include "service/certificate_revocations.hpp"
#include "service/wirepas_access.hpp"

namespace stratus::server {

/// Writes the list to `file` (atomically; writers serialized by a mutex, so it is
/// thread-safe). With the embedded broker the plugin applies it within about 250 ms.
/// An external broker does not read it: revocation there is the broker's business
/// (docs/security.md).
class BrokerRevocations final : public service::CertificateRevocations {
 public:
  explicit BrokerRevocations(std::filesystem::path file) : file_(std::move(file)) {}

  /// See CertificateRevocations::publish.
  Result<void> publish(const std::vector<std::string>& fingerprints) override;

 private:
  std::filesystem::path file_;
  std::mutex mutex_;
};

/// Writes the Wirepas credentials to `file` (atomically, mode 0600; writers serialized,
/// so it is thread-safe). The plugin applies a change within about 250 ms and drops the
/// sessions of removed names.
class BrokerWirepasAccess final : public service::WirepasBrokerAccess {
 public:
  explicit BrokerWirepasAccess(std::filesystem::path file) : file_(std::move(file)) {}

  /// See WirepasBrokerAccess::publish.
  Result<void> publish(const std::vector<storage::WirepasCredential>& credentials) override;

 private:
  std::filesystem::path file_;
  std::mutex mutex_;
};

}  // namespace stratus::server
