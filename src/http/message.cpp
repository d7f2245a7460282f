#include "http/message.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <limits>

#include "core/hex.hpp"

namespace stratus::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
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
      const int hi = complete ? hex_digit(in[i + 1]) : -1;
      const int lo = complete ? hex_digit(in[i + 2]) : -1;
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

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

// 1*DIGIT, saturating at the largest uint64 (RFC 9110 puts no bound on the digits: a
// huge first-pos is merely unsatisfiable, a huge last-pos or suffix covers everything).
std::optional<std::uint64_t> parse_digits(std::string_view digits) {
  if (digits.empty())
    return std::nullopt;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (max - digit) / 10 ? max : value * 10 + digit;
  }
  return value;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  return find_field(headers, name, true);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  return find_field(query, name, false);
}

Response json_response(int status, std::string body) {
  return Response{.status = status,
                  .content_type = "application/json",
                  .body = std::move(body),
                  .headers = {},
                  .file = std::nullopt};
}

Response failure_response(int status, int error_code, std::string_view description) {
  boost::json::object object;
  object["status"] = "failure";
  object["error_code"] = error_code;
  object["description"] = description;
  return json_response(status, boost::json::serialize(object));
}

RangeDecision parse_byte_range(std::string_view range_header, std::uint64_t size) {
  using Kind = RangeDecision::Kind;
  const RangeDecision ignore{};
  const RangeDecision unsatisfiable{.kind = Kind::not_satisfiable, .offset = 0, .length = 0};

  const std::string_view value = trim_ows(range_header);
  const auto eq = value.find('=');
  if (eq == std::string_view::npos || !iequals(value.substr(0, eq), "bytes"))
    return ignore;  // §14.2: a unit we do not know is ignored

  // range-set = 1#range-spec; the list rule allows empty elements and OWS around commas.
  std::string_view rest = value.substr(eq + 1);
  std::optional<std::string_view> only;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view element = trim_ows(rest.substr(0, comma));
    if (!element.empty()) {
      if (only)
        return ignore;  // several ranges: allowed to send the whole representation instead
      only = element;
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  if (!only)
    return ignore;

  const auto dash = only->find('-');
  if (dash == std::string_view::npos)
    return ignore;
  const std::string_view first_text = only->substr(0, dash);
  const std::string_view last_text = only->substr(dash + 1);

  if (first_text.empty()) {  // suffix-range "-n"
    const auto suffix = parse_digits(last_text);
    if (!suffix)
      return ignore;
    if (*suffix == 0)
      return unsatisfiable;
    if (size == 0)
      return ignore;
    const std::uint64_t length = std::min(*suffix, size);
    return RangeDecision{.kind = Kind::satisfiable, .offset = size - length, .length = length};
  }

  const auto first = parse_digits(first_text);
  if (!first)
    return ignore;
  std::optional<std::uint64_t> last;
  if (!last_text.empty()) {
    last = parse_digits(last_text);
    if (!last || *last < *first)
      return ignore;  // §14.1.1: an invalid int-range
  }
  if (*first >= size)
    return unsatisfiable;
  const std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return RangeDecision{.kind = Kind::satisfiable, .offset = *first, .length = end - *first + 1};
}

Response file_response(std::string path, std::uint64_t size,
                       std::optional<std::string_view> range_header, std::string content_type,
                       Fields headers) {
  const RangeDecision range =
      range_header ? parse_byte_range(*range_header, size) : RangeDecision{};
  Fields fields;
  fields.reserve(headers.size() + 2);
  fields.emplace_back("Accept-Ranges", "bytes");
  Response response;
  switch (range.kind) {
    case RangeDecision::Kind::not_satisfiable:
      fields.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      response.status = 416;
      response.content_type.clear();
      break;
    case RangeDecision::Kind::satisfiable:
      fields.emplace_back("Content-Range", "bytes " + std::to_string(range.offset) + "-" +
                                               std::to_string(range.offset + range.length - 1) +
                                               "/" + std::to_string(size));
      response.status = 206;
      response.content_type = std::move(content_type);
      response.file =
          FileBody{.path = std::move(path), .offset = range.offset, .length = range.length};
      break;
    case RangeDecision::Kind::ignore:
      response.status = 200;
      response.content_type = std::move(content_type);
      response.file = FileBody{.path = std::move(path), .offset = 0, .length = size};
      break;
  }
  for (auto& field : headers)
    fields.push_back(std::move(field));
  response.headers = std::move(fields);
  return response;
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
