#include "proto/nvs_partition.hpp"

#include <array>
#include <cstring>
#include <utility>

#include "core/hex.hpp"

namespace stratus::proto {
namespace {

// Bytes of an integer type's value: the format keeps it in the type's low nibble
// (u8 0x01, i16 0x12, u32 0x04, i64 0x18, …).
std::size_t integer_width(NvsType type) {
  return static_cast<std::size_t>(static_cast<std::uint8_t>(type) & 0x0FU);
}

constexpr std::size_t kHeaderBytes = 32;
constexpr std::size_t kBitmapOffset = kHeaderBytes;  // the entry-state bitmap follows the header
constexpr std::size_t kFirstEntryOffset = 64;
constexpr std::uint8_t kChunkAny = 0xFF;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t crc_of(const std::uint8_t* data, std::size_t size) noexcept {
  std::uint32_t c = 0;
  for (std::size_t i = 0; i < size; ++i)
    c = kCrcTable[(c ^ data[i]) & 0xFFU] ^ (c >> 8U);
  return c ^ 0xFFFFFFFFU;
}

void put_u16(std::uint8_t* at, std::uint16_t v) {
  at[0] = static_cast<std::uint8_t>(v);
  at[1] = static_cast<std::uint8_t>(v >> 8U);
}
void put_u32(std::uint8_t* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    at[i] = static_cast<std::uint8_t>(v >> (8U * static_cast<unsigned>(i)));
}

using Entry = std::array<std::uint8_t, kNvsEntryBytes>;

// An entry header with the namespace, type, span, chunk index and key set, 0xFF elsewhere.
Entry entry_header(std::uint8_t ns, NvsType type, std::size_t span, std::uint8_t chunk,
                   std::string_view key) {
  Entry e;
  e.fill(0xFF);
  e[0] = ns;
  e[1] = static_cast<std::uint8_t>(type);
  e[2] = static_cast<std::uint8_t>(span);
  e[3] = chunk;
  std::memset(e.data() + 8, 0, 16);
  std::memcpy(e.data() + 8, key.data(), key.size());
  return e;
}

// The entry CRC at 4: bytes 0..4 and 8..32.
void seal(Entry& e) {
  std::array<std::uint8_t, 28> covered{};
  std::memcpy(covered.data(), e.data(), 4);
  std::memcpy(covered.data() + 4, e.data() + 8, 24);
  put_u32(e.data() + 4, crc_of(covered.data(), covered.size()));
}

std::size_t entries_for(std::size_t bytes) {
  return (bytes + kNvsEntryBytes - 1) / kNvsEntryBytes;
}

}  // namespace

std::uint32_t nvs_crc32(std::string_view bytes) noexcept {
  return crc_of(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

Result<NvsPartitionWriter> NvsPartitionWriter::create(std::size_t partition_bytes) {
  if (partition_bytes % kNvsPageBytes != 0 || partition_bytes < kNvsMinPartitionBytes ||
      partition_bytes > kNvsMaxPartitionBytes)
    return fail(errc::invalid_argument, "nvs partition size " + std::to_string(partition_bytes) +
                                            " must be a multiple of 4096 between " +
                                            std::to_string(kNvsMinPartitionBytes) + " and " +
                                            std::to_string(kNvsMaxPartitionBytes));
  NvsPartitionWriter writer(partition_bytes / kNvsPageBytes - 1);
  auto first = writer.new_page();
  (void)first;  // cannot fail: at least two data pages
  return writer;
}

Result<void> NvsPartitionWriter::new_page() {
  if (!pages_.empty()) {
    auto* header = reinterpret_cast<std::uint8_t*>(pages_.back().data());
    std::uint32_t state = 0;
    for (int i = 3; i >= 0; --i)
      state = (state << 8U) | header[i];
    if (state == kNvsPageActive)
      put_u32(header, kNvsPageFull);
  }
  if (pages_.size() >= data_pages_)
    return fail(errc::resource_exhausted, "nvs partition too small for its entries");
  std::string page(kNvsPageBytes, '\xFF');
  auto* header = reinterpret_cast<std::uint8_t*>(page.data());
  put_u32(header, kNvsPageActive);
  put_u32(header + 4, static_cast<std::uint32_t>(pages_.size()));
  header[8] = kNvsVersion2;
  put_u32(header + 28, crc_of(header + 4, 24));
  pages_.push_back(std::move(page));
  entry_ = 0;
  return {};
}

Result<void> NvsPartitionWriter::check_entry_key(std::string_view key) const {
  if (auto k = check_key(key); !k)
    return k;
  if (namespaces_ == 0)
    return fail(errc::invalid_argument,
                "nvs entry '" + std::string(key) + "' before any namespace");
  return {};
}

Result<void> NvsPartitionWriter::check_key(std::string_view key) const {
  if (key.empty() || key.size() > kNvsMaxKeyBytes)
    return fail(errc::invalid_argument, "nvs key '" + std::string(key) + "' must be 1 to " +
                                            std::to_string(kNvsMaxKeyBytes) + " bytes");
  for (const char c : key)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return fail(errc::invalid_argument, "nvs key has a control character");
  return {};
}

void NvsPartitionWriter::write_entry(const std::uint8_t* bytes, std::size_t size,
                                     std::size_t entry_count) {
  auto* page = reinterpret_cast<std::uint8_t*>(pages_.back().data());
  if (size > 0)
    std::memcpy(page + kFirstEntryOffset + kNvsEntryBytes * entry_, bytes, size);
  for (std::size_t i = 0; i < entry_count; ++i) {
    const std::size_t bit = entry_ * 2;
    page[kBitmapOffset + bit / 8] &= static_cast<std::uint8_t>(~(1U << (bit % 8)));
    ++entry_;
  }
}

Result<void> NvsPartitionWriter::write_primitive(std::uint8_t ns, std::string_view key,
                                                 NvsType type, std::uint64_t raw,
                                                 std::size_t width) {
  if (entry_ >= kNvsEntriesPerPage)
    if (auto page = new_page(); !page)
      return page;
  Entry e = entry_header(ns, type, 1, kChunkAny, key);
  for (std::size_t i = 0; i < width; ++i)
    e[24 + i] = static_cast<std::uint8_t>(raw >> (8U * i));
  seal(e);
  write_entry(e.data(), e.size(), 1);
  return {};
}

Result<void> NvsPartitionWriter::write_blob(std::string_view key, std::string_view bytes) {
  const auto ns = static_cast<std::uint8_t>(namespaces_);
  if (entry_ >= kNvsEntriesPerPage)
    if (auto page = new_page(); !page)
      return page;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  std::size_t offset = 0;
  std::size_t remaining = bytes.size();
  std::size_t chunks = 0;
  for (;;) {
    // The room left for data after this chunk's header entry.
    const std::size_t tailroom = (kNvsEntriesPerPage - entry_ - 1) * kNvsEntryBytes;
    const std::size_t chunk = std::min(tailroom, remaining);
    remaining -= chunk;
    Entry e = entry_header(ns, NvsType::blob_data, entries_for(chunk) + 1,
                           static_cast<std::uint8_t>(chunks), key);
    put_u16(e.data() + 24, static_cast<std::uint16_t>(chunk));
    put_u32(e.data() + 28, crc_of(data + offset, chunk));
    seal(e);
    write_entry(e.data(), e.size(), 1);
    write_entry(data + offset, chunk, entries_for(chunk));
    ++chunks;
    if (remaining > 0 || tailroom - chunk < kNvsEntryBytes)
      if (auto page = new_page(); !page)
        return page;
    offset += chunk;
    if (remaining == 0)
      break;
  }
  Entry index = entry_header(ns, NvsType::blob_index, 1, kChunkAny, key);
  put_u32(index.data() + 24, static_cast<std::uint32_t>(bytes.size()));
  index[28] = static_cast<std::uint8_t>(chunks);
  index[29] = 0;  // first chunk index
  seal(index);
  write_entry(index.data(), index.size(), 1);
  return {};
}

namespace {
// Runs `op` on `self`; on error puts `self` back as it was.
template <class Writer, class Op>
Result<void> atomically(Writer& self, Op op) {
  Writer before = self;
  auto result = op();
  if (!result)
    self = std::move(before);
  return result;
}
}  // namespace

Result<void> NvsPartitionWriter::add_namespace(std::string_view name) {
  if (auto key = check_key(name); !key)
    return key;
  if (namespaces_ >= kNvsMaxNamespaces)
    return fail(errc::resource_exhausted,
                "nvs image has " + std::to_string(kNvsMaxNamespaces) + " namespaces already");
  return atomically(*this, [&]() -> Result<void> {
    ++namespaces_;
    return write_primitive(0, name, NvsType::u8, namespaces_, 1);
  });
}

Result<void> NvsPartitionWriter::add_unsigned(std::string_view key, NvsType type,
                                              std::uint64_t value) {
  if (auto k = check_entry_key(key); !k)
    return k;
  if (type != NvsType::u8 && type != NvsType::u16 && type != NvsType::u32 && type != NvsType::u64)
    return fail(errc::invalid_argument, "add_unsigned takes u8, u16, u32 or u64");
  const std::size_t width = integer_width(type);
  if (width < 8 && value >> (8U * width) != 0)
    return fail(errc::invalid_argument, "nvs value " + std::to_string(value) +
                                            " out of range for '" + std::string(key) + "'");
  return atomically(*this, [&] {
    return write_primitive(static_cast<std::uint8_t>(namespaces_), key, type, value, width);
  });
}

Result<void> NvsPartitionWriter::add_signed(std::string_view key, NvsType type,
                                            std::int64_t value) {
  if (auto k = check_entry_key(key); !k)
    return k;
  if (type != NvsType::i8 && type != NvsType::i16 && type != NvsType::i32 && type != NvsType::i64)
    return fail(errc::invalid_argument, "add_signed takes i8, i16, i32 or i64");
  const std::size_t width = integer_width(type);
  if (width < 8) {
    const std::int64_t limit = std::int64_t{1} << (8U * width - 1U);
    if (value < -limit || value >= limit)
      return fail(errc::invalid_argument, "nvs value " + std::to_string(value) +
                                              " out of range for '" + std::string(key) + "'");
  }
  return atomically(*this, [&] {
    return write_primitive(static_cast<std::uint8_t>(namespaces_), key, type,
                           static_cast<std::uint64_t>(value), width);
  });
}

Result<void> NvsPartitionWriter::add_string(std::string_view key, std::string_view value) {
  if (auto k = check_entry_key(key); !k)
    return k;
  if (value.find('\0') != std::string_view::npos)
    return fail(errc::invalid_argument, "nvs string '" + std::string(key) + "' contains a NUL");
  std::string data(value);
  data.push_back('\0');
  if (data.size() > kNvsMaxStringBytes)
    return fail(errc::invalid_argument, "nvs string '" + std::string(key) + "' longer than " +
                                            std::to_string(kNvsMaxStringBytes - 1) + " bytes");
  return atomically(*this, [&]() -> Result<void> {
    const std::size_t data_entries = entries_for(data.size());
    if (entry_ >= kNvsEntriesPerPage || entry_ + data_entries + 1 >= kNvsEntriesPerPage)
      if (auto page = new_page(); !page)
        return page;
    Entry e = entry_header(static_cast<std::uint8_t>(namespaces_), NvsType::string,
                           data_entries + 1, kChunkAny, key);
    put_u16(e.data() + 24, static_cast<std::uint16_t>(data.size()));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
    put_u32(e.data() + 28, crc_of(bytes, data.size()));
    seal(e);
    write_entry(e.data(), e.size(), 1);
    write_entry(bytes, data.size(), data_entries);
    return {};
  });
}

Result<void> NvsPartitionWriter::add_blob(std::string_view key, std::string_view bytes) {
  if (auto k = check_entry_key(key); !k)
    return k;
  if (bytes.size() > kNvsMaxPartitionBytes)
    return fail(errc::resource_exhausted, "nvs blob '" + std::string(key) + "' too large");
  return atomically(*this, [&] { return write_blob(key, bytes); });
}

Result<void> NvsPartitionWriter::add_hex_blob(std::string_view key, std::string_view hex) {
  if (hex.size() % 2 != 0)
    return fail(errc::invalid_argument, "nvs hex2bin '" + std::string(key) + "': odd length");
  auto bytes = from_hex(hex);
  if (!bytes)
    return fail(errc::invalid_argument, "nvs hex2bin '" + std::string(key) + "': not hex");
  return add_blob(key, *bytes);
}

std::string NvsPartitionWriter::finish() && {
  // The generator fills the partition with fresh pages (each marking the one before FULL),
  // then fails to make one more, which marks the last FULL too, and appends the reserved page.
  while (new_page())
    ;
  std::string image;
  image.reserve((pages_.size() + 1) * kNvsPageBytes);
  for (const auto& page : pages_)
    image += page;
  image.append(kNvsPageBytes, '\xFF');
  return image;
}

}  // namespace stratus::proto
