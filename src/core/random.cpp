#include "core/random.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <vector>

#include "core/assert.hpp"
#include "core/hex.hpp"

namespace stratus {

void random_bytes(std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR)
      continue;
    STRATUS_ASSERT(n > 0, "getrandom failed");
    done += static_cast<std::size_t>(n);
  }
}

std::string random_hex(std::size_t n) {
  std::vector<std::byte> bytes(n);
  random_bytes(bytes);
  return to_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string random_alnum(std::size_t n) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static_assert(alphabet.size() == 62);
  std::string id;
  id.reserve(n);
  std::array<std::byte, 64> buffer{};
  while (id.size() < n) {
    random_bytes(buffer);
    for (const std::byte b : buffer) {
      const auto v = std::to_integer<unsigned>(b);
      if (v >= 248)  // 248 = 4 * 62: keeps the distribution uniform
        continue;
      id.push_back(alphabet[v % 62]);
      if (id.size() == n)
        break;
    }
  }
  return id;
}

std::string uuid_v4() {
  std::array<std::byte, 16> b{};
  random_bytes(b);
  b[6] = (b[6] & std::byte{0x0F}) | std::byte{0x40};  // version 4
  b[8] = (b[8] & std::byte{0x3F}) | std::byte{0x80};  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    const auto v = std::to_integer<unsigned>(b[i]);
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 0x0F]);
  }
  return out;
}

}  // namespace stratus
