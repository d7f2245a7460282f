#include "proto/rest/json.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "proto/payloads.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {

namespace json = boost::json;

Error invalid_body(std::string_view what) {
  return Error{errc::invalid_argument, "invalid request body: " + std::string(what),
               request_error::invalid_request_body};
}

Result<json::value> parse_body(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec)
    return fail(invalid_body("malformed JSON (" + ec.message() + ")"));
  if (!all_numbers_finite(value))
    return fail(invalid_body("a number is out of range (beyond a double)"));
  return value;
}

Result<json::object> parse_object_body(std::string_view text) {
  auto value = parse_body(text);
  if (!value)
    return fail(value.error());
  if (!value->is_object())
    return fail(invalid_body("expected a JSON object"));
  return std::move(value->as_object());
}

Result<std::optional<std::string>> optional_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::optional<std::string>();
  if (!v->is_string())
    return fail(invalid_body(std::string(key) + " must be a string"));
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<bool> optional_bool(const json::object& o, std::string_view key, bool fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return fallback;
  if (!v->is_bool())
    return fail(invalid_body(std::string(key) + " must be a boolean"));
  return v->as_bool();
}

Result<std::vector<std::string>> optional_strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return out;
  const auto bad = [&] { return invalid_body(std::string(key) + " must be an array of strings"); };
  if (!v->is_array())
    return fail(bad());
  for (const auto& item : v->as_array()) {
    if (!item.is_string())
      return fail(bad());
    out.emplace_back(item.as_string());
  }
  return out;
}

std::optional<std::int64_t> integer(const json::value& v) noexcept {
  if (v.is_int64())
    return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.as_uint64());
  return std::nullopt;
}

std::optional<bool> parse_query_bool(std::string_view text) {
  std::string lower(text);
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "1")
    return true;
  if (lower == "false" || lower == "0")
    return false;
  return std::nullopt;
}

Result<std::optional<std::int64_t>> parse_query_int(std::optional<std::string_view> text,
                                                    std::string_view name) {
  if (!text || text->empty())
    return std::optional<std::int64_t>();
  std::int64_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc() || ptr != end) {
    return fail(errc::invalid_argument, request_error::invalid_request_body,
                std::string(name) + " must be an integer");
  }
  return std::optional<std::int64_t>(n);
}

Result<std::size_t> parse_page_size(std::optional<std::string_view> text) {
  if (!text)
    return limits::kDefaultPageSize;
  std::size_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc() || ptr != end || n < 1 || n > limits::kMaxPageSize) {
    return fail(errc::invalid_argument, request_error::invalid_request_body,
                "num_records must be between 1 and " + std::to_string(limits::kMaxPageSize));
  }
  return n;
}

Result<json::object> parse_answer(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return fail(errc::internal, std::string(what) + ": the server's answer is not a JSON object");
  }
  return std::move(value.as_object());
}

std::string string_or(const json::object& o, std::string_view key, std::string fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string())
    return fallback;
  return std::string(v->as_string());
}

std::int64_t int_or(const json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr)
    return fallback;
  if (v->is_int64())
    return v->as_int64();
  if (v->is_uint64())
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) {
    // Only doubles an int64 can hold: casting others is undefined behaviour.
    const double d = v->as_double();
    return d >= -9.2e18 && d <= 9.2e18 ? static_cast<std::int64_t>(d) : fallback;
  }
  if (v->is_string()) {
    const auto& s = v->as_string();
    std::int64_t n = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, err] = std::from_chars(s.data(), end, n);
    if (err == std::errc() && ptr == end)
      return n;
  }
  return fallback;
}

bool bool_or(const json::object& o, std::string_view key, bool fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool())
    return fallback;
  return v->as_bool();
}

std::vector<std::string> strings_or_empty(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_array())
    return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string())
      out.emplace_back(item.as_string());
  }
  return out;
}

std::string document_or_empty(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return {};
  return json::serialize(*v);
}

std::uint16_t port_or_zero(const json::object& o, std::string_view key) {
  const auto port = int_or(o, key);
  return port > 0 && port <= 65535 ? static_cast<std::uint16_t>(port) : 0;
}

json::value document_value(std::string_view text) {
  if (text.empty())
    return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

json::array strings_json(const std::vector<std::string>& values) {
  json::array a;
  a.reserve(values.size());
  for (const auto& v : values)
    a.emplace_back(json::string(v));
  return a;
}

json::object success_body(std::string_view description) {
  return json::object{{"status", "success"}, {"description", description}};
}

}  // namespace stratus::proto::rest
