#pragma once
/// @file
/// An ESP-IDF NVS partition image writer (ESP-IDF `components/nvs_flash`, "NVS internals":
/// pages, entries, multipage blobs), byte-compatible with what `nvs_partition_gen.py
/// generate <csv> <out> <size> --version 2` writes for the same rows (the copy the RainMaker
/// admin CLI ships in `tools/nvs_partition_gen.py`, unencrypted). The factory partition
/// `fctry` holding RainMaker credentials (spec rainmaker.md §6, §7) is such an image; the
/// firmware reads these bytes. Pure, no I/O.
///
/// The layout written:
/// - pages of 4096 bytes: a 32-byte header (state u32 LE at 0, sequence number u32 at 4,
///   version byte 0xFE at 8, 0xFF up to 28, CRC32 of bytes 4..28 at 28), a 32-byte entry
///   state bitmap (2 bits per entry, `10` = written, `11` = empty), 126 entries of 32 bytes;
/// - an entry: namespace index (0 for namespace definitions), type, span (entries used,
///   header included), chunk index (0xFF unless a blob chunk), CRC32 at 4 over bytes 0..4
///   and 8..32, a key of up to 15 bytes NUL-padded to 16 at 8, 8 data bytes at 24;
/// - integers in the data bytes (little-endian, unused bytes 0xFF); strings (NUL added)
///   with size u16 at 24 and CRC32 of the data at 28, the data in the following entries;
///   blobs as `blob_data` chunks (as much as fits in the rest of a page, chunk index
///   0, 1, …) followed by a `blob_index` entry (total size u32 at 24, chunk count at 28,
///   first chunk index 0 at 29);
/// - the generator's page rules: an item that does not fit starts a new page (strings when
///   `entries used + span >= 126`), every page it wrote ends in state FULL (0xFFFFFFFC),
///   unused pages get a header too, and the last page of the partition is left erased (all
///   0xFF; the generator reserves it). CRC32 is zlib's `crc32(data, 0xFFFFFFFF)`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto {

/// Bytes in one NVS page.
inline constexpr std::size_t kNvsPageBytes = 4096;
/// Bytes in one entry.
inline constexpr std::size_t kNvsEntryBytes = 32;
/// Entries in one page.
inline constexpr std::size_t kNvsEntriesPerPage = 126;
/// Longest key or namespace name, in bytes (the 16th byte is the NUL).
inline constexpr std::size_t kNvsMaxKeyBytes = 15;
/// Longest string, in bytes, including the NUL the writer adds (the generator's limit).
inline constexpr std::size_t kNvsMaxStringBytes = 1984;
/// Smallest partition the generator accepts (two data pages and the reserved page).
inline constexpr std::size_t kNvsMinPartitionBytes = 0x3000;
/// Largest partition this writer builds (a sanity cap; factory partitions are a few pages).
inline constexpr std::size_t kNvsMaxPartitionBytes = 1024U * 1024U;
/// Most namespaces in one image (index 0 means "namespace definition", 0xFF "any").
inline constexpr std::size_t kNvsMaxNamespaces = 254;

/// Entry types (`nvs_types.h` `ItemType`).
enum class NvsType : std::uint8_t {
  u8 = 0x01,
  i8 = 0x11,
  u16 = 0x02,
  i16 = 0x12,
  u32 = 0x04,
  i32 = 0x14,
  u64 = 0x08,
  i64 = 0x18,
  string = 0x21,
  blob = 0x41,  ///< single-page blob of format version 1; never written here
  blob_data = 0x42,
  blob_index = 0x48,
};

/// Page states (the first word of a page header).
inline constexpr std::uint32_t kNvsPageActive = 0xFFFFFFFE;
inline constexpr std::uint32_t kNvsPageFull = 0xFFFFFFFC;
/// The format version byte of multipage-blob images ("version 2").
inline constexpr std::uint8_t kNvsVersion2 = 0xFE;

