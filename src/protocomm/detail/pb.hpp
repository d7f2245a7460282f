#pragma once
/// @file
/// Parsing and writing generated protobuf messages. Internal to protocomm: only its .cpp
/// files include generated headers.

#include <climits>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::protocomm::detail {

/// Parses `bytes` as message `M`; invalid_argument naming `what` when they are not one.
template <class M>
Result<M> parse_pb(std::string_view bytes, std::string_view what) {
  M message;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(errc::invalid_argument, "not a valid " + std::string(what) + " message");
  }
  return message;
}

/// The wire bytes of `message`.
template <class M>
std::string write_pb(const M& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

}  // namespace stratus::protocomm::detail
