#pragma once
/// @file
/// The image download of a node's OTA job (spec rainmaker-device.md §8.2) over libcurl:
/// HTTP or HTTPS (server checked against a chosen CA), streamed to a file with an
/// incremental SHA-256 (OpenSSL EVP) and `proto::EspImageChecker`, resumed with
/// `Range: bytes=N-` after an interrupted attempt. Blocking: `NodeAgent` runs it on a worker
/// thread and posts its events to the session.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "agent/node_actions.hpp"
#include "agent/ota_engine.hpp"
#include "core/error.hpp"

namespace stratus::agent {

/// How images are downloaded.
struct DownloadOptions {
  /// PEM file of the CA(s) that may sign an `https` server's certificate (a node's
  /// `ca.crt`); empty: the system's trust store.
  std::string ca_file;
  /// Longest wait for the TCP + TLS connection.
  std::chrono::milliseconds connect_timeout{5000};
  /// An attempt fails when no byte arrived for this long.
  std::chrono::seconds stall_timeout{30};
  /// Largest image accepted, bytes; a longer one fails the attempt.
  std::uint64_t max_image_bytes = 16U * 1024U * 1024U;
};

/// Called from the downloading thread while a download runs. Either may be empty.
struct DownloadEvents {
  /// The first `proto::kEspImageHeaderBytes` bytes of the image (once per call, when that
  /// many are in; never for a shorter image).
  std::function<void(std::span<const std::uint8_t> head)> on_header;
  /// Bytes of the image so far, from byte 0 (at most every 16 KiB, and at the end).
  std::function<void(std::uint64_t bytes)> on_progress;
};

/// Downloads `request.url` into `file`. With `request.resume` and a non-empty `file`, asks
/// for the rest (`Range: bytes=<size>-`): a 206 answer starting there is appended, a 200
/// answer restarts the file from byte 0, a 416 restarts with a plain request. Otherwise
/// `file` is truncated first. Redirects (at most 3, http/https only) are followed.
///
/// Returns the image's size, SHA-256 and structure check (`EspImageChecker`, from byte 0
/// even when resumed). Errors (`errc::unavailable`, `context` = the reason the OTA status
/// reports): "Complete data was not received" when the connection ended early; "OTA failed:
/// <why>" for a connection or TLS error, an HTTP status other than 200/206, an image over
/// `max_image_bytes`, a file error; `errc::timeout` "OTA failed: cancelled" when `cancel`
/// became true. Never throws (except `std::bad_alloc`).
///
/// Thread-safety: blocking; call from one worker thread per `file`. `cancel` may be set
/// from any thread; the download stops within about a second.
Result<DownloadedImage> download_image(const OtaDownload& request,
                                       const std::filesystem::path& file,
                                       const DownloadOptions& options, const DownloadEvents& events,
                                       const std::atomic<bool>& cancel);

}  // namespace stratus::agent
