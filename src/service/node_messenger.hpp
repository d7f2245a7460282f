#pragma once
/// @file
/// The service layer's port for sending to nodes over MQTT (implemented by
/// src/link over the backend MQTT client).

#include <string_view>

#include "core/error.hpp"

namespace stratus::service {

/// Publishes cloud→node messages at QoS 1 (spec rainmaker.md §1.2). Thread-safe,
/// non-blocking (the MQTT client queues).
class NodeMessenger {
 public:
  virtual ~NodeMessenger() = default;
  /// `node/<node_id>/params/remote` ← `payload` (a JSON object text).
  /// Errors: errc::unavailable when the broker is not reachable.
  virtual Result<void> publish_params_remote(std::string_view node_id,
                                             std::string_view payload) = 0;
  /// `node/<node_id>/to-node` ← `bytes` (a cmd-resp TLV request, spec §3.1–3.2).
  /// Errors: errc::unavailable when the broker is not reachable.
  virtual Result<void> publish_to_node(std::string_view node_id, std::string_view bytes) = 0;
  /// `node/<node_id>/otaurl` ← `payload` (the `otaurl` JSON, spec §1.3).
  /// Errors: errc::unavailable when the broker is not reachable.
  virtual Result<void> publish_ota_url(std::string_view node_id, std::string_view payload) = 0;
};

}  // namespace stratus::service