/// CRC32 as NVS uses it: the reflected 0xEDB88320 polynomial with a zero register and a
/// final inversion, i.e. zlib's `crc32(data, 0xFFFFFFFF)` and the ROM's `crc32_le(0xFFFFFFFF, …)`.
/// Thread-safe.
[[nodiscard]] std::uint32_t nvs_crc32(std::string_view bytes) noexcept;

/// Builds one NVS partition image, entry by entry, in the order a generator CSV lists
/// them. Each `add_*` either writes the whole item or returns an error and leaves the image
/// as it was. Not thread-safe; one writer per image (cheap: the image is a few pages).
class NvsPartitionWriter {
 public:
  /// A writer for a partition of `partition_bytes`. Errors: `invalid_argument` unless it
  /// is a multiple of 4096 between `kNvsMinPartitionBytes` and `kNvsMaxPartitionBytes`.
  static Result<NvsPartitionWriter> create(std::size_t partition_bytes);

  /// Opens namespace `name`: the following entries belong to it (a CSV `namespace` row).
  /// Errors: `invalid_argument` (empty, longer than 15 bytes, control characters),
  /// `resource_exhausted` (more than `kNvsMaxNamespaces`, or the partition is full).
  Result<void> add_namespace(std::string_view name);

  /// An unsigned integer entry of `type` u8/u16/u32/u64 (CSV encodings `u8`…`u64`).
  /// Errors: `invalid_argument` (bad key, no namespace yet, another type, value out of
  /// range), `resource_exhausted` (partition full).
  Result<void> add_unsigned(std::string_view key, NvsType type, std::uint64_t value);
  /// A signed integer entry of `type` i8/i16/i32/i64; errors as `add_unsigned`.
  Result<void> add_signed(std::string_view key, NvsType type, std::int64_t value);

  /// A string entry (CSV encoding `string`): `value` plus a NUL. Errors: `invalid_argument`
  /// (bad key, no namespace, a NUL inside `value`, more than `kNvsMaxStringBytes` with the
  /// NUL), `resource_exhausted` (partition full). The Python generator counts characters,
  /// not bytes, so for non-ASCII strings it writes a wrong size; this writer counts bytes.
  Result<void> add_string(std::string_view key, std::string_view value);

  /// A blob (CSV encodings `binary`, and `hex2bin`/`base64` once decoded): `blob_data`
  /// chunks and a `blob_index`, any size that fits (an empty blob is one empty chunk).
  /// Errors: `invalid_argument` (bad key, no namespace), `resource_exhausted` (full).
  Result<void> add_blob(std::string_view key, std::string_view bytes);

  /// `add_blob` of the bytes `hex` spells (CSV encoding `hex2bin`; either case). Errors:
  /// `invalid_argument` for an odd length or a non-hex character, else as `add_blob`.
  Result<void> add_hex_blob(std::string_view key, std::string_view hex);

  /// The finished image, `partition_bytes` long: the remaining pages get headers, every
  /// written page is marked FULL, the last page stays erased. The writer is spent after.
  [[nodiscard]] std::string finish() &&;

 private:
  explicit NvsPartitionWriter(std::size_t data_pages) : data_pages_(data_pages) {}
  Result<void> new_page();
  Result<void> check_key(std::string_view key) const;
  /// `check_key`, and a namespace to put the entry in exists.
  Result<void> check_entry_key(std::string_view key) const;
  void write_entry(const std::uint8_t* bytes, std::size_t size, std::size_t entry_count);
  Result<void> write_primitive(std::uint8_t ns, std::string_view key, NvsType type,
                               std::uint64_t raw, std::size_t width);
  Result<void> write_blob(std::string_view key, std::string_view bytes);

  std::size_t data_pages_ = 0;  ///< pages the image may use (all but the reserved last one)
  std::vector<std::string> pages_;
  std::size_t entry_ = 0;  ///< next free entry in the current (last) page
  std::size_t namespaces_ = 0;
};

}  // namespace stratus::proto
