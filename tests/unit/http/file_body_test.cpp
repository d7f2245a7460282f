// Proves file replies (200/206/416, HEAD, large files, resume) and streamed uploads
// (body_to_file routes: intact, temp file removed or kept, per-route limits, 100-continue,
// idle timeout rather than one deadline). How: a real Server on 127.0.0.1 port 0, files
// in a temp dir, the blocking test client; bytes compared with what was written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace stratus::http {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::HttpConnection;

constexpr auto host = "127.0.0.1";
constexpr auto deadline = 5s;
constexpr std::size_t upload_limit = 4 << 20;

// Bytes that differ from their neighbours, so that an offset error shows.
std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return bytes;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
    ++count;
  return count;
}

class FileBodyTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.upload_dir = uploads_;
    Router router;
    router.add("GET", "/v1/file", [this](Request& request) -> boost::asio::awaitable<Response> {
      co_return file_response(file_.string(), content_.size(), request.header("Range"),
                              "application/octet-stream");
    });
    router.add("GET", "/v1/missing", [this](Request&) -> boost::asio::awaitable<Response> {
      co_return file_response((dir_.path() / "nope.bin").string(), 10, std::nullopt,
                              "application/octet-stream");
    });
    router.add("GET", "/v1/short", [this](Request&) -> boost::asio::awaitable<Response> {
      co_return file_response(file_.string(), content_.size() + 1, std::nullopt,
                              "application/octet-stream");
    });
    router.add("GET", "/v1/ping", [](Request&) -> boost::asio::awaitable<Response> {
      co_return json_response(200, "{}");
    });
    // Records what arrived; keeps the file only for ?keep.
    router.add(
        "PUT", "/v1/upload",
        [this](Request& request) -> boost::asio::awaitable<Response> {
          {
            std::lock_guard lock(mutex_);
            ++uploads_seen_;
            seen_body_ = request.body;
            seen_path_ = request.body_file;
            seen_content_ = test::read_file(request.body_file);
          }
          if (request.query_param("keep")) {
            std::lock_guard lock(mutex_);
            std::filesystem::rename(request.body_file, dir_.path() / "kept.bin");
          }
          co_return json_response(200, std::to_string(test::read_file(request.body_file).size()));
        },
        RouteOptions{.max_body_bytes = upload_limit, .body_to_file = true});
    router.add(
        "PUT", "/v1/upload-small",
        [this](Request&) -> boost::asio::awaitable<Response> {
          std::lock_guard lock(mutex_);
          ++uploads_seen_;
          co_return json_response(200, "{}");
        },
        RouteOptions{.max_body_bytes = 1000, .body_to_file = true});
    router.add(
        "POST", "/v1/big-json",
        [](Request& request) -> boost::asio::awaitable<Response> {
          co_return json_response(200, std::to_string(request.body.size()));
        },
        RouteOptions{.max_body_bytes = 2 << 20, .body_to_file = false});
    router.add("POST", "/v1/small", [](Request& request) -> boost::asio::awaitable<Response> {
      co_return json_response(200, std::to_string(request.body.size()));
    });
    server_ = std::make_unique<Server>(std::move(options), std::move(router), metrics_);
    const auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message();
  }

  void make_file(std::size_t size) {
    content_ = pattern(size);
    write_file(file_, content_);
  }

  std::uint16_t port() const { return server_->port(); }

  test::TempDir dir_;
  std::filesystem::path uploads_ = dir_.path() / "uploads";
  std::filesystem::path file_ = dir_.path() / "firmware.bin";
  std::string content_;
  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::mutex mutex_;
  int uploads_seen_ = 0;
  std::string seen_body_;
  std::string seen_path_;
  std::string seen_content_;
};

TEST_F(FileBodyTest, WholeFileIs200WithContentLengthAndAcceptRanges) {
  make_file(100);
  start();
  const auto reply = http_request(host, port(), "GET", "/v1/file");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, content_);
  EXPECT_EQ(reply.header("Content-Length"), "100");
  EXPECT_EQ(reply.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(reply.header("Content-Type"), "application/octet-stream");
  EXPECT_FALSE(reply.header("Content-Range").has_value());
  EXPECT_FALSE(reply.header("Transfer-Encoding").has_value());
}

