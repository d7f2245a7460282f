#pragma once
/// @file
/// The ESP application image format (spec rainmaker-device.md §7; ESP-IDF
/// `esp_app_format.h`, `esp_app_desc.h`, `esp_image_format.c`): the image header, the
/// application description at offset 0x20 (`version`, `project_name`, `secure_version`),
/// and a streaming structure check (segments, XOR checksum, the appended SHA-256's place).
/// The cloud checks uploaded OTA images with it; virtual nodes read the version an image
/// carries. Pure, no I/O; thread-safe (an `EspImageChecker` is used by one thread at a time).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::proto {

/// Bytes `parse_esp_image_header` needs: the 24-byte image header, the first segment's
/// 8-byte header and the 256-byte `esp_app_desc_t` that opens that segment.
inline constexpr std::size_t kEspImageHeaderBytes = 24 + 8 + 256;

/// What the start of an ESP application image says about it.
struct EspImageInfo {
  std::uint16_t chip_id = 0;            ///< `esp_chip_id_t`: ESP32 0x00, S3 0x09, C3 0x05, …
  std::uint8_t segment_count = 0;       ///< 1..16
  bool hash_appended = false;           ///< a SHA-256 of the image follows the checksum
  std::uint16_t min_chip_rev_full = 0;  ///< major·100 + minor
  std::uint16_t max_chip_rev_full = 0;
  std::uint32_t secure_version = 0;  ///< anti-rollback counter of the app
  std::string version;               ///< `esp_app_desc_t.version` (the firmware version)
  std::string project_name;          ///< `esp_app_desc_t.project_name`
  std::string compile_time;          ///< `time`, e.g. "10:20:30"
  std::string compile_date;          ///< `date`, e.g. "Dec  3 2026"
  std::string idf_version;           ///< `idf_ver`
};

/// Name of a chip id ("esp32", "esp32s3", …), or empty for an id this table does not know
/// (spec §7.4, IDF v5.5.5 plus master's S31).
[[nodiscard]] std::string_view esp_chip_name(std::uint16_t chip_id) noexcept;

/// Chip id for a chip name as `esp_chip_name` spells it (case-insensitive, '-' ignored:
/// "ESP32-S3" works); empty if unknown.
[[nodiscard]] std::optional<std::uint16_t> esp_chip_id(std::string_view name) noexcept;

/// Parses the first `kEspImageHeaderBytes` (or more) bytes of an image. Errors
/// (`errc::invalid_argument`, naming what is wrong): fewer bytes; image magic not 0xE9;
/// segment count 0 or above 16; chip id 0xFFFF; app description magic not 0xABCD5432;
/// `version` or `project_name` not NUL-terminated printable ASCII. Pure.
[[nodiscard]] Result<EspImageInfo> parse_esp_image_header(std::span<const std::uint8_t> bytes);

/// Walks a whole image as it streams in, the way the bootloader does (§7.1–7.2): the header,
/// each segment's header and data (length a multiple of 4, at most `max_image_bytes` in
/// all), the XOR checksum (0xEF seed) in the last byte of a 16-byte-aligned block, then the
/// 32-byte SHA-256 when `hash_appended`. Bytes after that (signature blocks) are allowed.
/// The SHA-256 itself is the caller's to compute (this module does no cryptography): it
/// covers bytes [0, `hashed_bytes()`) and must equal `appended_sha256()`.
class EspImageChecker {
 public:
  /// `max_image_bytes`: longest image accepted (a segment that would pass it is an error).
  explicit EspImageChecker(std::uint64_t max_image_bytes) noexcept
      : max_image_bytes_(max_image_bytes) {}

  /// Feeds the next bytes. After the first error every call returns that error.
  Result<void> feed(std::span<const std::uint8_t> bytes);

  /// Ends the stream. Errors: truncated image (which part is missing), checksum mismatch,
  /// or the first error `feed` returned.
  Result<void> finish();

  /// The parsed header (after at least `kEspImageHeaderBytes` were fed).
  [[nodiscard]] const std::optional<EspImageInfo>& info() const noexcept { return info_; }
  /// Bytes the appended SHA-256 covers (0 until known or when there is none).
  [[nodiscard]] std::uint64_t hashed_bytes() const noexcept { return hashed_bytes_; }
  /// The appended digest, once read.
  [[nodiscard]] const std::optional<std::array<std::uint8_t, 32>>& appended_sha256()
      const noexcept {
    return appended_;
  }

 private:
  enum class Stage { image_header, segment_header, segment_data, padding, hash, trailer };
  Result<void> fail_with(std::string what);
  Result<void> step(std::uint8_t byte);

  std::uint64_t max_image_bytes_;
  std::uint64_t offset_ = 0;
  Stage stage_ = Stage::image_header;
  std::array<std::uint8_t, kEspImageHeaderBytes> head_{};
  std::array<std::uint8_t, 8> segment_header_{};
  std::size_t header_fill_ = 0;
  std::uint8_t segments_left_ = 0;
  std::uint64_t segment_left_ = 0;
  std::uint8_t checksum_ = 0xEF;
  std::uint64_t hashed_bytes_ = 0;
  std::array<std::uint8_t, 32> hash_{};
  std::size_t hash_fill_ = 0;
  std::optional<EspImageInfo> info_;
  std::optional<std::array<std::uint8_t, 32>> appended_;
  std::optional<Error> error_;
};

}  // namespace stratus::proto

namespace stratus::proto {

/// What `make_esp_image` writes.
struct EspImageSpec {
  std::uint16_t chip_id = 0x00;  ///< ESP32
  std::string version;           ///< at most 31 characters
  std::string project_name;      ///< at most 31 characters
  std::uint32_t secure_version = 0;
  std::size_t payload_bytes = 0;   ///< application bytes after the description (rounded up to 4)
  std::uint32_t payload_seed = 1;  ///< the payload is a deterministic pseudo-random sequence
};

/// Builds a well-formed ESP application image (one segment, no appended hash): for
/// virtual nodes (`stratus-node image`), tests and benchmarks. The result passes
/// `EspImageChecker` and `parse_esp_image_header` gives back `spec`'s fields. Errors:
/// `errc::invalid_argument` when `version` or `project_name` has 32 characters or more.
/// Pure.
[[nodiscard]] Result<std::string> make_esp_image(const EspImageSpec& spec);

}  // namespace stratus::proto
