#include "proto/esp_image.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace stratus::proto {
namespace {

constexpr std::uint8_t kImageMagic = 0xE9;
constexpr std::uint32_t kAppDescMagic = 0xABCD5432;
constexpr std::uint8_t kMaxSegments = 16;
constexpr std::size_t kImageHeaderSize = 24;
constexpr std::size_t kAppDescOffset = 0x20;

struct Chip {
  std::uint16_t id;
  std::string_view name;
};
constexpr std::array<Chip, 13> kChips{{{0x00, "esp32"},
                                       {0x02, "esp32s2"},
                                       {0x05, "esp32c3"},
                                       {0x09, "esp32s3"},
                                       {0x0C, "esp32c2"},
                                       {0x0D, "esp32c6"},
                                       {0x10, "esp32h2"},
                                       {0x12, "esp32p4"},
                                       {0x14, "esp32c61"},
                                       {0x17, "esp32c5"},
                                       {0x19, "esp32h21"},
                                       {0x1C, "esp32h4"},
                                       {0x20, "esp32s31"}}};

std::uint16_t u16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t u32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) |
         (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

std::string hex_byte(std::uint8_t b) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xF];
}

tl::unexpected<Error> image_error(std::string what) {
  return fail(errc::invalid_argument, "ESP image: " + std::move(what));
}

// A fixed-size C string field: NUL-terminated inside the field, printable ASCII before it.
Result<std::string> c_string(std::span<const std::uint8_t> b, std::size_t at, std::size_t size,
                             std::string_view field) {
  const auto field_bytes = b.subspan(at, size);
  const auto nul = std::find(field_bytes.begin(), field_bytes.end(), std::uint8_t{0});
  if (nul == field_bytes.end())
    return image_error(std::string(field) + " is not NUL-terminated");
  std::string text(field_bytes.begin(), nul);
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; }))
    return image_error(std::string(field) + " is not printable ASCII");
  return text;
}

}  // namespace

std::string_view esp_chip_name(std::uint16_t chip_id) noexcept {
  for (const auto& chip : kChips) {
    if (chip.id == chip_id)
      return chip.name;
  }
  return {};
}

std::optional<std::uint16_t> esp_chip_id(std::string_view name) noexcept {
  std::string folded;
  for (char c : name) {
    if (c != '-' && c != '_')
      folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (const auto& chip : kChips) {
    if (chip.name == folded)
      return chip.id;
  }
  return std::nullopt;
}

Result<EspImageInfo> parse_esp_image_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kEspImageHeaderBytes) {
    return image_error("too short: " + std::to_string(bytes.size()) + " bytes, the header needs " +
                       std::to_string(kEspImageHeaderBytes));
  }
  if (bytes[0] != kImageMagic)
    return image_error("bad image magic (expected 0xE9)");
  EspImageInfo info;
  info.segment_count = bytes[1];
  if (info.segment_count == 0 || info.segment_count > kMaxSegments)
    return image_error("segment count " + std::to_string(info.segment_count) + " is not 1..16");
  info.chip_id = u16(bytes, 12);
  if (info.chip_id == 0xFFFF)
    return image_error("chip id 0xFFFF is invalid");
  info.min_chip_rev_full = u16(bytes, 15);
  info.max_chip_rev_full = u16(bytes, 17);
  info.hash_appended = bytes[23] == 1;
  const auto desc = bytes.subspan(kAppDescOffset, 256);
  if (u32(desc, 0) != kAppDescMagic)
    return image_error("no application description (magic 0xABCD5432 missing at 0x20)");
  info.secure_version = u32(desc, 4);
  auto version = c_string(desc, 16, 32, "version");
  if (!version)
    return fail(std::move(version).error());
  auto project = c_string(desc, 48, 32, "project_name");
  if (!project)
    return fail(std::move(project).error());
  info.version = std::move(*version);
  info.project_name = std::move(*project);
  // Informational fields: kept when well-formed, left empty otherwise.
  if (auto t = c_string(desc, 80, 16, "time"))
    info.compile_time = std::move(*t);
  if (auto d = c_string(desc, 96, 16, "date"))
    info.compile_date = std::move(*d);
  if (auto idf = c_string(desc, 112, 32, "idf_ver"))
    info.idf_version = std::move(*idf);
  return info;
}

Result<void> EspImageChecker::fail_with(std::string what) {
  error_ = Error{errc::invalid_argument, "ESP image: " + std::move(what)};
  return fail(*error_);
}

Result<void> EspImageChecker::feed(std::span<const std::uint8_t> bytes) {
  if (error_)
    return fail(*error_);
  for (const std::uint8_t byte : bytes) {
    if (stage_ == Stage::trailer)
      break;  // signature blocks and padding after the digest: not ours to check
    if (auto stepped = step(byte); !stepped)
      return stepped;
    ++offset_;
  }
  return {};
}