TEST_F(FileBodyTest, RangesAre206WithContentRange) {
  make_file(100);
  start();
  HttpConnection connection(host, port());  // keep-alive across file replies
  struct Case {
    const char* range;
    std::size_t offset;
    std::size_t length;
    const char* content_range;
  };
  for (const Case& c :
       {Case{"bytes=10-19", 10, 10, "bytes 10-19/100"}, Case{"bytes=-5", 95, 5, "bytes 95-99/100"},
        Case{"bytes=5-", 5, 95, "bytes 5-99/100"},
        Case{"bytes=90-1000", 90, 10, "bytes 90-99/100"}}) {
    const auto reply = connection.request("GET", "/v1/file", {}, {{"Range", c.range}});
    EXPECT_EQ(reply.status, 206) << c.range;
    EXPECT_EQ(reply.body, content_.substr(c.offset, c.length)) << c.range;
    EXPECT_EQ(reply.header("Content-Range"), c.content_range);
    EXPECT_EQ(reply.header("Content-Length"), std::to_string(c.length));
  }
}

TEST_F(FileBodyTest, RangeBeyondTheEndIs416) {
  make_file(100);
  start();
  HttpConnection connection(host, port());
  const auto reply = connection.request("GET", "/v1/file", {}, {{"Range", "bytes=100-"}});
  EXPECT_EQ(reply.status, 416);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.header("Content-Range"), "bytes */100");
  EXPECT_EQ(reply.header("Content-Length"), "0");
  EXPECT_EQ(connection.request("GET", "/v1/ping").status, 200);
}

TEST_F(FileBodyTest, MultiRangeAndMalformedRangesGetTheWholeFile) {
  make_file(100);
  start();
  HttpConnection connection(host, port());
  for (const char* range : {"bytes=0-1,5-6", "bytes=5-4", "items=0-1", "bytes="}) {
    const auto reply = connection.request("GET", "/v1/file", {}, {{"Range", range}});
    EXPECT_EQ(reply.status, 200) << range;
    EXPECT_EQ(reply.body, content_) << range;
  }
}

TEST_F(FileBodyTest, HeadGivesTheHeadersAndNoBody) {
  make_file(1000);
  start();
  HttpConnection connection(host, port());
  const auto whole = connection.request("HEAD", "/v1/file");
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body.empty());
  EXPECT_EQ(whole.header("Content-Length"), "1000");
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes");
  const auto part = connection.request("HEAD", "/v1/file", {}, {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.header("Content-Length"), "10");
  EXPECT_EQ(part.header("Content-Range"), "bytes 10-19/1000");
  // Had the server sent body bytes after the HEAD replies, this reply would be garbled.
  const auto next = connection.request("GET", "/v1/file", {}, {{"Range", "bytes=0-3"}});
  EXPECT_EQ(next.status, 206);
  EXPECT_EQ(next.body, content_.substr(0, 4));
}

TEST_F(FileBodyTest, LargeFileArrivesIntactAndResumeJoinsToTheFile) {
  make_file(3 * 1024 * 1024 + 17);
  start();
  HttpConnection connection(host, port(), 30s);
  const auto whole = connection.request("GET", "/v1/file");
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == content_) << "size " << whole.body.size();

  const std::size_t cut = 1234567;
  const auto first =
      connection.request("GET", "/v1/file", {}, {{"Range", "bytes=0-" + std::to_string(cut - 1)}});
  const auto rest =
      connection.request("GET", "/v1/file", {}, {{"Range", "bytes=" + std::to_string(cut) + "-"}});
  EXPECT_EQ(first.status, 206);
  EXPECT_EQ(rest.status, 206);
  EXPECT_TRUE(first.body + rest.body == content_);
}

TEST_F(FileBodyTest, MissingOrShortFileIs500AndServingContinues) {
  make_file(100);
  start();
  HttpConnection connection(host, port());
  EXPECT_EQ(connection.request("GET", "/v1/missing").status, 500);
  EXPECT_EQ(connection.request("GET", "/v1/short").status, 500);
  EXPECT_EQ(connection.request("HEAD", "/v1/missing").status, 500);
  EXPECT_EQ(connection.request("GET", "/v1/file").body, content_);
}

TEST_F(FileBodyTest, UploadDirIsCreatedOwnerOnly) {
  start();
  struct stat info {};
  ASSERT_EQ(::stat(uploads_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
}

TEST_F(FileBodyTest, FileRouteWithoutUploadDirFailsStart) {
  Router router;
  router.add(
      "PUT", "/v1/upload",
      [](Request&) -> boost::asio::awaitable<Response> { co_return json_response(200, "{}"); },
      RouteOptions{.max_body_bytes = 1024, .body_to_file = true});
  Server server(ServerOptions{}, std::move(router), metrics_);
  const auto started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, errc::invalid_argument);
}

TEST_F(FileBodyTest, LargeUploadArrivesIntactInATempFileThatIsRemovedAfterwards) {
  start();
  const std::string image = pattern(3 * 1024 * 1024 + 5);
  const auto reply =
      http_request(host, port(), "PUT", "/v1/upload", image, {}, std::chrono::seconds(30));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, std::to_string(image.size()));
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(seen_content_ == image) << "size " << seen_content_.size();
  EXPECT_TRUE(seen_body_.empty());
  EXPECT_EQ(std::filesystem::path(seen_path_).parent_path(), uploads_);
  EXPECT_FALSE(std::filesystem::exists(seen_path_));
  EXPECT_EQ(files_in(uploads_), 0U);
}

