// Proves that download_image streams an OTA image to a file with its SHA-256, structure
// check, header and progress events; resumes with `Range: bytes=N-` after the server dropped
// the connection mid-body (appending the 206 answer), starts over on a 200; and turns HTTP
// errors, refused connections, oversized images and cancellation into the reasons the OTA
// status reports. How: a small HTTP/1.1 server thread on 127.0.0.1 (port 0) that serves one
// image with Range support and can cut its first answer short; every loop is bounded.
#include "agent/ota_download.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/esp_image.hpp"
#include "support/temp_dir.hpp"

namespace stratus::agent {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const auto b : digest) {
    hex += kDigits[b >> 4U];
    hex += kDigits[b & 0xFU];
  }
  return hex;
}

// Serves `body` at any path, one request per connection (Connection: close).
class ImageServer {
 public:
  struct Behaviour {
    std::size_t drop_first_after_bytes = 0;  ///< > 0: the first answer stops there and closes
    bool honour_range = true;                ///< false: always 200 with the whole body
    int status = 200;                        ///< e.g. 404: every answer is that, empty
  };

  ImageServer(std::string body, Behaviour behaviour)
      : body_(std::move(body)), behaviour_(behaviour) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ImageServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  ImageServer(const ImageServer&) = delete;
  ImageServer& operator=(const ImageServer&) = delete;

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/fw.bin";
  }
  /// The Range header of every request, "" when none.
  [[nodiscard]] std::vector<std::string> ranges() {
    std::lock_guard lock(mutex_);
    return ranges_;
  }

 private:
  void serve() {
    // Bounded: at most 50 connections, and the loop ends when the test ends.
    for (int served = 0; served < 50 && !stop_;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) {
        continue;
      }
      answer(client, served++ == 0);
      ::close(client);
    }
  }

  void send_all(int client, std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(client, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void answer(int client, bool first) {
    std::string request;
    char buffer[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) {
        return;
      }
      const auto n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) {
        return;
      }
      request.append(buffer, static_cast<std::size_t>(n));
    }
    std::string range;
    if (const auto at = request.find("\r\nRange: bytes="); at != std::string::npos) {
      const auto start = at + 15;
      range = request.substr(start, request.find("\r\n", start) - start);
    }
    {
      std::lock_guard lock(mutex_);
      ranges_.push_back(range);
    }
    if (behaviour_.status != 200) {
      send_all(client, "HTTP/1.1 " + std::to_string(behaviour_.status) +
                           " Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    std::size_t from = 0;
    if (!range.empty() && behaviour_.honour_range) {
      from = std::stoul(range.substr(0, range.find('-')));
    }
    if (from > body_.size() || (from == body_.size() && from > 0)) {
      send_all(client,
               "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n"
               "Connection: close\r\n\r\n");
      return;
    }
    const auto part = std::string_view(body_).substr(from);
    std::string head = from > 0
                           ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " +
                                 std::to_string(from) + "-" + std::to_string(body_.size() - 1) +
                                 "/" + std::to_string(body_.size()) + "\r\n"
                           : std::string("HTTP/1.1 200 OK\r\n");
    head += "Content-Length: " + std::to_string(part.size()) + "\r\nConnection: close\r\n\r\n";
    send_all(client, head);
    if (first && behaviour_.drop_first_after_bytes > 0) {
      send_all(client, part.substr(0, behaviour_.drop_first_after_bytes));
      return;  // closed with the body incomplete
    }
    send_all(client, part);
  }

  std::string body_;
  Behaviour behaviour_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> ranges_;
};

std::string test_image(std::size_t payload_bytes = 200'000) {
  proto::EspImageSpec spec;
  spec.version = "1.1.0";
  spec.project_name = "lamp";
  spec.payload_bytes = payload_bytes;
  auto image = proto::make_esp_image(spec);
  EXPECT_TRUE(image.has_value());
  return *image;
}

class OtaDownloadTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::filesystem::path file = dir.path() / "ota-image.bin";
  std::atomic<bool> cancel{false};
  std::vector<std::uint8_t> head;
  std::vector<std::uint64_t> progress;
  DownloadEvents events{
      [this](std::span<const std::uint8_t> h) { head.assign(h.begin(), h.end()); },
      [this](std::uint64_t bytes) { progress.push_back(bytes); }};

  Result<DownloadedImage> download(const std::string& url, bool resume,
                                   DownloadOptions options = {}) {
    OtaDownload request;
    request.id = 1;
    request.url = url;
    request.resume = resume;
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.stall_timeout = std::chrono::seconds(5);
    head.clear();
    progress.clear();
    return download_image(request, file, options, events, cancel);
  }
};

