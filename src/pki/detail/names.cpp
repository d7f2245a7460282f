#include "pki/detail/names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>

namespace stratus::pki::detail {

std::optional<std::vector<std::uint8_t>> parse_ip(std::string_view text) {
  // inet_pton needs a NUL-terminated string; an embedded NUL makes it no address.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string z(text);
  std::array<std::uint8_t, 16> buf{};
  if (::inet_pton(AF_INET, z.c_str(), buf.data()) == 1) {
    return std::vector<std::uint8_t>(buf.begin(), buf.begin() + 4);
  }
  if (::inet_pton(AF_INET6, z.c_str(), buf.data()) == 1) {
    return std::vector<std::uint8_t>(buf.begin(), buf.end());
  }
  return std::nullopt;
}

std::optional<std::string> format_ip(const std::uint8_t* bytes, std::size_t size) {
  int family = 0;
  if (size == 4) {
    family = AF_INET;
  } else if (size == 16) {
    family = AF_INET6;
  } else {
    return std::nullopt;
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(family, bytes, text.data(), static_cast<socklen_t>(text.size())) == nullptr) {
    return std::nullopt;
  }
  return std::string(text.data());
}

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.')
    return false;
  // ASCII only, independent of the C locale.
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '*';
  });
}

std::string comparable_name(std::string_view name) {
  if (const auto ip = parse_ip(name)) {
    if (auto text = format_ip(ip->data(), ip->size()))
      return *std::move(text);
  }
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace stratus::pki::detail
