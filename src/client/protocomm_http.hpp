#pragma once
/// @file
/// `ProtocommHttp`: the client side of protocomm's HTTP transport (ESP-IDF
/// `protocomm_httpd.c`; the RainMaker CLI's `transport_http.py`; spec
/// rainmaker-device.md §1.2), used by `stratus provision` (SoftAP provisioning, the
/// on-network challenge-response) and by local control (`esp_local_ctrl`).
///
/// Every message is `POST /<endpoint>` with the raw (protobuf, usually encrypted) bytes
/// as the body and the CLI's headers `Content-Type: application/x-www-form-urlencoded`
/// and `Accept: text/plain`; the answer is the raw body of a 200. The device keeps one
/// protocomm session per client and names it with a cookie (`Set-Cookie: session=<id>`
/// on the first answer of a session): the cookie is sent back on every later request, as
/// the CLI does, and one connection is kept open and reused.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::client {

/// Where a protocomm device listens and the limits of the exchange with it.
struct ProtocommHttpOptions {
  /// "HOST:PORT" or "[IPv6]:PORT" (the CLI's `--device-address`).
  std::string address;
  /// Time to set up the TCP connection.
  std::chrono::milliseconds connect_timeout{5000};
  /// Whole-request limit of one message (a sec2 handshake step on a slow device is the
  /// longest: the firmware takes ~2 s for SRP).
  std::chrono::milliseconds request_timeout{20000};
  /// Largest answer accepted (the device's messages are small; local control's node
  /// config is the largest, a few KiB).
  std::size_t max_reply_bytes = 256 * 1024;
};

/// Splits "HOST:PORT" / "[IPv6]:PORT" as the CLI's `parse_host_port` does. Errors
/// (invalid_argument): no port, a port that is not 1..65535, an empty host, an
/// unbalanced bracket. Pure; thread-safe.
Result<std::pair<std::string, int>> parse_device_address(std::string_view address);

/// One device. Errors of `send`: invalid_argument for an endpoint name that is empty or
/// holds characters other than `[A-Za-z0-9_./-]`; unavailable "cannot reach the device at
/// HOST:PORT: <cause>" when no connection could be made, "the device at HOST:PORT closed
/// the connection without an answer" when it hung up (a protocomm handler failed: wrong
/// proof of possession, a message that did not decrypt); timeout when no whole answer came
/// within `request_timeout`; resource_exhausted for an answer over `max_reply_bytes`;
/// not_found "the device at … does not serve /<endpoint>" for a 404; unavailable "the
/// device at … answered HTTP <n> for /<endpoint>" for any other non-200.
///
/// Thread-safety: none; one thread at a time (one libcurl handle, one connection).
class ProtocommHttp {
 public:
  /// Errors: those of `parse_device_address`.
  static Result<ProtocommHttp> open(ProtocommHttpOptions options);
  ~ProtocommHttp();
  ProtocommHttp(ProtocommHttp&&) noexcept;
  ProtocommHttp& operator=(ProtocommHttp&&) noexcept;

  /// `POST /<endpoint>` with `body`; the answer's body. Keeps the session cookie.
  Result<std::string> send(std::string_view endpoint, std::string_view body);
  /// The cookie sent with each request ("session=<id>"), empty before the device set one.
  [[nodiscard]] const std::string& cookie() const;
  /// "HOST:PORT" as given.
  [[nodiscard]] const std::string& address() const;

 private:
  struct Impl;
  explicit ProtocommHttp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::client
