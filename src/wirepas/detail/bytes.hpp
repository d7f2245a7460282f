#pragma once
/// @file
/// Little-endian byte reading and writing shared by the Wirepas codecs (msap, apdu).
/// Internal to the module.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace stratus::wirepas::detail {

/// Reads little-endian integers from a span; a read past the end sets `failed()` and
/// returns 0, so a decoder can read a whole layout and check once.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  /// `n` bytes (1-8) as an unsigned little-endian integer.
  std::uint64_t le(std::size_t n) {
    if (failed_ || bytes_.size() - at_ < n) {
      failed_ = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(bytes_[at_ + i]) << (8 * i);
    at_ += n;
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u24() { return static_cast<std::uint32_t>(le(3)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  /// The next `n` bytes (empty and failed when fewer remain).
  std::span<const std::uint8_t> take(std::size_t n) {
    if (failed_ || bytes_.size() - at_ < n) {
      failed_ = true;
      return {};
    }
    auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }

  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - at_; }
  [[nodiscard]] std::size_t offset() const noexcept { return at_; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

/// Appends `value`'s low `n` bytes, little-endian.
inline void put_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

}  // namespace stratus::wirepas::detail
