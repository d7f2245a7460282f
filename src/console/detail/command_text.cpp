#include "console/detail/command_text.hpp"

#include <ctime>

#include "core/hex.hpp"

namespace stratus::console::detail {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false;
  bool any = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (any)
        out.push_back(std::move(word));
      word.clear();
      any = false;
    } else {
      word.push_back(c);
      any = true;
    }
  }
  if (any)
    out.push_back(std::move(word));
  return out;
}

Result<Bound> bind(const std::vector<std::string>& args, std::span<const char* const> names) {
  Bound out;
  std::vector<std::string> positional;
  for (const auto& a : args) {
    const auto eq = a.find('=');
    bool named = false;
    if (eq != std::string::npos) {
      for (const char* n : names) {
        if (a.compare(0, eq, n) == 0 && std::char_traits<char>::length(n) == eq) {
          out[n] = a.substr(eq + 1);
          named = true;
        }
      }
    }
    if (!named)
      positional.push_back(a);
  }
  auto next = positional.begin();
  for (const char* n : names) {
    if (next == positional.end())
      break;
    if (!out.contains(n))
      out[n] = *next++;
  }
  if (next != positional.end())
    return fail(errc::invalid_argument, "unexpected argument \"" + *next + "\"");
  return out;
}

std::optional<std::uint64_t> to_uint(std::string_view text, std::uint64_t max) {
  if (text.empty())
    return std::nullopt;
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t v = 0;
  for (const char c : text) {
    const unsigned d = c >= '0' && c <= '9'   ? static_cast<unsigned>(c - '0')
                       : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? static_cast<unsigned>(c - 'A' + 10)
                                              : 99U;
    if (d >= base || d > max || v > (max - d) / base)
      return std::nullopt;
    v = v * base + d;
  }
  return v;
}

std::optional<std::string> typed_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X"))
    text.remove_prefix(2);
  return from_hex(text);
}

std::optional<bool> to_bool(std::string_view text) {
  for (const char* t : {"1", "true", "True", "yes", "on"}) {
    if (text == t)
      return true;
  }
  for (const char* f : {"0", "false", "False", "no", "off"}) {
    if (text == f)
      return false;
  }
  return std::nullopt;
}

std::string value_or(const Bound& a, std::string_view key, std::string_view fallback) {
  const auto it = a.find(key);
  return it == a.end() ? std::string(fallback) : it->second;
}

std::optional<std::chrono::milliseconds> timeout_of(const Bound& a,
                                                    std::chrono::milliseconds fallback) {
  const auto it = a.find("timeout");
  if (it == a.end())
    return fallback;
  auto s = to_uint(it->second, 86400);
  if (!s)
    return std::nullopt;
  return std::chrono::milliseconds(*s * 1000);
}

std::string seconds(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000);
}

std::string iso_time(std::int64_t ms) {
  if (ms <= 0)
    return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width)
    text.append(width - text.size(), ' ');
  return text;
}

std::string bytes_text(std::string_view bytes, bool hex) {
  if (hex)
    return to_hex(bytes);
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x" + to_hex(std::string_view(&c, 1));
    }
  }
  return out;
}

}  // namespace stratus::console::detail