Result<void> EspImageChecker::step(std::uint8_t byte) {
  if (offset_ < head_.size())
    head_[offset_] = byte;
  switch (stage_) {
    case Stage::image_header:
      if (offset_ + 1 == kImageHeaderSize) {
        if (head_[0] != kImageMagic)
          return fail_with("bad image magic (expected 0xE9)");
        segments_left_ = head_[1];
        if (segments_left_ == 0 || segments_left_ > kMaxSegments)
          return fail_with("segment count " + std::to_string(segments_left_) + " is not 1..16");
        stage_ = Stage::segment_header;
        header_fill_ = 0;
      }
      return {};
    case Stage::segment_header: {
      segment_header_[header_fill_++] = byte;
      if (header_fill_ < segment_header_.size())
        return {};
      segment_left_ = u32(segment_header_, 4);
      if (segment_left_ % 4 != 0)
        return fail_with("segment length " + std::to_string(segment_left_) +
                         " is not a multiple of 4");
      if (offset_ + 1 + segment_left_ > max_image_bytes_)
        return fail_with("a segment ends beyond the largest image accepted (" +
                         std::to_string(max_image_bytes_) + " bytes)");
      const bool first = offset_ + 1 == kAppDescOffset;
      if (first && segment_left_ < 256)
        return fail_with("the first segment is too short to hold the application description");
      stage_ = Stage::segment_data;
      if (segment_left_ == 0) {
        header_fill_ = 0;
        stage_ = --segments_left_ == 0 ? Stage::padding : Stage::segment_header;
      }
      return {};
    }
    case Stage::segment_data:
      checksum_ ^= byte;
      if (offset_ + 1 == head_.size()) {
        auto parsed = parse_esp_image_header(head_);
        if (!parsed) {
          error_ = parsed.error();
          return fail(*error_);
        }
        info_ = std::move(*parsed);
      }
      if (--segment_left_ == 0) {
        header_fill_ = 0;
        stage_ = --segments_left_ == 0 ? Stage::padding : Stage::segment_header;
      }
      return {};
    case Stage::padding:
      if ((offset_ + 1) % 16 != 0)
        return {};
      if (byte != checksum_) {
        return fail_with("checksum mismatch (image says " + hex_byte(byte) + ", data gives " +
                         hex_byte(checksum_) + ")");
      }
      hashed_bytes_ = info_ && info_->hash_appended ? offset_ + 1 : 0;
      stage_ = info_ && info_->hash_appended ? Stage::hash : Stage::trailer;
      return {};
    case Stage::hash:
      hash_[hash_fill_++] = byte;
      if (hash_fill_ == hash_.size()) {
        appended_ = hash_;
        stage_ = Stage::trailer;
      }
      return {};
    case Stage::trailer:
      return {};
  }
  return {};
}

Result<void> EspImageChecker::finish() {
  if (error_)
    return fail(*error_);
  switch (stage_) {
    case Stage::image_header:
      return fail_with("truncated in the image header");
    case Stage::segment_header:
    case Stage::segment_data:
      return fail_with("truncated inside the segments (" + std::to_string(offset_) + " bytes)");
    case Stage::padding:
      return fail_with("truncated before the checksum");
    case Stage::hash:
      return fail_with("truncated inside the appended SHA-256");
    case Stage::trailer:
      break;
  }
  if (!info_)
    return fail_with("no application description");
  return {};
}

}  // namespace stratus::proto

namespace stratus::proto {

Result<std::string> make_esp_image(const EspImageSpec& spec) {
  if (spec.version.size() >= 32 || spec.project_name.size() >= 32)
    return fail(errc::invalid_argument,
                "ESP image: version and project_name take at most 31 characters");
  const std::size_t payload = (spec.payload_bytes + 3) / 4 * 4;
  const std::size_t segment = 256 + payload;
  std::string image(kImageHeaderSize + 8 + segment, '\0');
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    image[at] = static_cast<char>(v & 0xFF);
    image[at + 1] = static_cast<char>(v >> 8);
  };
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i)
      image[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  image[0] = static_cast<char>(kImageMagic);
  image[1] = 1;                        // one segment
  image[2] = 2;                        // DIO
  image[3] = 0x20;                     // 4 MB, 40 MHz
  put32(4, 0x40080000);                // entry address
  image[8] = static_cast<char>(0xEE);  // WP pin disabled
  put16(12, spec.chip_id);
  put32(kImageHeaderSize, 0x3F400020);  // DROM load address
  put32(kImageHeaderSize + 4, static_cast<std::uint32_t>(segment));
  const std::size_t desc = kAppDescOffset;
  put32(desc, kAppDescMagic);
  put32(desc + 4, spec.secure_version);
  std::copy(spec.version.begin(), spec.version.end(), image.begin() + desc + 16);
  std::copy(spec.project_name.begin(), spec.project_name.end(), image.begin() + desc + 48);
  constexpr std::string_view kTime = "00:00:00";
  constexpr std::string_view kDate = "Jan  1 2026";
  constexpr std::string_view kIdf = "v5.5.5";
  std::copy(kTime.begin(), kTime.end(), image.begin() + desc + 80);
  std::copy(kDate.begin(), kDate.end(), image.begin() + desc + 96);
  std::copy(kIdf.begin(), kIdf.end(), image.begin() + desc + 112);
  std::uint32_t x = spec.payload_seed == 0 ? 1 : spec.payload_seed;  // xorshift32
  for (std::size_t i = desc + 256; i < image.size(); ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    image[i] = static_cast<char>(x & 0xFF);
  }
  std::uint8_t checksum = 0xEF;
  for (std::size_t i = kAppDescOffset; i < image.size(); ++i)
    checksum ^= static_cast<std::uint8_t>(image[i]);
  while ((image.size() + 1) % 16 != 0)
    image.push_back('\0');
  image.push_back(static_cast<char>(checksum));
  return image;
}

}  // namespace stratus::proto
