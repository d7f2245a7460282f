// Proves what WebFiles answers for each kind of path: hashed assets cached for a year,
// other files and client routes revalidated, index.html for client routes, the API's 404
// for /v1/ and for missing files, nothing outside the root. How: a bundle in a temp dir.
#include "http/web_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace stratus::http {
namespace {

std::string field(const Response& r, std::string_view name) {
  const auto it = std::find_if(r.headers.begin(), r.headers.end(),
                               [&](const auto& f) { return f.first == name; });
  return it == r.headers.end() ? std::string() : it->second;
}

class WebFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "web";
    std::filesystem::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<!doctype html><title>Stratus</title>";
    std::ofstream(root_ / "assets" / "index-abc123.js") << "console.log(1)";
    std::ofstream(root_ / "assets" / "index-abc123.css") << "body{}";
    std::ofstream(root_ / "favicon.ico") << "ico";
    std::ofstream(dir_.path() / "secret.txt") << "outside";
    auto site = WebFiles::open(root_);
    ASSERT_TRUE(site.has_value()) << site.error().message();
    site_.emplace(std::move(*site));
  }
  test::TempDir dir_;
  std::filesystem::path root_;
  std::optional<WebFiles> site_;
};

TEST_F(WebFilesTest, HashedAssetsAreCachedForAYearWithTheirType) {
  const Response js = site_->reply("/assets/index-abc123.js", std::nullopt);
  EXPECT_EQ(js.status, 200);
  ASSERT_TRUE(js.file.has_value());
  EXPECT_EQ(js.file->path, (root_ / "assets" / "index-abc123.js").string());
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(field(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(field(js, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(site_->reply("/assets/index-abc123.css", std::nullopt).content_type,
            "text/css; charset=utf-8");
}

TEST_F(WebFilesTest, ClientRoutesGetIndexHtmlRevalidatedWithAPolicy) {
  for (const std::string_view path : {"/", "/nodes/abc", "/index.html", "/nodes/"}) {
    const Response r = site_->reply(path, std::nullopt);
    EXPECT_EQ(r.status, 200) << path;
    ASSERT_TRUE(r.file.has_value()) << path;
    EXPECT_EQ(r.file->path, (root_ / "index.html").string()) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(field(r, "Cache-Control"), "no-cache") << path;
    EXPECT_NE(field(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_NE(field(r, "Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
  }
  const Response icon = site_->reply("/favicon.ico", std::nullopt);
  ASSERT_TRUE(icon.file.has_value());
  EXPECT_EQ(icon.content_type, "image/x-icon");
  EXPECT_EQ(field(icon, "Cache-Control"), "no-cache");
}

TEST_F(WebFilesTest, MissingAssetsApiPathsAndEscapesAreTheApisNotFound) {
  for (const std::string_view path :
       {"/assets/index-old999.js", "/v1/user/nodes2", "/v1", "/robots.txt", "/../secret.txt",
        "/assets/../../secret.txt", "/a\\..\\secret.txt"}) {
    const Response r = site_->reply(path, std::nullopt);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_FALSE(r.file.has_value()) << path;
    EXPECT_NE(r.body.find("\"error_code\""), std::string::npos) << path;
  }
}

TEST_F(WebFilesTest, ARangeIsHonouredAndABundleWithoutIndexIsRefused) {
  const Response part = site_->reply("/assets/index-abc123.js", std::string_view("bytes=0-6"));
  EXPECT_EQ(part.status, 206);
  ASSERT_TRUE(part.file.has_value());
  EXPECT_EQ(part.file->length, 7U);
  const auto empty = dir_.path() / "empty";
  std::filesystem::create_directories(empty);
  const auto refused = WebFiles::open(empty);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::not_found);
}

}  // namespace
}  // namespace stratus::http