TEST_F(FileBodyTest, AnUploadTheHandlerMovesIsKept) {
  start();
  const std::string image = pattern(5000);
  EXPECT_EQ(http_request(host, port(), "PUT", "/v1/upload?keep", image).status, 200);
  EXPECT_EQ(test::read_file(dir_.path() / "kept.bin"), image);
  EXPECT_EQ(files_in(uploads_), 0U);
}

TEST_F(FileBodyTest, EmptyUploadGivesAnEmptyFile) {
  start();
  const auto reply = http_request(host, port(), "PUT", "/v1/upload", "");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "0");
  std::lock_guard lock(mutex_);
  EXPECT_FALSE(seen_path_.empty());
  EXPECT_EQ(files_in(uploads_), 0U);
}

TEST_F(FileBodyTest, UploadOverTheRouteLimitIs413AndLeavesNoFile) {
  start();
  {
    // Declared length over the limit: refused from the header, before any body byte.
    HttpConnection connection(host, port());
    connection.send_raw("PUT /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                        std::to_string(upload_limit + 1) + "\r\n\r\n");
    EXPECT_EQ(connection.read_reply().status, 413);
  }
  {
    // Chunked: the limit is met while the body streams into the file.
    HttpConnection connection(host, port());
    connection.send_raw(
        "PUT /v1/upload-small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "258\r\n" +
        std::string(600, 'c') + "\r\n258\r\n" + std::string(600, 'd') + "\r\n0\r\n\r\n");
    EXPECT_EQ(connection.read_reply().status, 413);
  }
  std::lock_guard lock(mutex_);
  EXPECT_EQ(uploads_seen_, 0);
  EXPECT_EQ(files_in(uploads_), 0U);
}

TEST_F(FileBodyTest, ExpectContinueWorksForFileAndMemoryRoutes) {
  start();
  for (const char* route : {"/v1/upload", "/v1/small"}) {
    HttpConnection connection(host, port());
    const std::string method = std::string(route) == "/v1/upload" ? "PUT" : "POST";
    connection.send_raw(
        method + " " + route +
        " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(connection.read_reply().status, 100) << route;
    connection.send_raw("hello");
    const auto reply = connection.read_reply();
    EXPECT_EQ(reply.status, 200) << route;
    EXPECT_EQ(reply.body, "5") << route;
  }
  // Over the limit: 413 at once, no 100 Continue.
  HttpConnection connection(host, port());
  connection.send_raw(
      "POST /v1/small HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(connection.read_reply().status, 413);
}

TEST_F(FileBodyTest, MemoryRoutesKeepTheDefaultLimitUnlessTheyRaiseIt) {
  start();
  const std::string over_default((1 << 20) + 1, 'j');
  EXPECT_EQ(http_request(host, port(), "POST", "/v1/small", over_default).status, 413);
  const auto big = http_request(host, port(), "POST", "/v1/big-json", over_default);
  EXPECT_EQ(big.status, 200);
  EXPECT_EQ(big.body, std::to_string(over_default.size()));
  EXPECT_EQ(
      http_request(host, port(), "POST", "/v1/big-json", std::string((2 << 20) + 1, 'j')).status,
      413);
}

TEST_F(FileBodyTest, SlowUploadOutlastsTheRequestTimeoutWhileDataFlows) {
  ServerOptions options;
  options.request_timeout = 200ms;
  options.idle_timeout = 5s;
  start(options);
  HttpConnection connection(host, port());
  const int pieces = 5;
  connection.send_raw("PUT /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                      std::to_string(pieces * 10) + "\r\n\r\n");
  for (int i = 0; i < pieces; ++i) {
    // Pacing a slow client, not waiting for the server: the whole body takes longer
    // than request_timeout, each gap is far below idle_timeout.
    std::this_thread::sleep_for(100ms);
    connection.send_raw(std::string(10, static_cast<char>('a' + i)));
  }
  const auto reply = connection.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "50");
}

}  // namespace
}  // namespace stratus::http
