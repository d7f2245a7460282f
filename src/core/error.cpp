#include "core/error.hpp"

namespace stratus {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::not_found:
      return "not_found";
    case errc::already_exists:
      return "already_exists";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::forbidden:
      return "forbidden";
    case errc::conflict:
      return "conflict";
    case errc::unavailable:
      return "unavailable";
    case errc::timeout:
      return "timeout";
    case errc::resource_exhausted:
      return "resource_exhausted";
    case errc::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string out(to_string(code));
  if (!context.empty()) {
    out += ": ";
    out += context;
  }
  return out;
}

}  // namespace stratus
