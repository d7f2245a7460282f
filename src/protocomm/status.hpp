#pragma once
/// @file
/// The protocomm `Status` enum (ESP-IDF `components/protocomm/proto/constants.proto`;
/// spec rainmaker-device.md §2.1), used by session, Wi-Fi and local-control messages.

#include <cstdint>
#include <string_view>

namespace stratus::protocomm {

/// Status of a protocomm reply. Values the sender put outside this list are kept as sent
/// (proto3 enums are open), so compare with the named values, never switch exhaustively.
enum class Status : std::int32_t {
  success = 0,
  invalid_sec_scheme = 1,
  invalid_proto = 2,
  too_many_sessions = 3,
  invalid_argument = 4,
  internal_error = 5,
  crypto_error = 6,
  invalid_session = 7,
};

/// "success", "invalid_argument", ...; "status <n>" values are not named. Thread-safe.
std::string_view to_string(Status status) noexcept;

}  // namespace stratus::protocomm