TEST_F(OtaDownloadTest, StreamsTheImageWithDigestStructureHeaderAndProgress) {
  const auto image = test_image();
  ImageServer server(image, {});
  auto result = download(server.url(), false);
  ASSERT_TRUE(result.has_value()) << result.error().context;
  EXPECT_EQ(result->bytes, image.size());
  EXPECT_EQ(result->sha256_hex, sha256_hex(image));
  EXPECT_EQ(result->structure_error, "");
  EXPECT_EQ(test::read_file(file), image);
  ASSERT_EQ(head.size(), proto::kEspImageHeaderBytes);
  EXPECT_EQ(std::string(head.begin(), head.end()), image.substr(0, head.size()));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), image.size());
  for (std::size_t i = 1; i + 1 < progress.size(); ++i) {
    EXPECT_GE(progress[i] - progress[i - 1], 16U * 1024U) << "at most every 16 KiB";
  }
  EXPECT_EQ(server.ranges(), std::vector<std::string>{""});
}

TEST_F(OtaDownloadTest, ResumesWithARangeAfterTheConnectionDroppedMidBody) {
  const auto image = test_image();
  ImageServer server(image, {.drop_first_after_bytes = 70'000});
  auto first = download(server.url(), false);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().context, "Complete data was not received");
  const auto kept = std::filesystem::file_size(file);
  EXPECT_GT(kept, 0U);
  EXPECT_LE(kept, 70'000U);

  auto second = download(server.url(), true);
  ASSERT_TRUE(second.has_value()) << second.error().context;
  EXPECT_EQ(second->bytes, image.size());
  EXPECT_EQ(second->sha256_hex, sha256_hex(image)) << "the digest covers the kept bytes too";
  EXPECT_EQ(second->structure_error, "");
  EXPECT_EQ(test::read_file(file), image);
  EXPECT_EQ(head.size(), proto::kEspImageHeaderBytes) << "the header comes from the kept bytes";
  EXPECT_EQ(server.ranges(), (std::vector<std::string>{"", std::to_string(kept) + "-"}));
}

TEST_F(OtaDownloadTest, AServerIgnoringTheRangeStartsTheFileOver) {
  const auto image = test_image();
  ImageServer server(image, {.drop_first_after_bytes = 30'000, .honour_range = false});
  ASSERT_FALSE(download(server.url(), false).has_value());
  auto second = download(server.url(), true);
  ASSERT_TRUE(second.has_value()) << second.error().context;
  EXPECT_EQ(second->sha256_hex, sha256_hex(image));
  EXPECT_EQ(test::read_file(file), image);
  EXPECT_EQ(server.ranges().size(), 2U);
  EXPECT_NE(server.ranges()[1], "") << "a Range was asked for, and ignored";
}

TEST_F(OtaDownloadTest, AFirstAttemptNeverResumesAndACompleteFileIsFetchedAgain) {
  const auto image = test_image(10'000);
  ImageServer server(image, {});
  ASSERT_TRUE(download(server.url(), false).has_value());
  // The whole image is on disk: asking for the rest gives 416, so it starts over.
  auto again = download(server.url(), true);
  ASSERT_TRUE(again.has_value()) << again.error().context;
  EXPECT_EQ(again->sha256_hex, sha256_hex(image));
  EXPECT_EQ(server.ranges(),
            (std::vector<std::string>{"", std::to_string(image.size()) + "-", ""}));
}

TEST_F(OtaDownloadTest, FailuresBecomeTheReasonsTheStatusReports) {
  ImageServer missing("", {.status = 404});
  auto not_found = download(missing.url(), false);
  ASSERT_FALSE(not_found.has_value());
  EXPECT_EQ(not_found.error().context, "OTA failed: HTTP 404");

  // A port nobody listens on (bound, never listening, so nothing else takes it).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto refused =
      download("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/fw.bin", false);
  ::close(fd);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().context.rfind("OTA failed: ", 0), 0U) << refused.error().context;

  const auto image = test_image();
  ImageServer server(image, {});
  DownloadOptions small;
  small.max_image_bytes = 100'000;
  auto too_big = download(server.url(), false, small);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().context, "OTA failed: image larger than 100000 bytes");

  cancel = true;
  auto cancelled = download(server.url(), false);
  ASSERT_FALSE(cancelled.has_value());
  EXPECT_EQ(cancelled.error().code, errc::timeout);
  EXPECT_EQ(cancelled.error().context, "OTA failed: cancelled");

  cancel = false;
  auto bad_scheme = download("ftp://127.0.0.1/fw.bin", false);
  ASSERT_FALSE(bad_scheme.has_value());
  EXPECT_EQ(bad_scheme.error().context.rfind("OTA failed: ", 0), 0U);
}

TEST_F(OtaDownloadTest, AMalformedImageIsDownloadedAndReportedAsSuch) {
  auto image = test_image(20'000);
  image[image.size() - 1] = static_cast<char>(image.back() ^ 0x5A);  // the checksum byte
  ImageServer server(image, {});
  auto result = download(server.url(), false);
  ASSERT_TRUE(result.has_value()) << result.error().context;
  EXPECT_NE(result->structure_error, "");
  EXPECT_EQ(result->sha256_hex, sha256_hex(image));

  ImageServer tiny("short", {});
  auto short_result = download(tiny.url(), false);
  ASSERT_TRUE(short_result.has_value());
  EXPECT_EQ(short_result->bytes, 5U);
  EXPECT_NE(short_result->structure_error, "");
  EXPECT_TRUE(head.empty()) << "no header event for an image shorter than one";
}

}  // namespace
}  // namespace stratus::agent
