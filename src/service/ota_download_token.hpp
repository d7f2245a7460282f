#pragma once
/// @file
/// Signed, short-lived download URLs for OTA images (issue 17, docs/adr/0013). A URL is
/// `<base>/v1/ota/download?image=<image_id>&<subject>&expires=<unix s>&sig=<hex>` where the
/// subject is `node=<node_id>` (an offer to one node) or `user=<user_id>` (a user's image
/// for the OTA-using-params flow) and `sig` = HMAC-SHA-256(key, "stratus-ota\n" image "\n"
/// kind "\n" subject "\n" expires). Nodes download without credentials (the firmware's
/// esp_https_ota sends none), so the URL is the credential: it names one image and one
/// node, and the service checks at download time that the offer still stands. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::service {

/// Who a download URL was made for.
struct OtaDownloadGrant {
  std::string image_id;
  enum class Kind { node, user } kind = Kind::node;
  std::string subject;  ///< the node id or the user id
  std::int64_t expires_s = 0;
};

/// Makes and checks download URLs. Thread-safe (immutable after construction).
class OtaDownloadSigner {
 public:
  /// `key`: secret bytes (at least 32); `base_url`: scheme, host and port the nodes reach
  /// stratusd's HTTP listener at, without a trailing '/' (e.g. `https://cloud:8080`).
  OtaDownloadSigner(std::string key, std::string base_url);

  /// The URL for `grant`.
  [[nodiscard]] std::string url(const OtaDownloadGrant& grant) const;

  /// Checks the query of a download request. Errors: forbidden with
  /// `ota_job_error::download_forbidden` ("… expired", "… bad signature", "… malformed")
  /// when a member is missing or malformed, the signature does not match (constant-time
  /// compare) or `expires` is before `now_s`.
  [[nodiscard]] Result<OtaDownloadGrant> verify(std::optional<std::string_view> image,
                                                std::optional<std::string_view> node,
                                                std::optional<std::string_view> user,
                                                std::optional<std::string_view> expires,
                                                std::optional<std::string_view> sig,
                                                std::int64_t now_s) const;

  [[nodiscard]] const std::string& base_url() const noexcept { return base_url_; }

 private:
  [[nodiscard]] std::string signature(const OtaDownloadGrant& grant) const;
  std::string key_;
  std::string base_url_;
};

}  // namespace stratus::service
