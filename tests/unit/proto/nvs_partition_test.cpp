// Proves the NVS partition writer produces the bytes nvs_partition_gen.py (version 2) does
// for the same rows: page header and entry layouts with their CRCs, multipage blobs split
// at page ends, the generator's page rules and the erased reserved page. How: (1) a tiny
// image built here field by field with a bitwise CRC32 written in this file; (2) the
// committed tests/data/nvs/reference_creds.bin, which tests/data/nvs/make_reference.py
// derives from the documented format with Python's zlib CRC (rerun it to check the file);
// (3) errors leave the image unchanged.
#include "proto/nvs_partition.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace stratus::proto {
namespace {

// Bit by bit, straight from the definition (reflected 0xEDB88320, register 0, final inversion).
std::uint32_t slow_crc(const std::string& bytes) {
  std::uint32_t c = 0;
  for (const char ch : bytes) {
    c ^= static_cast<std::uint8_t>(ch);
    for (int k = 0; k < 8; ++k)
      c = (c & 1U) != 0 ? (c >> 1U) ^ 0xEDB88320U : c >> 1U;
  }
  return ~c;
}

std::string le32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i)
    s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

std::string page_header(std::uint32_t state, std::uint32_t seq) {
  std::string h = le32(state) + le32(seq) + '\xFE' + std::string(19, '\xFF');
  return h + le32(slow_crc(h.substr(4, 24)));
}

