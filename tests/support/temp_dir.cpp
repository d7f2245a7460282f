#include "support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/random.hpp"

namespace stratus::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  path_ =
      std::filesystem::path(base != nullptr ? base : "/tmp") / ("stratus-test-" + random_hex(6));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("STRATUS_SOURCE_DIR");
  return read_file(std::filesystem::path(root != nullptr ? root : ".") / relative);
}

}  // namespace stratus::test
