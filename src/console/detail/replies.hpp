#pragma once
/// @file
/// Reading gateway responses for the console's commands: the result code as text and the
/// firmware version as the original prints them. Internal to the console module; pure,
/// thread-safe.

#include <string>

#include "wirepas/messages.hpp"

namespace stratus::console::detail {

/// The response's `res` by name (`OK`, `INVALID_SEQUENCE_NUMBER`, …), `no header` when the
/// message is not a response.
[[nodiscard]] inline std::string result_of(const wirepas::pb::GenericMessage& m) {
  const auto* h = wirepas::response_header(m.wirepas());
  return h == nullptr ? std::string("no header") : wirepas::result_name(h->res());
}

/// Whether the response says OK.
[[nodiscard]] inline bool result_ok(const wirepas::pb::GenericMessage& m) {
  const auto* h = wirepas::response_header(m.wirepas());
  return h != nullptr && h->res() == wirepas::pb::OK;
}

/// `a.b.c.d`, as the original prints a firmware version.
[[nodiscard]] inline std::string firmware_text(const wirepas::pb::FirmwareVersion& f) {
  return std::to_string(f.major()) + "." + std::to_string(f.minor()) + "." +
         std::to_string(f.maint()) + "." + std::to_string(f.dev());
}

}  // namespace stratus::console::detail
