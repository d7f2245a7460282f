#include "mfg/node_ids.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_set>

#include "core/random.hpp"

namespace stratus::mfg {

std::string generate_node_id() {
  std::array<std::byte, 16> uuid{};
  random_bytes(uuid);
  uuid[6] = (uuid[6] & std::byte{0x0F}) | std::byte{0x40};  // version 4
  uuid[8] = (uuid[8] & std::byte{0x3F}) | std::byte{0x80};  // RFC 9562 variant
  // Long division of the 128-bit big-endian number by 57, least significant digit first.
  std::array<std::uint32_t, 16> number{};
  for (std::size_t i = 0; i < uuid.size(); ++i)
    number[i] = std::to_integer<std::uint32_t>(uuid[i]);
  std::string digits;
  for (std::size_t n = 0; n < kShortUuidLength; ++n) {
    std::uint32_t remainder = 0;
    for (auto& byte : number) {
      const std::uint32_t value = (remainder << 8U) | byte;
      byte = value / 57U;
      remainder = value % 57U;
    }
    digits.push_back(kShortUuidAlphabet[remainder]);
  }
  // 57^22 > 2^128, so 22 digits always exhaust the number; leading zeros are '2'.
  return {digits.rbegin(), digits.rend()};
}

std::vector<std::string> generate_node_ids(std::size_t count) {
  std::vector<std::string> ids;
  ids.reserve(count);
  std::unordered_set<std::string> seen;
  while (ids.size() < count) {
    std::string id = generate_node_id();
    if (seen.insert(id).second)
      ids.push_back(std::move(id));
  }
  return ids;
}

Result<void> check_node_ids(std::span<const std::string> ids) {
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    const auto where = "node id #" + std::to_string(i + 1) + " '" + id.substr(0, 80) + "'";
    if (id.empty() || id.size() > kMaxNodeIdBytes)
      return fail(errc::invalid_argument,
                  where + ": must be 1 to " + std::to_string(kMaxNodeIdBytes) + " bytes");
    for (const char c : id) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (!ok)
        return fail(errc::invalid_argument,
                    where + ": only letters, digits, '-', '_' and '.' are allowed");
    }
    if (!seen.insert(id).second)
      return fail(errc::invalid_argument, where + ": duplicate");
  }
  return {};
}

}  // namespace stratus::mfg