std::string entry(std::uint8_t ns, std::uint8_t type, std::uint8_t span, std::uint8_t chunk,
                  const std::string& key, const std::string& data8) {
  std::string key16 = key + std::string(16 - key.size(), '\0');
  std::string head{static_cast<char>(ns), static_cast<char>(type), static_cast<char>(span),
                   static_cast<char>(chunk)};
  return head + le32(slow_crc(head + key16 + data8)) + key16 + data8;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(NvsPartition, Crc32IsZlibSeededWithAllOnes) {
  // Values of Python's zlib.crc32(data, 0xFFFFFFFF).
  EXPECT_EQ(nvs_crc32(""), 0xFFFFFFFFU);
  EXPECT_EQ(nvs_crc32("abc"), 0x359A672FU);
  EXPECT_EQ(nvs_crc32("abc"), slow_crc("abc"));
}

TEST(NvsPartition, TinyImageFieldByField) {
  auto writer = NvsPartitionWriter::create(0x3000);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(writer->add_namespace("rmaker_creds").has_value());
  ASSERT_TRUE(writer->add_unsigned("count", NvsType::u16, 0x1234).has_value());
  ASSERT_TRUE(writer->add_string("host", "ab").has_value());
  const std::string image = std::move(*writer).finish();
  ASSERT_EQ(image.size(), 0x3000U);

  std::string page0 = page_header(kNvsPageFull, 0);
  // Entries 0..3 written: each clears the low bit of its 2-bit state (11 -> 10).
  page0 += std::string(1, '\xAA') + std::string(31, '\xFF');
  page0 += entry(0, 0x01, 1, 0xFF, "rmaker_creds", std::string("\x01", 1) + std::string(7, '\xFF'));
  page0 += entry(1, 0x02, 1, 0xFF, "count", std::string("\x34\x12", 2) + std::string(6, '\xFF'));
  const std::string text("ab\0", 3);
  page0 +=
      entry(1, 0x21, 2, 0xFF, "host", std::string("\x03\x00\xFF\xFF", 4) + le32(slow_crc(text)));
  page0 += text + std::string(29, '\xFF');
  page0 += std::string(4096 - page0.size(), '\xFF');
  const std::string page1 = page_header(kNvsPageFull, 1) + std::string(4096 - 32, '\xFF');
  EXPECT_EQ(image.substr(0, 4096), page0);
  EXPECT_EQ(image.substr(4096, 4096), page1);
  EXPECT_EQ(image.substr(8192), std::string(4096, '\xFF'));
}

std::string pattern(std::size_t n, int seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((static_cast<int>(i) * 7 + seed) & 0xFF);
  return s;
}

TEST(NvsPartition, MatchesTheCommittedReferenceImage) {
  const char* root = std::getenv("STRATUS_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "set STRATUS_SOURCE_DIR";
  const std::string reference =
      read_file(std::string(root) + "/tests/data/nvs/reference_creds.bin");
  ASSERT_EQ(reference.size(), 0x4000U);

  auto writer = NvsPartitionWriter::create(0x4000);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(writer->add_namespace("rmaker_creds"));
  ASSERT_TRUE(writer->add_blob("node_id", "T2uNDXPMS9nj9vpKjs2QG8"));
  ASSERT_TRUE(writer->add_blob("mqtt_host", "a1b2c3-ats.iot.example.com"));
  ASSERT_TRUE(writer->add_blob("mqtt_cred_host", ""));
  ASSERT_TRUE(writer->add_unsigned("boot_count", NvsType::u8, 7));
  ASSERT_TRUE(writer->add_signed("offset", NvsType::i32, -2));
  ASSERT_TRUE(writer->add_string("label", "factory"));
  ASSERT_TRUE(writer->add_blob("client_cert", pattern(3000, 1)));
  ASSERT_TRUE(writer->add_blob("client_key", pattern(1700, 2)));
  std::string hex;
  for (int i = 0; i < 64; ++i) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    hex += kDigits[i / 16];
    hex += kDigits[i % 16];
  }
  ASSERT_TRUE(writer->add_hex_blob("random", hex));
  const std::string image = std::move(*writer).finish();
  ASSERT_EQ(image.size(), reference.size());
  for (std::size_t at = 0; at < image.size(); at += 32)
    ASSERT_EQ(image.substr(at, 32), reference.substr(at, 32))
        << "first difference in the 32 bytes at " << at;
}

TEST(NvsPartition, BlobSplitsAtThePageEnd) {
  // 5000 bytes cannot fit in one page: chunk 0 takes the page's tail (124 data entries
  // after its header = 3968 bytes), chunk 1 the rest, then the index.
  auto writer = NvsPartitionWriter::create(0x4000);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(writer->add_namespace("ns"));
  const std::string blob = pattern(5000, 3);
  ASSERT_TRUE(writer->add_blob("big", blob));
  const std::string image = std::move(*writer).finish();
  const std::string chunk0 = image.substr(64 + 32, 32);
  EXPECT_EQ(static_cast<std::uint8_t>(chunk0[1]), 0x42);
  EXPECT_EQ(static_cast<std::uint8_t>(chunk0[2]), 125);         // span
  EXPECT_EQ(static_cast<std::uint8_t>(chunk0[3]), 0);           // chunk index
  EXPECT_EQ(chunk0.substr(24, 2), std::string("\x80\x0F", 2));  // 3968
  EXPECT_EQ(image.substr(64 + 64, 3968), blob.substr(0, 3968));
  const std::string chunk1 = image.substr(4096 + 64, 32);
  EXPECT_EQ(static_cast<std::uint8_t>(chunk1[3]), 1);
  EXPECT_EQ(chunk1.substr(24, 2), std::string("\x08\x04", 2));  // 1032
  EXPECT_EQ(chunk1.substr(28, 4), le32(slow_crc(blob.substr(3968))));
  const std::string index = image.substr(4096 + 64 + 32 * (1 + 33), 32);
  EXPECT_EQ(static_cast<std::uint8_t>(index[1]), 0x48);
  EXPECT_EQ(index.substr(24, 8), le32(5000) + std::string("\x02\x00\xFF\xFF", 4));
}

TEST(NvsPartition, StringThatWouldEndThePageExactlyStartsANewOne) {
  // After the namespace (entry 0) and 123 u8 entries (1..123), entry 124 is next: a string
  // of span 2 would make 126 = the page's entry count, which the generator refuses.
  auto writer = NvsPartitionWriter::create(0x3000);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(writer->add_namespace("ns"));
  for (int i = 0; i < 123; ++i)
    ASSERT_TRUE(writer->add_unsigned("k" + std::to_string(i), NvsType::u8, 1));
  ASSERT_TRUE(writer->add_string("s", "x"));
  const std::string image = std::move(*writer).finish();
  EXPECT_EQ(image.substr(64 + 124 * 32, 64), std::string(64, '\xFF'));
  EXPECT_EQ(static_cast<std::uint8_t>(image[4096 + 64 + 1]), 0x21);
}

TEST(NvsPartition, ErrorsLeaveTheImageUnchanged) {
  EXPECT_FALSE(NvsPartitionWriter::create(0x2000).has_value());
  EXPECT_FALSE(NvsPartitionWriter::create(0x3001).has_value());
  auto writer = NvsPartitionWriter::create(0x3000);
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ(writer->add_blob("k", "v").error().code, errc::invalid_argument);  // no namespace
  ASSERT_TRUE(writer->add_namespace("ns"));
  const NvsPartitionWriter before = *writer;
  EXPECT_EQ(writer->add_blob("sixteen_bytes_ky", "v").error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_blob("", "v").error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_unsigned("k", NvsType::u8, 256).error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_signed("k", NvsType::i8, -129).error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_unsigned("k", NvsType::i8, 1).error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_string("k", std::string(kNvsMaxStringBytes, 'x')).error().code,
            errc::invalid_argument);
  EXPECT_EQ(writer->add_hex_blob("k", "abc").error().code, errc::invalid_argument);
  EXPECT_EQ(writer->add_hex_blob("k", "zz").error().code, errc::invalid_argument);
  // Two data pages hold about 7.9 KiB: 9000 bytes run out of pages half-way.
  EXPECT_EQ(writer->add_blob("big", pattern(9000, 0)).error().code, errc::resource_exhausted);
  EXPECT_EQ(std::move(*writer).finish(), NvsPartitionWriter(before).finish());
  // The longest string allowed fits.
  auto fresh = NvsPartitionWriter::create(0x3000);
  ASSERT_TRUE(fresh->add_namespace("ns"));
  EXPECT_TRUE(fresh->add_string("k", std::string(kNvsMaxStringBytes - 1, 'x')).has_value());
}

}  // namespace
}  // namespace stratus::proto
