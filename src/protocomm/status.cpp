#include "protocomm/status.hpp"

namespace stratus::protocomm {

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::success:
      return "success";
    case Status::invalid_sec_scheme:
      return "invalid_sec_scheme";
    case Status::invalid_proto:
      return "invalid_proto";
    case Status::too_many_sessions:
      return "too_many_sessions";
    case Status::invalid_argument:
      return "invalid_argument";
    case Status::internal_error:
      return "internal_error";
    case Status::crypto_error:
      return "crypto_error";
    case Status::invalid_session:
      return "invalid_session";
  }
  return "unknown status";
}

}  // namespace stratus::protocomm
