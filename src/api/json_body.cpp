#include "api/json_body.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::api {

Result<boost::json::object> parse_object(std::string_view body) {
  return proto::rest::parse_object_body(body);
}

Result<std::optional<std::string>> optional_string(const boost::json::object& o,
                                                   std::string_view key) {
  return proto::rest::optional_string(o, key);
}

std::optional<bool> parse_query_bool(std::string_view text) {
  return proto::rest::parse_query_bool(text);
}

}  // namespace stratus::api
