#pragma once
/// @file
/// `service::WebhookSender` over libcurl (docs/adr/0010): destination checks against
/// loopback, link-local and private addresses (server-side request forgery), pinned to
/// the checked address at each send, no redirects, bounded time.

#include <chrono>

#include "service/webhook_service.hpp"

namespace stratus::server {

/// Options (config section `webhooks`).
struct CurlWebhookOptions {
  /// Allow destinations on loopback, link-local, private (RFC 1918, RFC 4193), CGNAT
  /// and unspecified addresses. Off by default: a webhook is a way to make the server
  /// send requests, and those addresses reach what only the server should reach.
  bool allow_private_addresses = false;
  std::chrono::milliseconds timeout{10000};  ///< whole request, connection included
  std::string ca_file;                       ///< empty: the system's CA store
};

/// Thread-safe: each call uses its own libcurl handle.
class CurlWebhookSender final : public service::WebhookSender {
 public:
  explicit CurlWebhookSender(CurlWebhookOptions options);
  Result<void> check_url(std::string_view url) override;
  Result<int> post(std::string_view url, std::string_view body,
                   const std::vector<std::pair<std::string, std::string>>& headers) override;

 private:
  CurlWebhookOptions options_;
};

}  // namespace stratus::server
