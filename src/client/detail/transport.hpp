#pragma once
/// @file
/// Internal: one libcurl easy handle (kept for connection reuse) performing
/// blocking HTTP requests. Not thread-safe; owned by one `Session`.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::client::detail {

struct HttpRequest {
  std::string method;  ///< GET, POST, PUT, DELETE
  std::string url;
  std::string body;
  bool has_body = false;
  /// When not empty, the body is this file, streamed as it is sent (`POST` with a
  /// `Content-Length` of its size; `body` is ignored).
  std::filesystem::path body_file;
  std::vector<std::string> headers;  ///< "Name: value"
  std::chrono::milliseconds timeout{5000};
  /// Keep the reply's `Set-Cookie` header values in `HttpReply::set_cookies`.
  bool capture_cookies = false;
};

struct HttpReply {
  int status = 0;
  std::string body;
  /// The values of the reply's `Set-Cookie` headers (with `capture_cookies`), in order.
  std::vector<std::string> set_cookies;
};

struct TransportOptions {
  std::string server;   ///< shown in network errors ("cannot reach <server>: …")
  std::string ca_file;  ///< PEM bundle; empty = the system's CAs
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_reply_bytes = 16 * 1024 * 1024;
};

class Transport {
 public:
  explicit Transport(TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Sends `request` and reads the whole reply (any status). Errors: unavailable
  /// "cannot reach <server>: <cause>" when no connection could be made or it broke,
  /// timeout when no complete answer came within `request.timeout`, unavailable
  /// for TLS failures, resource_exhausted for a reply over `max_reply_bytes`;
  /// with a `body_file`: not_found / unavailable when it cannot be opened or read.
  Result<HttpReply> perform(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::client::detail
