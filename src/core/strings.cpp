#include "core/strings.hpp"

namespace stratus {

std::string_view trim(std::string_view text, std::string_view chars) noexcept {
  const auto begin = text.find_first_not_of(chars);
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = text.find_last_not_of(chars);
  return text.substr(begin, end - begin + 1);
}

std::string join_list(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += separator;
    out += items[i];
  }
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto length = comma == std::string_view::npos ? std::string_view::npos : comma - start;
    const auto item = trim(text.substr(start, length), " ");
    if (!item.empty()) {
      items.emplace_back(item);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return items;
}

void append_json_string(std::string& out, std::string_view text) {
  constexpr std::string_view kHex = "0123456789abcdef";
  const auto plain = [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  };
  out += '"';
  std::size_t run = 0;  // where the bytes not yet copied begin
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (plain(c))
      continue;
    out.append(text, run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  out.append(text, run);
  out += '"';
}

}  // namespace stratus
