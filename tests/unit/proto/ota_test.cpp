// Proves the OTA wire pieces: the `otaurl` codec (spec rainmaker.md §1.3, the firmware's
// required/optional keys), the node-side otafetch/otastatus encoders against the cloud's
// decoders, and the ESP image header and streaming structure check (rainmaker-device.md §7):
// a built image passes whole and byte by byte; every corruption — magic, segment count,
// segment length, checksum, truncation anywhere, missing app description — is refused with
// an error naming it. How: images from `make_esp_image`, mutated at the offsets the spec gives.
#include "proto/ota.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "proto/esp_image.hpp"
#include "proto/payloads.hpp"

namespace stratus::proto {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string image(std::string version = "1.2.0", std::size_t payload = 4000) {
  auto built = make_esp_image({.chip_id = 0x09,
                               .version = std::move(version),
                               .project_name = "light",
                               .secure_version = 3,
                               .payload_bytes = payload});
  EXPECT_TRUE(built.has_value());
  return built.value_or("");
}

Result<void> check_whole(const std::string& img, std::uint64_t max = 1 << 24) {
  EspImageChecker checker(max);
  if (auto fed = checker.feed(bytes_of(img)); !fed)
    return fed;
  return checker.finish();
}

TEST(OtaUrl, RoundTripsEveryField) {
  OtaUrl offer{.ota_job_id = "job1",
               .url = "https://h:8080/ota/x?sig=1",
               .file_size = 1234567,
               .file_md5 = "5d41402abc4b2a76b9719d911017c592",
               .fw_version = "1.1",
               .metadata = R"({"validity":{"start":1,"end":2}})",
               .file_sha256 = std::string(64, 'a')};
  const auto parsed = parse_ota_url(encode_ota_url(offer));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().context;
  EXPECT_EQ(parsed->ota_job_id, "job1");
  EXPECT_EQ(parsed->url, offer.url);
  EXPECT_EQ(parsed->file_size, 1234567);
  EXPECT_EQ(parsed->file_md5, offer.file_md5);
  EXPECT_EQ(parsed->fw_version, "1.1");
  EXPECT_EQ(parsed->metadata, offer.metadata);
  EXPECT_EQ(parsed->file_sha256, offer.file_sha256);
}

TEST(OtaUrl, SpecExampleParses) {
  const auto parsed = parse_ota_url(
      R"({"ota_job_id":"Jb7x","url":"https://ota.example/fw.bin","fw_version":"1.1","file_size":1234567,"file_md5":"5d41402abc4b2a76b9719d911017c592","metadata":{"validity":{"start":1703788200,"end":1703961000}}})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->ota_job_id, "Jb7x");
  EXPECT_FALSE(parsed->file_sha256.has_value());
}

TEST(OtaUrl, RequiredAndTypedFieldsAreChecked) {
  for (const auto* bad :
       {R"({"url":"u"})", R"({"ota_job_id":"","url":"u"})", R"({"ota_job_id":"j"})",
        R"({"ota_job_id":"j","url":7})", R"({"ota_job_id":"j","url":"u","file_size":-1})",
        R"({"ota_job_id":"j","url":"u","file_size":"12"})",
        R"({"ota_job_id":"j","url":"u","metadata":[]})",
        R"({"ota_job_id":"j","url":"u","file_md5":1})", "[]", "not json"}) {
    EXPECT_FALSE(parse_ota_url(bad).has_value()) << bad;
  }
}

TEST(OtaNodeMessages, EncodersDecodeWithTheCloudsParsers) {
  const auto fetch = parse_ota_fetch(encode_ota_fetch("n1", "1.0"));
  ASSERT_TRUE(fetch.has_value());
  EXPECT_EQ(fetch->node_id, "n1");
  EXPECT_EQ(fetch->fw_version, "1.0");
  const auto status = parse_ota_status(
      encode_ota_status("j", OtaState::in_progress, "Downloaded 50% Firmware Image", 17));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->status, OtaState::in_progress);
  EXPECT_EQ(status->additional_info, "Downloaded 50% Firmware Image");
  EXPECT_EQ(status->ts_s, 17);
  EXPECT_FALSE(parse_ota_status(encode_ota_status("j", OtaState::failed, "x", std::nullopt))->ts_s);
}

TEST(EspImage, BuiltImageParsesBack) {
  const auto img = image();
  const auto info = parse_esp_image_header(bytes_of(img));
  ASSERT_TRUE(info.has_value()) << info.error().context;
  EXPECT_EQ(info->chip_id, 0x09);
  EXPECT_EQ(esp_chip_name(info->chip_id), "esp32s3");
  EXPECT_EQ(info->version, "1.2.0");
  EXPECT_EQ(info->project_name, "light");
  EXPECT_EQ(info->secure_version, 3u);
  EXPECT_EQ(info->idf_version, "v5.5.5");
  EXPECT_EQ(img[0x30], '1');  // the version sits at image offset 0x30 (spec §7.3)
  EXPECT_EQ(img[0x50], 'l');  // project_name at 0x50
}

TEST(EspImage, ChipNamesRoundTrip) {
  EXPECT_EQ(esp_chip_id("ESP32-S3"), 0x09);
  EXPECT_EQ(esp_chip_id("esp32"), 0x00);
  EXPECT_EQ(esp_chip_id("esp8266"), std::nullopt);
  EXPECT_EQ(esp_chip_name(0x7777), "");
}

TEST(EspImage, HeaderRefusesCorruptions) {
  const auto good = image();
  struct Case {
    std::size_t offset;
    char value;
    const char* needle;
  };
  for (const Case& c : {Case{0, 0x00, "magic"}, Case{1, 0, "segment count"},
                        Case{1, 17, "segment count"}, Case{0x20, 0, "application description"},
                        Case{0x30 + 31, 'x', "version is not NUL-terminated"},
                        Case{0x50, '\x01', "project_name"}}) {
    auto bad = good;
    if (c.offset == 0x30 + 31)
      std::fill(bad.begin() + 0x30, bad.begin() + 0x50, 'x');
    else
      bad[c.offset] = c.value;
    const auto info = parse_esp_image_header(bytes_of(bad));
    ASSERT_FALSE(info.has_value()) << c.needle;
    EXPECT_NE(info.error().context.find(c.needle), std::string::npos) << info.error().context;
  }
  auto invalid_chip = good;
  invalid_chip[12] = invalid_chip[13] = '\xFF';
  EXPECT_FALSE(parse_esp_image_header(bytes_of(invalid_chip)).has_value());
  EXPECT_FALSE(parse_esp_image_header(bytes_of(good.substr(0, kEspImageHeaderBytes - 1))));
}

TEST(EspImage, CheckerAcceptsWholeAndByteByByte) {
  const auto img = image("2.0", 1001);
  ASSERT_TRUE(check_whole(img).has_value());
  EspImageChecker checker(1 << 24);
  for (std::size_t i = 0; i < img.size(); ++i)
    ASSERT_TRUE(checker.feed(bytes_of(img).subspan(i, 1)).has_value()) << i;
  ASSERT_TRUE(checker.finish().has_value());
  ASSERT_TRUE(checker.info().has_value());
  EXPECT_EQ(checker.info()->version, "2.0");
  EXPECT_EQ((img.size()) % 16, 0u);  // the checksum ends a 16-byte block
  EXPECT_EQ(checker.hashed_bytes(), 0u);
}

TEST(EspImage, CheckerAllowsTrailingSignatureBlocks) {
  EXPECT_TRUE(check_whole(image() + std::string(4096, '\x5A')).has_value());
}

TEST(EspImage, CheckerRefusesChecksumAndLengthErrors) {
  const auto good = image();
  auto flipped = good;
  flipped[500] ^= 0x01;  // inside the segment data
  auto result = check_whole(flipped);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().context.find("checksum mismatch"), std::string::npos);

