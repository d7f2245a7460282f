#pragma once
/// @file
/// Reading a RainMaker JSON request body into its DTO: the body must be a JSON object
/// (`proto::rest::parse_object_body`), then the resource's strict parser reads it. A
/// bad body is a clear `invalid_request_body` (or domain) error naming the field,
/// never an exception. Internal to src/api's route files.

#include <boost/json/object.hpp>
#include <string_view>

#include "core/error.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {

/// `parse(object)` of `body` parsed as a JSON object; `parse` is a proto/rest request
/// parser (`Result<T>(const boost::json::object&)`). Errors: those of
/// `parse_object_body`, then those of `parse`. Pure; thread-safe.
template <class Parse>
auto read_body(std::string_view body, Parse parse) -> decltype(parse(boost::json::object())) {
  auto object = proto::rest::parse_object_body(body);
  if (!object)
    return fail(object.error());
  return parse(*object);
}

}  // namespace stratus::api
