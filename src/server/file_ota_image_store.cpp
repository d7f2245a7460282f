#include "server/file_ota_image_store.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>

#include "core/hex.hpp"
#include "core/random.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::server {
namespace {

namespace fs = std::filesystem;
namespace rest = proto::rest;

using Digest = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Digest digest(const EVP_MD* md) {
  Digest ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (ctx)
    EVP_DigestInit_ex(ctx.get(), md, nullptr);
  return ctx;
}

std::string finish(const Digest& ctx) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &n);
  return to_hex(std::span<const std::uint8_t>(out.data(), n));
}

Error invalid(std::string what) {
  return Error{errc::invalid_argument, std::move(what), rest::ota_image_error::image_invalid};
}

}  // namespace

FileOtaImageStore::FileOtaImageStore(std::string root) : root_(std::move(root)) {}

Result<void> FileOtaImageStore::open() {
  for (const auto* sub : {"images", "uploads"}) {
    std::error_code ec;
    fs::create_directories(fs::path(root_) / sub, ec);
    if (ec)
      return fail(errc::unavailable, "cannot create " + root_ + "/" + sub + ": " + ec.message());
    fs::permissions(fs::path(root_) / sub, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  return {};
}

std::string FileOtaImageStore::upload_dir() const {
  return (fs::path(root_) / "uploads").string();
}

std::string FileOtaImageStore::path_of(std::string_view sha256) const {
  return (fs::path(root_) / "images" / std::string(sha256)).string();
}

Result<void> FileOtaImageStore::remove(std::string_view sha256) {
  std::error_code ec;
  fs::remove(path_of(sha256), ec);
  if (ec)
    return fail(errc::unavailable,
                "cannot remove image " + std::string(sha256) + ": " + ec.message());
  return {};
}

Result<service::StoredImage> FileOtaImageStore::adopt_file(const std::string& path,
                                                           std::uint64_t max_bytes) {
  struct Discard {
    const std::string& path;
    bool keep = false;
    ~Discard() {
      if (!keep) {
        std::error_code ec;
        fs::remove(path, ec);
      }
    }
  } discard{path};

  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::unavailable, "cannot read the uploaded image");
  auto sha = digest(EVP_sha256());
  auto md5 = digest(EVP_md5());
  auto prefix = digest(EVP_sha256());  // what an appended SHA-256 covers
  if (!sha || !md5 || !prefix)
    return fail(errc::internal, "OpenSSL digest setup failed");
  proto::EspImageChecker checker(max_bytes);
  std::array<char, 64 * 1024> buffer{};
  std::uint64_t offset = 0;
  bool prefix_done = false;
  while (in) {
    in.read(buffer.data(), buffer.size());
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0)
      break;
    if (offset + n > max_bytes) {
      return fail(Error{errc::invalid_argument,
                        "the image is larger than " + std::to_string(max_bytes) + " bytes",
                        rest::ota_image_error::too_large});
    }
    const std::span<const std::uint8_t> chunk(reinterpret_cast<const std::uint8_t*>(buffer.data()),
                                              n);
    if (auto fed = checker.feed(chunk); !fed)
      return fail(invalid(fed.error().context));
    EVP_DigestUpdate(sha.get(), chunk.data(), n);
    EVP_DigestUpdate(md5.get(), chunk.data(), n);
    if (!prefix_done) {
      const auto hashed = checker.hashed_bytes();
      const auto take = hashed > 0 ? std::min<std::uint64_t>(n, hashed - offset) : n;
      EVP_DigestUpdate(prefix.get(), chunk.data(), take);
      prefix_done = hashed > 0;
    }
    offset += n;
  }
  if (in.bad())
    return fail(errc::unavailable, "reading the uploaded image failed");
  if (auto finished = checker.finish(); !finished)
    return fail(invalid(finished.error().context));
  if (checker.appended_sha256()) {
    const auto& appended = *checker.appended_sha256();
    if (finish(prefix) != to_hex(appended))
      return fail(invalid("ESP image: the appended SHA-256 does not match the image"));
  }
  service::StoredImage stored;
  stored.sha256 = finish(sha);
  stored.md5 = finish(md5);
  stored.size = static_cast<std::int64_t>(offset);
  stored.info = *checker.info();
  std::error_code ec;
  const auto target = path_of(stored.sha256);
  if (fs::exists(target, ec))
    return stored;  // the same bytes are stored already; the upload is dropped
  fs::rename(path, target, ec);
  if (ec)
    return fail(errc::unavailable, "cannot store the image: " + ec.message());
  discard.keep = true;
  return stored;
}

Result<service::StoredImage> FileOtaImageStore::adopt_bytes(std::string_view bytes,
                                                            std::uint64_t max_bytes) {
  const auto path = (fs::path(upload_dir()) / ("b64-" + random_hex(16))).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::error_code ec;
      fs::remove(path, ec);
      return fail(errc::unavailable, "cannot write the image to " + upload_dir());
    }
  }
  return adopt_file(path, max_bytes);
}

}  // namespace stratus::server
