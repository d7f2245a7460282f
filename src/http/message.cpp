#include "http/message.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

namespace stratus::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as a space in query components, where HTML forms
// put it). Rejects truncated or non-hex escapes and NUL bytes, escaped or raw (Beast
// refuses a raw one before we get here, but this is a public parser): nothing
// downstream expects them, and silently passing them on hides bugs and attacks alike.
Result<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const bool complete = i + 2 < in.size();
      const int hi = complete ? hex_value(in[i + 1]) : -1;
      const int lo = complete ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return fail(errc::invalid_argument, "bad percent-escape in request target");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0')
        return fail(errc::invalid_argument, "NUL byte in request target");
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '\0') {
      return fail(errc::invalid_argument, "NUL byte in request target");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string_view> find_field(const Fields& fields, std::string_view name,
                                           bool case_insensitive) {
  for (const auto& [key, value] : fields) {
    if (case_insensitive ? iequals(key, name) : key == name)
      return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  return find_field(headers, name, true);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  return find_field(query, name, false);
}

Response json_response(int status, std::string body) {
  return Response{
      .status = status, .content_type = "application/json", .body = std::move(body), .headers = {}};
}

Response failure_response(int status, int error_code, std::string_view description) {
  boost::json::object object;
  object["status"] = "failure";
  object["error_code"] = error_code;
  object["description"] = description;
  return json_response(status, boost::json::serialize(object));
}

Result<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return fail(errc::invalid_argument, "request target is not an absolute path");
  }
  const auto question = target.find('?');
  auto path = percent_decode(target.substr(0, question), false);
  if (!path)
    return fail(std::move(path.error()));

  Target out{.path = std::move(*path), .query = {}};
  if (question == std::string_view::npos)
    return out;

  std::string_view rest = target.substr(question + 1);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty())
      continue;  // "a=1&&b=2"
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    if (!name)
      return fail(std::move(name.error()));
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!value)
      return fail(std::move(value.error()));
    out.query.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace stratus::http
