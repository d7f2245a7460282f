#include "client/server_url.hpp"

#include <algorithm>
#include <cctype>

namespace stratus::client {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
      return false;
  }
  return true;
}

}  // namespace

std::string ServerUrl::versioned(std::string_view path) const {
  std::string url = root + "/v1/";
  url += path;
  return url;
}

std::string ServerUrl::unversioned(std::string_view path) const {
  std::string url = root + "/";
  url += path;
  return url;
}

bool ServerUrl::tls() const {
  return root.starts_with("https://");
}

Result<ServerUrl> parse_server_url(std::string_view text) {
  const std::string shown(text);
  if (text.empty())
    return fail(errc::invalid_argument, "server URL is empty");
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0 ||
               std::iscntrl(static_cast<unsigned char>(c)) != 0;
      })) {
    return fail(errc::invalid_argument, "server URL contains white space: \"" + shown + "\"");
  }
  std::string scheme;
  if (starts_with_ci(text, "http://")) {
    scheme = "http://";
  } else if (starts_with_ci(text, "https://")) {
    scheme = "https://";
  } else {
    return fail(errc::invalid_argument,
                "server URL must start with http:// or https://: \"" + shown + "\"");
  }
  std::string_view rest = text.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(errc::invalid_argument,
                "server URL must not have a query or fragment: \"" + shown + "\"");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.empty() || authority.front() == ':')
    return fail(errc::invalid_argument, "server URL has no host: \"" + shown + "\"");
  if (authority.find('@') != std::string_view::npos) {
    return fail(errc::invalid_argument, "server URL must not carry user info: \"" + shown + "\"");
  }
  // Drop trailing slashes, then one trailing "/v1" (the RainMaker CLI's host form).
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  if (path.ends_with("/v1"))
    path.remove_suffix(3);
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  std::string root = scheme;
  for (char c : authority)
    root.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  root += path;
  return ServerUrl{std::move(root)};
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0F]);
    }
  }
  return out;
}

}  // namespace stratus::client
