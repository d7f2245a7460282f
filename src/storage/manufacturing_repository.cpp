#include "storage/manufacturing_repository.hpp"

#include <array>
#include <utility>

namespace stratus::storage {
namespace {

constexpr std::array<std::pair<RegistrationState, std::string_view>, 7> kStates{{
    {RegistrationState::awaiting_upload, "awaiting_upload"},
    {RegistrationState::uploaded, "uploaded"},
    {RegistrationState::queued, "queued"},
    {RegistrationState::in_progress, "in_progress"},
    {RegistrationState::success, "success"},
    {RegistrationState::partial_success, "partial_success"},
    {RegistrationState::failure, "failure"},
}};

}  // namespace

std::string_view to_string(RegistrationState state) noexcept {
  for (const auto& [s, name] : kStates) {
    if (s == state)
      return name;
  }
  return "failure";
}

std::optional<RegistrationState> parse_registration_state(std::string_view text) noexcept {
  for (const auto& [s, name] : kStates) {
    if (name == text)
      return s;
  }
  return std::nullopt;
}

}  // namespace stratus::storage
