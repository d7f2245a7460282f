#pragma once
/// @file
/// Internals of the pki module: subjectAltName entries as text. Nobody outside
/// src/pki/ includes this.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::pki::detail {

/// The 4 (IPv4) or 16 (IPv6) network-order bytes of a textual IP address, as
/// inet_pton(3) reads it; nullopt if `text` is not an address.
std::optional<std::vector<std::uint8_t>> parse_ip(std::string_view text);

/// Canonical text of 4 or 16 address bytes ("127.0.0.1", "::1"), as inet_ntop(3)
/// writes it; nullopt for any other length.
std::optional<std::string> format_ip(const std::uint8_t* bytes, std::size_t size);

/// Whether `name` is acceptable as a dNSName: 1..253 characters of letters, digits,
/// '-', '_', '.', and '*' (wildcards), not starting or ending with '.'.
/// Deliberately a little looser than RFC 1123 so real-world hostnames pass.
bool is_dns_name(std::string_view name);

/// The form used to compare names: IPs in canonical text, DNS names in lower case.
std::string comparable_name(std::string_view name);

}  // namespace stratus::pki::detail
