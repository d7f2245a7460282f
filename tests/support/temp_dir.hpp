#pragma once
/// @file
/// Test helpers: a temp dir per test, condition waits with deadlines (no sleeps
/// as synchronisation).

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace stratus::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The directory.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Polls `condition` every few milliseconds until it is true or `deadline` passes.
/// Returns the last value of `condition`.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline);

/// Reads a whole file; empty if it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Reads `relative` (e.g. "tests/data/node_config_light.json") from the source tree named
/// by STRATUS_SOURCE_DIR, as `read_file` does.
std::string source_file(const std::string& relative);

}  // namespace stratus::test
