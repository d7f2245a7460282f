#pragma once
/// @file
/// Parsing and writing generated protobuf messages. Internal to protocomm: only its .cpp
/// files include generated headers.

#include <google/protobuf/stubs/logging.h>

#include <climits>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::protocomm::detail {

/// Parses `bytes` as message `M`; invalid_argument naming `what` when they are not one.
/// libprotobuf's own log lines (invalid UTF-8 in a `string` field) are silenced: outside
/// input must not write to stderr; the error says what failed.
template <class M>
Result<M> parse_pb(std::string_view bytes, std::string_view what) {
  const google::protobuf::LogSilencer quiet;
  M message;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(errc::invalid_argument, "not a valid " + std::string(what) + " message");
  }
  return message;
}

/// The wire bytes of `message` (a `string` field that is not UTF-8 is written as it is,
/// without libprotobuf's log line; the peer's parser will refuse it).
template <class M>
std::string write_pb(const M& message) {
  const google::protobuf::LogSilencer quiet;
  std::string out;
  message.SerializeToString(&out);
  return out;
}

}  // namespace stratus::protocomm::detail
