#pragma once
/// @file
/// Disk files of the HTTP session: opening the byte range of a file reply, creating the
/// temp file a `body_to_file` upload streams into, and removing it again.
/// Internal: included by detail/session.hpp only. POSIX (O_CLOEXEC, O_EXCL, fstat).

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/beast/core/file.hpp>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "http/message.hpp"

namespace stratus::http::detail {

/// Bytes a file reply reads from disk and writes per step: the one buffer a file reply
/// holds, whatever the file size.
inline constexpr std::size_t file_chunk_bytes = std::size_t{64} * 1024;

inline std::string errno_text(int error) {
  return std::system_category().message(error);
}

/// Opens `body.path` read-only, checks that it is a regular file holding at least
/// `offset + length` bytes, and positions it at `offset`. Errors: `internal` with the
/// path and the OS text (the handler promised a file that is not there).
inline Result<boost::beast::file> open_file_range(const FileBody& body) {
  const int fd = ::open(body.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::internal, "open " + body.path + ": " + errno_text(errno));
  boost::beast::file file;
  file.native_handle(fd);  // owns it from here on
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    return fail(errc::internal, "stat " + body.path + ": " + errno_text(errno));
  if (!S_ISREG(info.st_mode))
    return fail(errc::internal, body.path + " is not a regular file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (body.offset > size || body.length > size - body.offset) {
    return fail(errc::internal, fmt::format("{} has {} bytes, the reply promises {} from {}",
                                            body.path, size, body.length, body.offset));
  }
  boost::beast::error_code ec;
  file.seek(body.offset, ec);
  if (ec)
    return fail(errc::internal, "seek " + body.path + ": " + ec.message());
  return file;
}

/// A new, empty upload file, open for writing.
struct UploadFile {
  std::string path;
  boost::beast::file file;
};

/// Creates `dir/upload-<16 random hex digits>.part` with O_EXCL and mode 0600 (a
/// name that exists already is skipped, never reused). Errors: `unavailable` with the
/// OS text. Thread-safe.
inline Result<UploadFile> create_upload_file(const std::filesystem::path& dir) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string path = (dir / fmt::format("upload-{:016x}.part", random())).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      UploadFile out;
      out.path = std::move(path);
      out.file.native_handle(fd);
      return out;
    }
    if (errno != EEXIST)
      return fail(errc::unavailable, "create " + path + ": " + errno_text(errno));
  }
  return fail(errc::unavailable, "no free upload file name in " + dir.string());
}

/// The path of a temp file, removed (errors ignored: the handler may have moved it
/// away) by `remove()` or on destruction. Not thread-safe; one per request.
class TempFile {
 public:
  TempFile() = default;
  ~TempFile() { remove(); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  /// Takes charge of `path` (removing the file held before, if any).
  void adopt(std::string path) {
    remove();
    path_ = std::move(path);
  }
  /// The file's path; empty when there is none.
  [[nodiscard]] const std::string& path() const { return path_; }
  /// Removes the file if it is still there; afterwards `path()` is empty.
  void remove() {
    if (path_.empty())
      return;
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    path_.clear();
  }

 private:
  std::string path_;
};

}  // namespace stratus::http::detail
