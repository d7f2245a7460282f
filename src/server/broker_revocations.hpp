#pragma once
/// @file
/// The claiming service's revocation port (service/certificate_revocations.hpp)
/// over the revoked-certificates file that the Stratus mosquitto plugin reads
/// (broker/revocation_list.hpp).

#include <filesystem>
#include <mutex>

#include "service/certificate_revocations.hpp"

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

}  // namespace stratus::server
