#pragma once
/// @file
/// `service::OtaImageStore` on the local file system (docs/adr/0013): images live in
/// `<data_dir>/ota/images/<sha256>`, uploads wait in `<data_dir>/ota/uploads/`. A file is
/// read once, in 64 KiB chunks, through `proto::EspImageChecker`, SHA-256 and MD5 (OpenSSL
/// EVP), then renamed into place (atomic; an identical image already stored is kept).

#include <string>

#include "service/ota_image_store.hpp"

namespace stratus::server {

/// Thread-safe: calls share no mutable state (renames are atomic).
class FileOtaImageStore final : public service::OtaImageStore {
 public:
  /// `root`: `<data_dir>/ota`; created (mode 0700) by `open`.
  explicit FileOtaImageStore(std::string root);

  /// Creates `root/images` and `root/uploads`. Errors: unavailable with the OS text.
  Result<void> open();
  /// Where uploads are written before `adopt_file` (same file system as the images).
  [[nodiscard]] std::string upload_dir() const;

  Result<service::StoredImage> adopt_file(const std::string& path,
                                          std::uint64_t max_bytes) override;
  Result<service::StoredImage> adopt_bytes(std::string_view bytes,
                                           std::uint64_t max_bytes) override;
  [[nodiscard]] std::string path_of(std::string_view sha256) const override;
  Result<void> remove(std::string_view sha256) override;

 private:
  std::string root_;
};

}  // namespace stratus::server