  auto odd_length = good;
  odd_length[24 + 4] = static_cast<char>(odd_length[24 + 4] + 1);
  result = check_whole(odd_length);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().context.find("multiple of 4"), std::string::npos);

  result = check_whole(good, 1000);  // the segment passes the cap
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().context.find("largest image"), std::string::npos);
}

TEST(EspImage, CheckerRefusesEveryTruncation) {
  const auto good = image("1.0", 64);
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    const auto result = check_whole(good.substr(0, cut));
    ASSERT_FALSE(result.has_value()) << "cut at " << cut;
    EXPECT_NE(result.error().context.find("truncated"), std::string::npos)
        << cut << ": " << result.error().context;
  }
}

TEST(EspImage, CheckerKeepsItsFirstError) {
  EspImageChecker checker(1 << 20);
  const std::string junk(64, 'x');
  EXPECT_FALSE(checker.feed(bytes_of(junk)).has_value());
  EXPECT_FALSE(checker.feed(bytes_of(image())).has_value());
  EXPECT_FALSE(checker.finish().has_value());
}

TEST(EspImage, BuilderRefusesLongStrings) {
  EXPECT_FALSE(make_esp_image({.version = std::string(32, 'v'), .project_name = "p"}));
  EXPECT_FALSE(make_esp_image({.version = "1", .project_name = std::string(40, 'p')}));
}

}  // namespace
}  // namespace stratus::proto
