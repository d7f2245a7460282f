#include "client/detail/json.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace stratus::client::detail {

namespace json = boost::json;

Result<json::object> parse_object(std::string_view text, std::string_view what) {
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
  if (v->is_double())
    return static_cast<std::int64_t>(v->as_double());
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

std::string json_or_empty(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return {};
  return json::serialize(*v);
}

}  // namespace stratus::client::detail
