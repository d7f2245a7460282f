#pragma once
/// @file
/// Port: how the claiming service tells the MQTT broker which node certificates it
/// must refuse (issue 13: one valid certificate per node id). The embedded broker's
/// adapter writes the list where the Stratus mosquitto plugin reads it; the plugin
/// refuses those certificates at connect and drops live sessions that use one.

#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::service {

/// Implementations are thread-safe; `publish` may block (file I/O).
class CertificateRevocations {
 public:
  virtual ~CertificateRevocations() = default;
  /// Replaces the broker's revocation list with `fingerprints`: SHA-256 over each
  /// certificate's DER, lower-case hex (64 characters), sorted. Errors: unavailable
  /// when the list cannot be written (the previous list stays in force).
  virtual Result<void> publish(const std::vector<std::string>& fingerprints) = 0;
};

}  // namespace stratus::service
