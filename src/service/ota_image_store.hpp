#pragma once
/// @file
/// The service layer's port for OTA image files (issue 17, docs/adr/0013): images are kept
/// content-addressed (one file per SHA-256) in the data directory; the adapter checks the
/// ESP image structure (`proto::EspImageChecker`) and hashes while it reads, so an image is
/// read once, streamed, never held whole in memory. Implemented by
/// `server/file_ota_image_store`.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "proto/esp_image.hpp"

namespace stratus::service {

/// What the store learnt about an image it kept.
struct StoredImage {
  std::string sha256;  ///< 64 lower-case hex digits; the file's name
  std::string md5;     ///< 32 lower-case hex digits
  std::int64_t size = 0;
  proto::EspImageInfo info;
};

/// Thread-safe; every call blocks on disk I/O (call from a blocking pool or a runner).
class OtaImageStore {
 public:
  virtual ~OtaImageStore() = default;
  /// Checks the file at `path` (an upload's temporary file, in the same file system as
  /// the store) and moves it into the store. Errors (the file is removed on every error):
  /// invalid_argument `ota_image_error::too_large` above `max_bytes`, `image_invalid`
  /// (the description says what the checker refused, including an appended SHA-256 that
  /// does not match), unavailable for I/O failures.
  virtual Result<StoredImage> adopt_file(const std::string& path, std::uint64_t max_bytes) = 0;
  /// The same for bytes in memory (the base64 uploads, at most 5 MB).
  virtual Result<StoredImage> adopt_bytes(std::string_view bytes, std::uint64_t max_bytes) = 0;
  /// Where the file of `sha256` is (it may have been removed since).
  [[nodiscard]] virtual std::string path_of(std::string_view sha256) const = 0;
  /// Removes the file of `sha256`; a missing file is not an error.
  virtual Result<void> remove(std::string_view sha256) = 0;
};

}  // namespace stratus::service
