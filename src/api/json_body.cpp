#include "api/json_body.hpp"

#include <boost/json.hpp>
#include <cctype>

#include "proto/payloads.hpp"

namespace stratus::api {

Result<boost::json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec)
    return fail(errc::invalid_argument, 100006,
                "invalid request body: malformed JSON (" + ec.message() + ")");
  if (!value.is_object())
    return fail(errc::invalid_argument, 100006, "invalid request body: expected a JSON object");
  if (!proto::all_numbers_finite(value)) {
    return fail(errc::invalid_argument, 100006,
                "invalid request body: a number is out of range (beyond a double)");
  }
  return std::move(value.as_object());
}

Result<std::optional<std::string>> optional_string(const boost::json::object& o,
                                                   std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::optional<std::string>();
  if (!v->is_string()) {
    return fail(errc::invalid_argument, 100006,
                "invalid request body: " + std::string(key) + " must be a string");
  }
  return std::optional<std::string>(std::string(v->as_string()));
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

}  // namespace stratus::api
