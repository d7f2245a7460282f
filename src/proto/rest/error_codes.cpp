#include "proto/rest/error_codes.hpp"

#include <algorithm>
#include <array>

namespace stratus::proto::rest {
namespace {

#define STRATUS_REST_ERROR_ROW(area, name, code, http, description) \
  ErrorCodeInfo{code, #area, #name, http, description},
constexpr std::array kTable{STRATUS_REST_ERROR_CODES(STRATUS_REST_ERROR_ROW)};
#undef STRATUS_REST_ERROR_ROW

}  // namespace

std::span<const ErrorCodeInfo> error_code_table() noexcept {
  return kTable;
}

std::optional<ErrorCodeInfo> find_error_code(int code) noexcept {
  const auto it =
      std::find_if(kTable.begin(), kTable.end(), [code](const auto& e) { return e.code == code; });
  if (it == kTable.end())
    return std::nullopt;
  return *it;
}

}  // namespace stratus::proto::rest
