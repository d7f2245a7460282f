#pragma once
/// @file
/// Shared checks of the endpoint codecs. Internal to protocomm.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::protocomm::detail {

/// `std::visit` over lambdas.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

/// The decoding rule of every endpoint: the oneof case `actual` must be `expected`, or
/// unset (`not_set`) when the message named by `msg` has no fields of its own
/// (`fieldless`).
inline Result<void> check_payload(int actual, int expected, bool fieldless, std::string_view what) {
  if (actual == expected || (actual == 0 && fieldless)) {
    return {};
  }
  return fail(errc::invalid_argument,
              std::string(what) + ": the payload does not match the message type");
}

/// invalid_argument "<what>: unexpected message type <msg>".
inline tl::unexpected<Error> unexpected_msg(std::string_view what, int msg) {
  return fail(errc::invalid_argument,
              std::string(what) + ": unexpected message type " + std::to_string(msg));
}

}  // namespace stratus::protocomm::detail
